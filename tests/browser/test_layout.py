"""Lists at phone and laptop width, in Chromium: nothing runs off the screen.

The partner relationships, partner staff, administrators, audit log and activity pages
are filled with long names, long addresses and a long user agent, then looked at 390 px
and 1366 px wide: the page does not scroll sideways, no table is wider than its box (a
table scrolling inside its box hides its last columns), and the Renew, Remove and Edit
actions are on the screen.
"""

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from playwright.sync_api import expect

from audit.actions import Action
from audit.context import RequestContextMiddleware
from audit.services import audit_record
from delegation.models import CustomerGroup, RelationshipStatus
from tenants.models import Tenant, User
from tenants.roles import Role
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import sign_in_with_totp
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_team,
    make_tenant,
    make_user,
)

pytestmark = pytest.mark.browser

PARTNER = "Northwind Traders International Consolidated Managed Services Partnership"
CUSTOMER = "Wide World Importers and Exporters of Fine Furniture Cooperative"
LONG_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86 PortalMonitoringAgent/4.12.7-build."
    "20261207T174500Z+featherstonehaugh-cholmondeley-diagnostics-extension"
)
LONG_ADDRESS = "2001:0db8:85a3:0000:0000:8a2e:0370:7334"


def long_named_user(tenant: Tenant, local: str, **kwargs: Any) -> User:
    maker = make_partner_user if tenant.is_partner else make_user
    return maker(
        tenant,
        email=f"{local}.featherstonehaugh-cholmondeley@{tenant.domains.get().name}",
        first_name=f"{local.capitalize()}alexandrina",
        last_name="Featherstonehaugh-Cholmondeley-Wolfeschlegelsteinhausen",
        **kwargs,
    )


def record_from_a_browser(**fields: Any) -> None:
    """An audit event written while serving a request from a browser with a long user
    agent, from a long (IPv6) address."""

    def serve(request: Any) -> HttpResponse:
        audit_record(**fields)
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_USER_AGENT=LONG_USER_AGENT, REMOTE_ADDR=LONG_ADDRESS)
    RequestContextMiddleware(serve)(request)


@pytest.fixture
def world() -> dict[str, Any]:
    """A partner with long-named staff, a customer with long-named admins, a current and
    an ended relationship between them, and audit events with long values."""
    partner = make_partner(name=PARTNER, domain="northwind-traders-international.example")
    partner_admin = long_named_user(partner, "maximiliana", roles=[Role.GLOBAL_ADMIN])
    technician = long_named_user(partner, "bartholomew", level="full")
    for n in range(3):
        long_named_user(partner, f"staffmember{n}", level="limited")
    customer = make_tenant(name=CUSTOMER, domain="wide-world-importers-and-exporters.example")
    customer_admin = long_named_user(customer, "anastasia", roles=[Role.GLOBAL_ADMIN])
    long_named_user(customer, "cornelius", roles=[Role.USER_ADMIN, Role.BILLING_ADMIN])
    relationship = make_relationship(
        partner,
        customer,
        roles=[Role.GLOBAL_ADMIN, Role.USER_ADMIN, Role.BILLING_ADMIN],
        accepted_by=customer_admin,
    )
    make_relationship(
        partner, customer, accepted_by=customer_admin, days=30, status=RelationshipStatus.EXPIRED
    )
    for n in range(3):
        record_from_a_browser(
            tenant=customer,
            action=Action.USER_UPDATED,
            acting_user=technician,
            relationship=relationship,
            partner_level="full",
            target_type="user",
            target_id=str(customer_admin.pk),
            target_repr=f"{customer_admin.get_full_name()} <{customer_admin.email}>",
            changes={
                "display_name": [f"Old name {n}", customer_admin.get_full_name()],
                "email": [f"old-{n}-{customer_admin.email}", customer_admin.email],
            },
        )
    return {
        "partner_admin": partner_admin,
        "relationship": relationship,
        "customer": customer,
        "customer_admin": customer_admin,
    }


