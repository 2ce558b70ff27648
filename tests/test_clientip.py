"""The client's address, scheme and request id: believed only from a proxy we run."""

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from audit.actions import Action
from audit.context import RequestContextMiddleware, current
from audit.models import AuditEvent
from partnerportal.clientip import PEER_ADDR, ClientAddressMiddleware, client_ip
from tests.factories import PASSWORD, make_tenant, make_user

PROXY = "10.0.0.5"
CLIENT = "198.51.100.23"


def through_middleware(**meta):
    """The request and the (address, request id) the audit context saw for it."""
    seen = {}

    def view(request):
        seen["ip"] = current().ip_address
        seen["request_id"] = current().request_id
        seen["secure"] = request.is_secure()
        return HttpResponse("ok")

    request = RequestFactory().get("/", **meta)
    ClientAddressMiddleware(RequestContextMiddleware(view))(request)
    return request, seen


# --- the address -------------------------------------------------------------------------


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    settings.TRUSTED_PROXY_COUNT = 0
    request, seen = through_middleware(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=CLIENT)
    assert request.META["REMOTE_ADDR"] == "203.0.113.9"
    assert seen["ip"] == "203.0.113.9"
    assert "HTTP_X_FORWARDED_FOR" not in request.META


def test_a_client_not_among_the_trusted_proxies_cannot_spoof_its_address(settings, record_property):
    record_property("battery.attacks", 1)
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request, seen = through_middleware(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=CLIENT)
    assert seen["ip"] == "203.0.113.9"
    assert client_ip(request) == "203.0.113.9"


def test_a_trusted_proxy_gives_the_client_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    # the client wrote a first entry itself; our proxy appended the real one
    request, seen = through_middleware(
        REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.66, {CLIENT}"
    )
    assert request.META["REMOTE_ADDR"] == CLIENT
    assert request.META[PEER_ADDR] == PROXY
    assert seen["ip"] == CLIENT
    assert client_ip(request) == CLIENT  # the same answer when asked again


def test_trusted_hops_are_skipped_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8::/32"]
    request, _ = through_middleware(
        REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.66, {CLIENT}, 2001:db8::1, 10.0.0.7"
    )
    assert request.META["REMOTE_ADDR"] == CLIENT


@pytest.mark.parametrize(
    ("forwarded", "count", "expected"),
    [
        (CLIENT, 1, CLIENT),
        (f"192.0.2.66, {CLIENT}", 1, CLIENT),
        (f"{CLIENT}, 10.1.1.1", 2, CLIENT),
        ("192.0.2.66", 2, PROXY),  # shorter than the count: not the client's to say
        ("", 1, PROXY),
    ],
)
def test_a_proxy_count_takes_the_nth_entry_from_the_right(settings, forwarded, count, expected):
    settings.TRUSTED_PROXIES = []
    settings.TRUSTED_PROXY_COUNT = count
    request, _ = through_middleware(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert request.META["REMOTE_ADDR"] == expected


@pytest.mark.parametrize(
    "forwarded",
    ["not-an-address", "198.51.100.300", "<script>", "198.51.100.1\r\nX-Evil: 1", ",,,"],
)
def test_garbage_in_forwarded_for_falls_back_to_the_peer(settings, forwarded):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request, seen = through_middleware(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert request.META["REMOTE_ADDR"] == PROXY
    assert seen["ip"] == PROXY


def test_an_ipv6_client_is_normalised(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request, _ = through_middleware(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="[2001:DB8:0:0::7]")
    assert request.META["REMOTE_ADDR"] == "2001:db8::7"


@pytest.mark.django_db
def test_the_audit_event_records_the_client_behind_the_proxy_and_the_peer_otherwise(settings):
    # given
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    user = make_user(make_tenant())
    form = {"login": user.email, "password": PASSWORD}
    # when: one sign-in through our proxy, one from a client that forges the header
    Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT).post(reverse("account_login"), form)
    Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=CLIENT).post(
        reverse("account_login"), form
    )
    # then
    addresses = list(
        AuditEvent.objects.filter(action=Action.SIGN_IN)
        .order_by("pk")
        .values_list("ip_address", flat=True)
    )
    assert addresses == [CLIENT, "203.0.113.9"]


# --- the scheme ----------------------------------------------------------------------------


@pytest.mark.parametrize(("peer", "secure"), [("203.0.113.9", False), (PROXY, True)])
def test_forwarded_proto_is_believed_only_from_a_trusted_proxy(
    settings, peer, secure, record_property
):
    record_property("battery.attacks", 1)
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    _, seen = through_middleware(REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https")
    assert seen["secure"] is secure


@pytest.mark.django_db
def test_a_spoofed_forwarded_proto_is_still_sent_to_https(settings):
    # given: production's HTTPS redirect, behind a proxy at 10.0.0.0/24
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    # when
    spoofed = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https").get(
        "/accounts/login/"
    )
    proxied = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_PROTO="https").get("/accounts/login/")
    # then
    assert spoofed.status_code == 301
    assert spoofed["Location"].startswith("https://")
    assert proxied.status_code == 200


# --- the request id ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "incoming",
    [
        "abc123def\nX-Injected: yes",
        "abc123def\n",
        "x" * 65,
        "A" * 5000,
        "short",
        "has spaces in it",
        "ünïcödé-ïd-42",
        "",
    ],
)
def test_a_request_id_of_another_shape_is_replaced(settings, incoming, record_property):
    record_property("battery.attacks", 1)
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    _, seen = through_middleware(REMOTE_ADDR=PROXY, HTTP_X_REQUEST_ID=incoming)
    assert seen["request_id"] != incoming
    assert len(seen["request_id"]) == 32


@pytest.mark.parametrize("incoming", ["req-00042", "0f8b1c2d-5e6f-4a1b-9c3d-2e1f0a9b8c7d"])
def test_a_trusted_proxy_names_the_request_and_anyone_else_does_not(settings, incoming):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    _, proxied = through_middleware(REMOTE_ADDR=PROXY, HTTP_X_REQUEST_ID=incoming)
    _, direct = through_middleware(REMOTE_ADDR="203.0.113.9", HTTP_X_REQUEST_ID=incoming)
    assert proxied["request_id"] == incoming
    assert direct["request_id"] != incoming
