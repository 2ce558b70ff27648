"""The partner admin's team pages: teams, members, access assignments (one customer, the
default, in bulk by group or by name) and customer groups; each write redirects with a
message, refuses what the customer did not grant, and is harmless when repeated; every
page is a 404 to anyone but the partner's admins, and for another partner's rows."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from delegation.access import rights_in
from delegation.models import AccessAssignment, CustomerGroup, Team, TeamMembership
from tenants.models import User
from tenants.roles import Permission as P
from tenants.roles import Role
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_team,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

PASSWORD = Role.PASSWORD_ADMIN.value
USER = Role.USER_ADMIN.value
BILLING = Role.BILLING_ADMIN.value


@pytest.fixture
def w() -> Any:
    partner = make_partner(name="Fabrikam")
    admin = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN], first_name="Alex")
    # a second admin, so the four-eyes rule does not bar the first from its own teams
    make_partner_user(partner, roles=[Role.GLOBAL_ADMIN], first_name="Bo")
    tech = make_partner_user(partner, level="teams", first_name="Tia")
    contoso = make_tenant(name="Contoso EU")
    northwind = make_tenant(name="Northwind")
    adatum = make_tenant(name="Adatum EU")
    r_contoso = make_relationship(partner, contoso, roles=[Role.USER_ADMIN])
    r_northwind = make_relationship(partner, northwind, roles=[Role.GLOBAL_ADMIN])
    r_adatum = make_relationship(partner, adatum, roles=[Role.PASSWORD_ADMIN])
    team = make_team(partner, "Helpdesk")

    class W:
        pass

    world = W()
    world.__dict__.update(locals())
    return world


def admin_client(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def said(response: Any) -> str:
    """The last message the response carries (earlier ones may wait, not yet shown)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"delegation:{name}", kwargs=kwargs)


def fresh(user: User) -> User:
    return User.objects.select_related("tenant", "agent_access").get(pk=user.pk)


def held(team: Team) -> dict[Any, list[str]]:
    return {a.relationship_id: a.roles for a in AccessAssignment.objects.filter(team=team)}


def test_a_partner_admin_creates_a_team_and_sees_it_listed(w):
    client = admin_client(w.admin)
    # when
    response = client.post(url("team-create"), {"name": "Contoso project", "description": "EU"})
    # then
    team = Team.objects.get(partner=w.partner, name="Contoso project")
    assert response.status_code == 302
    assert response["Location"] == url("team-detail", team_id=team.pk)
    assert said(response) == "Team Contoso project created. Now add its members."
    page = client.get(url("teams")).content.decode()
    assert "Contoso project" in page
    assert "Helpdesk" in page
    assert "New customer group" in page


def test_the_teams_page_costs_the_same_queries_whatever_the_number_of_teams(w):
    client = admin_client(w.admin)
    TeamMembership.objects.create(team=w.team, user=w.tech)
    AccessAssignment.objects.create(team=w.team, relationship=None, roles=[PASSWORD])
    client.get(url("teams"))  # the session's first page loads what every page does
    with CaptureQueriesContext(connection) as one:
        assert client.get(url("teams")).status_code == 200
    for n in range(3):
        more = make_team(
            w.partner,
            f"Team {n}",
            members=[w.tech, w.admin],
            assignments={None: [Role.PASSWORD_ADMIN], w.r_contoso: [Role.USER_ADMIN]},
        )
        assert more.pk
    CustomerGroup.objects.create(partner=w.partner, name="EU")
    # when
    with CaptureQueriesContext(connection) as four:
        page = client.get(url("teams"))
    # then
    assert len(four) == len(one)
    assert "1 customer" in page.content.decode()


def test_a_taken_team_name_is_a_form_error(w):
    # when
    response = admin_client(w.admin).post(url("team-create"), {"name": "helpdesk"})
    # then
    assert response.status_code == 400
    assert "already has a team of this name" in response.content.decode()
    assert Team.objects.filter(partner=w.partner).count() == 1


def test_members_are_added_and_removed_and_a_double_submit_is_harmless(w):
    client = admin_client(w.admin)
    add = url("team-member-add", team_id=w.team.pk)
    # when
    first = client.post(add, {"user": w.tech.pk})
    again = client.post(add, {"user": w.tech.pk})
    # then: in once; the second is refused by the form (no longer among those to add)
    assert first.status_code == 302
    assert said(first) == f"{w.tech.display_name} is now in Helpdesk."
    assert again.status_code == 400
    assert TeamMembership.objects.filter(team=w.team, user=w.tech).count() == 1
    detail = client.get(url("team-detail", team_id=w.team.pk)).content.decode()
    assert w.tech.email in detail
    # when
    remove = url("team-member-remove", team_id=w.team.pk)
    gone = client.post(remove, {"user": w.tech.pk})
    gone_again = client.post(remove, {"user": w.tech.pk})
    # then
    assert gone.status_code == gone_again.status_code == 302
    assert "is no longer in Helpdesk" in said(gone)
    assert "was not in Helpdesk" in said(gone_again)
    assert not TeamMembership.objects.filter(team=w.team).exists()
    assert AuditEvent.objects.filter(action=Action.TEAM_MEMBER_REMOVED).count() == 1


