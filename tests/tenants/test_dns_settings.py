"""``DNS_NAMESERVERS``: addresses with an optional port, checked when settings load, and
used by the lookup in that order."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from partnerportal.addresses import split_host_port
from partnerportal.settings.base import nameservers
from tenants.dns import resolver


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("192.0.2.53:5353", ("192.0.2.53", 5353)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
    ],
)
def test_an_address_with_or_without_a_port(value, expected):
    assert split_host_port(value, 53) == expected


@pytest.mark.parametrize("value", ["dns.example", "192.0.2.53:0", "192.0.2.53:x", "[::1]:99999"])
def test_anything_else_is_refused_when_settings_load(monkeypatch, value):
    monkeypatch.setenv("DNS_NAMESERVERS", f"192.0.2.1, {value}")
    with pytest.raises(ImproperlyConfigured, match="DNS_NAMESERVERS"):
        nameservers("DNS_NAMESERVERS")


def test_the_configured_resolvers_are_asked_in_order_within_the_lifetime(settings):
    # given
    settings.DNS_NAMESERVERS = ["192.0.2.1", "192.0.2.2:5353"]
    settings.DNS_LIFETIME = 1.5
    # when
    res = resolver()
    # then
    assert [(ns.address, ns.port) for ns in res.nameservers] == [  # type: ignore[union-attr]
        ("192.0.2.1", 53),
        ("192.0.2.2", 5353),
    ]
    assert res.lifetime == 1.5
    assert res.timeout <= 1.5