def assert_fits(page: Any, actions: list[str]) -> None:
    """Nothing wider than the screen, no table wider than its box, the actions on screen."""
    width = page.viewport_size["width"]
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways at {width}px"
    )
    tables = page.evaluate(
        """() => Array.from(document.querySelectorAll("main table")).map((table) => {
            const box = table.parentElement;
            return {
                label: box.getAttribute("aria-label") || table.querySelector("th").textContent,
                boxRight: box.getBoundingClientRect().right,
                boxScroll: box.scrollWidth - box.clientWidth,
                tableRight: table.getBoundingClientRect().right,
            };
        })"""
    )
    assert tables, f"no table on {page.url}"
    for table in tables:
        assert table["boxRight"] <= width, f"{table} is wider than the {width}px screen"
        assert table["boxScroll"] <= 0, f"{table} scrolls sideways in its box at {width}px"
        assert table["tableRight"] <= width, f"{table} runs off the {width}px screen"
    assert_still_tables(page)
    for name in actions:
        links = page.get_by_role("main").get_by_role("link", name=name)
        assert links.count(), f"no {name!r} on {page.url}"
        for n in range(links.count()):
            link = links.nth(n)
            expect(link).to_be_visible()
            link.scroll_into_view_if_needed()
            box = link.bounding_box()
            assert box is not None
            assert box["x"] >= 0, f"{name!r} starts off the {width}px screen"
            assert box["x"] + box["width"] <= width, f"{name!r} ends off the {width}px screen"


def assert_still_tables(page: Any) -> None:
    """Chromium's accessibility tree still holds each table, row, header and cell, however
    the rows are laid out (a screen reader reads a stacked row as a table row)."""
    in_dom = page.evaluate(
        """() => ({
            table: document.querySelectorAll("table").length,
            row: document.querySelectorAll("tr").length,
            columnheader: document.querySelectorAll("th[scope=col]").length,
            rowheader: document.querySelectorAll("th[scope=row]").length,
            cell: document.querySelectorAll("td").length,
        })"""
    )
    nodes = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    roles = [node.get("role", {}).get("value") for node in nodes if not node.get("ignored")]
    in_tree = {role: roles.count(role) for role in in_dom}
    assert in_tree == in_dom, f"{page.url} at {page.viewport_size['width']}px"


def look_at(page: Any, review: Any, url: str, name: str, actions: list[str]) -> None:
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_fits(page, actions)
    review(page, name)


def test_the_customer_pages_fit_a_phone_and_a_laptop(page, world, review):
    # given a customer admin, signed in
    tenant = world["customer"].pk
    sign_in_with_totp(page, world["customer_admin"].email)
    expect(page.get_by_role("heading", level=1)).to_have_text(CUSTOMER)

    # when they look at the partner relationships, administrators and audit log at each
    # width, then each fits the screen and its actions are on it
    look_at(page, review, f"/t/{tenant}/partners/", "relationships", ["Renew", "Remove"])
    look_at(page, review, f"/t/{tenant}/administrators/", "administrators", [])
    look_at(page, review, f"/t/{tenant}/audit/", "audit log", [])


def test_the_partner_pages_fit_a_phone_and_a_laptop(page, world, review):
    # given a partner admin, signed in
    sign_in_with_totp(page, world["partner_admin"].email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner overview")

    # when they look at the staff and the staff's activity at each width, then each fits
    # the screen and the Edit actions are on it
    look_at(page, review, "/partner/users/", "staff", ["Edit"])
    look_at(page, review, "/partner/activity/", "activity", [])


def test_the_team_pages_fit_a_phone_and_a_laptop(page, world, review):
    # given a team of long-named staff, holding roles by default and in one customer,
    # and a customer group
    admin = world["partner_admin"]
    partner = admin.tenant
    members = list(User.objects.filter(tenant=partner).exclude(pk=admin.pk))
    team = make_team(
        partner,
        "Helpdesk for the customers of the northern and western regions",
        members=members,
        assignments={
            None: [Role.PASSWORD_ADMIN],
            world["relationship"]: [Role.USER_ADMIN, Role.BILLING_ADMIN],
        },
    )
    group = CustomerGroup.objects.create(partner=partner, name="Customers in the European Union")
    group.customers.add(world["customer"])
    sign_in_with_totp(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner overview")

    # when they look at the teams, a team and the customer groups at each width, then
    # each fits the screen and its actions are on it
    look_at(page, review, "/partner/teams/", "teams", ["Open"])
    look_at(page, review, f"/partner/teams/{team.pk}/", "team", ["Edit", "Delete"])
    look_at(page, review, "/partner/teams/groups/", "customer groups", ["Edit"])