def test_a_per_customer_assignment_gives_a_member_those_roles_there(w):
    make_team_member(w)
    client = admin_client(w.admin)
    # when
    response = client.post(
        url("team-assignment-set", team_id=w.team.pk),
        {"target": str(w.r_contoso.pk), "roles": [USER]},
    )
    # then
    assert response.status_code == 302
    assert said(response) == "Helpdesk holds User administrator in Contoso EU."
    assert held(w.team) == {w.r_contoso.pk: [USER]}
    there = rights_in(fresh(w.tech), w.contoso.pk)
    assert there is not None
    assert P.MANAGE_USERS in there.permissions
    assert not rights_in(fresh(w.tech), w.northwind.pk)


def make_team_member(w: Any) -> None:
    TeamMembership.objects.create(team=w.team, user=w.tech)


def test_a_role_the_customer_did_not_grant_is_refused_with_the_message(w):
    # when
    response = admin_client(w.admin).post(
        url("team-assignment-set", team_id=w.team.pk),
        {"target": str(w.r_contoso.pk), "roles": [BILLING]},
    )
    # then
    assert response.status_code == 400
    assert "Contoso EU did not grant Billing administrator" in response.content.decode()
    assert held(w.team) == {}


def test_a_default_assignment_reaches_every_customer_within_its_grant(w):
    make_team_member(w)
    client = admin_client(w.admin)
    set_url = url("team-assignment-set", team_id=w.team.pk)
    # when: sent twice, as a double click does
    for _ in range(2):
        response = client.post(set_url, {"target": "default", "roles": [PASSWORD]})
        assert response.status_code == 302
    # then
    assert held(w.team) == {None: [PASSWORD]}
    assert AuditEvent.objects.filter(action=Action.TEAM_ASSIGNMENT_SET).count() == 1
    tech = fresh(w.tech)
    northwind = rights_in(tech, w.northwind.pk)
    adatum = rights_in(tech, w.adatum.pk)
    assert northwind is not None
    assert P.RESET_PASSWORDS in northwind.permissions
    assert adatum is not None
    assert P.RESET_PASSWORDS in adatum.permissions
    # Contoso granted User administrator, which carries a password admin's rights
    contoso = rights_in(tech, w.contoso.pk)
    assert contoso is not None
    assert P.RESET_PASSWORDS in contoso.permissions
    assert P.MANAGE_USERS not in contoso.permissions
    # when: the default is removed
    removed = client.post(
        url("team-assignment-remove", team_id=w.team.pk), {"relationship": "default"}
    )
    # then: at once
    assert removed.status_code == 302
    assert held(w.team) == {}
    assert not rights_in(fresh(w.tech), w.northwind.pk)


def test_bulk_by_group_sets_roles_in_each_customer_of_the_group_within_its_grant(w):
    make_team_member(w)
    client = admin_client(w.admin)
    created = client.post(
        url("customer-groups"),
        {"name": "EU customers", "customers": [w.contoso.pk, w.adatum.pk]},
    )
    assert created.status_code == 302
    group = CustomerGroup.objects.get(partner=w.partner, name="EU customers")
    assert set(group.customers.all()) == {w.contoso, w.adatum}
    # when
    response = client.post(
        url("team-assignment-bulk", team_id=w.team.pk),
        {"group": group.pk, "roles": [USER, PASSWORD]},
    )
    # then: each within what the customer granted (a User administrator's grant carries
    # a password admin's rights; Adatum granted Password administrator only)
    assert response.status_code == 302
    assert "roles set in 2 of the customers of EU customers" in said(response)
    assert held(w.team) == {w.r_contoso.pk: [USER, PASSWORD], w.r_adatum.pk: [PASSWORD]}
    contoso = rights_in(fresh(w.tech), w.contoso.pk)
    assert contoso is not None
    assert P.MANAGE_USERS in contoso.permissions
    assert not rights_in(fresh(w.tech), w.northwind.pk)
    # when: again
    again = client.post(
        url("team-assignment-bulk", team_id=w.team.pk),
        {"group": group.pk, "roles": [USER, PASSWORD]},
    )
    # then
    assert again.status_code == 302
    assert said(again).startswith("Nothing changed")


