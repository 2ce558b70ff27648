"""The lookup's cards: escaped as Django escapes, dates as Django writes them, and byte
for byte what the template they replaced drew (kept in tests/reference)."""

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jinja2
import pytest
from django.utils import timezone

from delegation.access import Rights
from delegation.cards import lookup_cards
from delegation.models import Relationship
from delegation.selectors import DomainRow, LookupResult, SubscriptionRow
from partnerportal import fragments
from tenants.models import Tenant
from tenants.roles import Permission, Role

REFERENCE = Path(__file__).resolve().parent.parent / "reference"


def reference_cards(results: list[LookupResult]) -> str:
    """What ``lookup_cards.jinja`` drew, as ``render_fragment`` rendered it."""
    env = fragments.environment().overlay(loader=jinja2.FileSystemLoader(REFERENCE))
    html = env.get_template("lookup_cards.jinja").render(
        zone=timezone.get_current_timezone(), results=results
    )
    return html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")


NOW = timezone.now()
ACTIONS = (
    Permission.VIEW_TENANT,
    Permission.MANAGE_SERVICE_REQUESTS,
    Permission.VIEW_ADMINISTRATORS,
)


def result(
    *,
    status: str = "active",
    expires: datetime | None = None,
    terminated_at: datetime | None = None,
    roles: list[str] | None = None,
    domains: list[DomainRow] | None = None,
    subscriptions: list[SubscriptionRow] | None = None,
    contact: tuple[str, str, str, str] = ("Kim O'Neil", "it@contoso.example", "+1 555", "NZ"),
    permissions: tuple[Permission, ...] = ACTIONS,
    name: str = 'Contoso <b>"Ltd"</b> & O\'Neil',
) -> LookupResult:
    tenant = Tenant(
        id=uuid.uuid4(),
        name=name,
        contact_name=contact[0],
        contact_email=contact[1],
        contact_phone=contact[2],
        country=contact[3],
    )
    relationship = Relationship(
        id=uuid.uuid4(),
        customer=tenant,
        status=status,
        roles=[Role.GLOBAL_ADMIN.value] if roles is None else roles,
        starts=datetime(2026, 3, 4, 23, 30, 5, tzinfo=UTC),
        expires=expires or NOW + timedelta(days=30),
        terminated_at=terminated_at,
        updated=datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC),
    )
    return LookupResult(
        tenant=tenant,
        relationship=relationship,
        rights=Rights(tenant=tenant, permissions=frozenset(permissions)),
        domains=[DomainRow("contoso.example", True), DomainRow("<x>.example", False)]
        if domains is None
        else domains,
        subscriptions=[
            SubscriptionRow("Office <365>", 25, "active", date(2027, 3, 4)),
            SubscriptionRow("Exchange", 3, "suspended", None),
            SubscriptionRow("Odd", 1, "no-such-status", None),
        ]
        if subscriptions is None
        else subscriptions,
        shows_details=relationship.display_status == "active",
    )


def variety() -> list[LookupResult]:
    """Results that take every branch of a card, with markup in the values."""
    found = [
        result(),
        result(status="active", expires=NOW - timedelta(days=1)),  # expired, not yet marked
        result(status="expired", expires=NOW - timedelta(days=3)),
        result(status="terminated", terminated_at=datetime(2026, 4, 1, 23, 59, tzinfo=UTC)),
        result(status="terminated"),  # no end recorded: its last change
        result(roles=[]),
        result(roles=[Role.USER_ADMIN.value, Role.BILLING_ADMIN.value, "no-such-role"]),
        result(domains=[], subscriptions=[]),
        result(contact=("", "", "", "")),
        result(contact=("", "a&b@example.test", "", "<NZ>")),
    ]
    for count in range(len(ACTIONS) + 1):
        for permissions in itertools.combinations(ACTIONS, count):
            found.append(result(permissions=permissions))
    return found


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Pacific/Auckland"])
def test_cards_are_what_the_template_drew(zone):
    with timezone.override(zone):
        results = variety()
        assert str(lookup_cards(results)) == reference_cards(results)


def test_no_results_draw_nothing():
    assert lookup_cards([]) == reference_cards([]) == ""


def test_values_are_escaped_as_django_escapes_them():
    html = lookup_cards([result()])
    assert "Contoso &lt;b&gt;&quot;Ltd&quot;&lt;/b&gt; &amp; O&#x27;Neil" in html
    assert "Kim O&#x27;Neil" in html
    assert "&lt;x&gt;.example" in html
    assert "Office &lt;365&gt;" in html
    assert "<b>" not in html
    assert "&#39;" not in html


def test_a_subscription_reads_as_its_status_label_and_an_unknown_one_as_it_is():
    html = lookup_cards([result()])
    assert "<td>Active</td>" in html
    assert "<td>Suspended</td>" in html
    assert "<td>no-such-status</td>" in html