def test_bulk_by_name_sets_roles_in_customers_whose_name_matches(w):
    # when
    response = admin_client(w.admin).post(
        url("team-assignment-bulk", team_id=w.team.pk),
        {"name_contains": "north", "roles": [PASSWORD]},
    )
    # then
    assert response.status_code == 302
    assert held(w.team) == {w.r_northwind.pk: [PASSWORD]}


def test_bulk_by_name_skips_a_relationship_past_its_end_not_yet_marked(w):
    lapsed = make_relationship(
        w.partner,
        make_tenant(name="Northwind Lapsed"),
        starts=timezone.now() - timedelta(days=40),
        days=30,
    )
    # when
    response = admin_client(w.admin).post(
        url("team-assignment-bulk", team_id=w.team.pk),
        {"name_contains": "northwind", "roles": [PASSWORD]},
    )
    # then
    assert response.status_code == 302
    assert held(w.team) == {w.r_northwind.pk: [PASSWORD]}
    assert lapsed.pk not in held(w.team)


def test_bulk_needs_a_group_or_a_name_but_not_both(w):
    group = CustomerGroup.objects.create(partner=w.partner, name="EU")
    client = admin_client(w.admin)
    bulk = url("team-assignment-bulk", team_id=w.team.pk)
    # when
    neither = client.post(bulk, {"roles": [PASSWORD]})
    both = client.post(bulk, {"roles": [PASSWORD], "group": group.pk, "name_contains": "EU"})
    # then
    assert neither.status_code == both.status_code == 400
    assert "Choose a customer group or type part of a name." in neither.content.decode()
    assert "not both" in both.content.decode()
    assert held(w.team) == {}


def test_a_customer_group_is_renamed_refilled_and_deleted(w):
    group = CustomerGroup.objects.create(partner=w.partner, name="EU")
    client = admin_client(w.admin)
    # when
    edited = client.post(
        url("customer-group-edit", group_id=group.pk),
        {"name": "Europe", "customers": [w.adatum.pk]},
    )
    # then
    assert edited.status_code == 302
    group.refresh_from_db()
    assert group.name == "Europe"
    assert list(group.customers.all()) == [w.adatum]
    # when
    deleted = client.post(url("customer-group-delete", group_id=group.pk))
    # then
    assert deleted.status_code == 302
    assert not CustomerGroup.objects.filter(pk=group.pk).exists()


def test_a_group_holds_only_the_partners_customers(w):
    stranger = make_tenant(name="Stranger")
    # when
    response = admin_client(w.admin).post(
        url("customer-groups"), {"name": "Odd", "customers": [stranger.pk]}
    )
    # then
    assert response.status_code == 400
    assert not CustomerGroup.objects.filter(name="Odd").exists()


def test_a_team_is_renamed_and_deleted(w):
    client = admin_client(w.admin)
    # when
    edited = client.post(url("team-edit", team_id=w.team.pk), {"name": "Service desk"})
    # then
    assert edited.status_code == 302
    w.team.refresh_from_db()
    assert w.team.name == "Service desk"
    # when: confirmed, then deleted twice (a double submit)
    assert client.get(url("team-delete", team_id=w.team.pk)).status_code == 200
    deleted = client.post(url("team-delete", team_id=w.team.pk))
    again = client.post(url("team-delete", team_id=w.team.pk))
    # then
    assert deleted.status_code == 302
    assert deleted["Location"] == url("teams")
    assert again.status_code == 404
    assert not Team.objects.filter(pk=w.team.pk).exists()


def test_another_partners_team_group_and_relationship_are_not_found(w):
    other = make_partner(name="Litware")
    other_admin = make_partner_user(other, roles=[Role.GLOBAL_ADMIN])
    foreign_team = make_team(other, "Theirs", members=[other_admin])
    foreign_group = CustomerGroup.objects.create(partner=other, name="Theirs")
    foreign_relationship = make_relationship(other, make_tenant(name="Fourth Coffee"))
    client = admin_client(w.admin)
    # when / then: their team and group are not found, whatever the page
    for name in ("team-detail", "team-edit", "team-delete"):
        assert client.get(url(name, team_id=foreign_team.pk)).status_code == 404
    for name in (
        "team-edit",
        "team-delete",
        "team-member-add",
        "team-member-remove",
        "team-assignment-set",
        "team-assignment-remove",
        "team-assignment-bulk",
    ):
        assert client.post(url(name, team_id=foreign_team.pk)).status_code == 404
    assert client.get(url("customer-group-edit", group_id=foreign_group.pk)).status_code == 404
    for name in ("customer-group-edit", "customer-group-delete"):
        assert client.post(url(name, group_id=foreign_group.pk)).status_code == 404
    # and their relationship is no choice of this partner's: nothing is set or removed
    set_there = client.post(
        url("team-assignment-set", team_id=w.team.pk),
        {"target": str(foreign_relationship.pk), "roles": [PASSWORD]},
    )
    assert set_there.status_code == 400
    assert held(w.team) == {}
    assert Team.objects.filter(pk=foreign_team.pk, name="Theirs").exists()


def _every_page(w: Any) -> list[tuple[str, str]]:
    team, group = {"team_id": w.team.pk}, {"group_id": CustomerGroup.objects.get().pk}
    gets: list[tuple[str, dict[str, Any]]] = [
        ("teams", {}),
        ("team-create", {}),
        ("customer-groups", {}),
    ]
    gets += [(n, team) for n in ("team-detail", "team-edit", "team-delete")]
    gets += [("customer-group-edit", group)]
    posts: list[tuple[str, dict[str, Any]]] = [("team-create", {}), ("customer-groups", {})]
    posts += [
        (n, team)
        for n in (
            "team-edit",
            "team-delete",
            "team-member-add",
            "team-member-remove",
            "team-assignment-set",
            "team-assignment-remove",
            "team-assignment-bulk",
        )
    ]
    posts += [("customer-group-edit", group), ("customer-group-delete", group)]
    return [("GET", url(n, **k)) for n, k in gets] + [("POST", url(n, **k)) for n, k in posts]


@pytest.mark.parametrize("who", ["limited", "no access", "teams agent", "customer admin"])
def test_anyone_but_a_partner_admin_finds_no_page(w, who):
    CustomerGroup.objects.create(partner=w.partner, name="EU")
    TeamMembership.objects.create(team=w.team, user=w.tech)
    user = {
        "limited": lambda: make_partner_user(w.partner, level="limited"),
        "no access": lambda: make_partner_user(w.partner),
        "teams agent": lambda: w.tech,
        "customer admin": lambda: make_user(w.contoso, roles=[Role.GLOBAL_ADMIN]),
    }[who]()
    client = admin_client(user)
    # when
    outcomes = {f"{m} {u}": client.generic(m, u).status_code for m, u in _every_page(w)}
    # then
    assert set(outcomes.values()) == {404}, outcomes
    assert Team.objects.filter(pk=w.team.pk).exists()


def test_the_overview_and_the_menu_lead_partner_admins_to_teams(w):
    teams = url("teams")
    admin_page = admin_client(w.admin).get(url("partner-overview")).content.decode()
    staff_page = admin_client(w.tech).get(url("partner-overview")).content.decode()
    assert admin_page.count(f'href="{teams}"') == 2  # the menu and the tile
    assert f'href="{teams}"' not in staff_page


def test_an_admin_cannot_give_themselves_access_through_a_team_beside_another_admin(w):
    client = admin_client(w.admin)
    # when
    response = client.post(url("team-member-add", team_id=w.team.pk), {"user": w.admin.pk})
    # then: refused on the form, with the reason
    assert response.status_code == 400
    assert "You cannot give yourself access through a team" in response.content.decode()
    assert not TeamMembership.objects.filter(team=w.team, user=w.admin).exists()


def test_every_cell_of_the_team_tables_names_its_column_at_phone_width(w):
    group = CustomerGroup.objects.create(partner=w.partner, name="EU")
    group.customers.add(w.contoso)
    make_team(
        w.partner,
        "Projects",
        members=[w.tech],
        assignments={None: [Role.PASSWORD_ADMIN], w.r_contoso: [Role.USER_ADMIN]},
    )
    team = Team.objects.get(name="Projects")
    client = admin_client(w.admin)
    pages = [url("teams"), url("team-detail", team_id=team.pk), url("customer-groups")]
    for page in pages:
        body = client.get(page).content.decode()
        tables = re.findall(r'<table class="[^"]*table-stack[^"]*">.*?</table>', body, re.S)
        assert tables, page
        cells = [c for t in tables for c in re.findall(r"<td[^>]*>", t)]
        unnamed = [c for c in cells if "data-label=" not in c and "table-actions" not in c]
        assert cells, page
        assert unnamed == [], page


def test_the_team_page_tells_which_members_its_roles_do_not_reach(w):
    full = make_partner_user(w.partner, level="full", first_name="Fay")
    TeamMembership.objects.create(team=w.team, user=w.tech)
    TeamMembership.objects.create(team=w.team, user=full)
    # when
    body = admin_client(w.admin).get(url("team-detail", team_id=w.team.pk)).content.decode()
    # then: a note in the row of the member in Full administration, none in the other's
    rows = {
        email: next(r for r in re.findall(r"<tr>.*?</tr>", body, re.S) if email in r)
        for email in (full.email, w.tech.email)
    }
    note = "the team gives them nothing until it is"
    assert note in rows[full.email]
    assert note not in rows[w.tech.email]
