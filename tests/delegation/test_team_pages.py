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
from delegation.models import (
    AccessAssignment,
    CustomerGroup,
    Relationship,
    RelationshipStatus,
    Team,
    TeamMembership,
)
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


# --- at scale: the team's page ---------------------------------------------------------


def more_customers(w: Any, n: int, *, held_by: Team | None = None) -> list[Any]:
    """``n`` more customers of the partner named "Zeta 00".."Zeta nn" (after the others by
    name), each granting User administrator; with ``held_by``, that team holds Password
    administrator in each."""
    relationships = [
        make_relationship(w.partner, make_tenant(name=f"Zeta {i:02}"), roles=[Role.USER_ADMIN])
        for i in range(n)
    ]
    if held_by is not None:
        AccessAssignment.objects.bulk_create(
            AccessAssignment(team=held_by, relationship=r, roles=[PASSWORD]) for r in relationships
        )
    return relationships


def held_rows(body: str) -> list[str]:
    """The customers named in the rows of the team's "What the team holds" table."""
    table = body[body.index('id="held-heading"') :]
    table = table[: table.index("</table>")]
    return re.findall(r"<th scope=\"row\"[^>]*>([^<]+)</th>", table)


def where_options(body: str) -> list[str]:
    select = re.search(r'<select name="target".*?</select>', body, re.S)
    assert select, "no Where select on the page"
    return re.findall(r"<option [^>]*>([^<]*)</option>", select.group(0))


def test_the_team_page_lists_its_customers_a_page_at_a_time_by_name(w):
    AccessAssignment.objects.create(team=w.team, relationship=None, roles=[PASSWORD])
    AccessAssignment.objects.create(team=w.team, relationship=w.r_northwind, roles=[USER])
    more_customers(w, 60, held_by=w.team)
    client = admin_client(w.admin)
    detail = url("team-detail", team_id=w.team.pk)
    # when
    first = client.get(detail).content.decode()
    second = client.get(detail, {"page": 2}).content.decode()
    # then: the default on every page, then 50 customers by name, then the other 11
    assert held_rows(first) == [
        "Every customer (the default)",
        "Northwind",
        *[f"Zeta {i:02}" for i in range(49)],
    ]
    assert held_rows(second) == [
        "Every customer (the default)",
        *[f"Zeta {i:02}" for i in range(49, 60)],
    ]
    assert "Page 1 of 2" in first
    assert "Roles in 61 customers, 1\N{EN DASH}50 shown." in first
    assert "page=2" in first


def test_the_team_page_searches_its_customers_by_name_and_keeps_the_search(w):
    AccessAssignment.objects.create(team=w.team, relationship=w.r_northwind, roles=[USER])
    more_customers(w, 60, held_by=w.team)
    client = admin_client(w.admin)
    detail = url("team-detail", team_id=w.team.pk)
    # when
    found = client.get(detail, {"q": "zeta 1"}).content.decode()
    none = client.get(detail, {"q": "nothing like it"}).content.decode()
    paged = client.get(detail, {"q": "zeta", "page": "2"}).content.decode()
    # then
    assert held_rows(found) == ["Every customer (the default)"] + [
        f"Zeta {i}" for i in range(10, 20)
    ]
    assert where_options(found) == ["Every customer (the default)"] + [
        f"Zeta {i}" for i in range(10, 20)
    ]
    assert "Page 1 of" not in found
    assert "The team holds no roles in a customer whose name contains" in none
    assert "No customer's name contains “nothing like it”." in none
    assert held_rows(paged)[1:] == [f"Zeta {i}" for i in range(50, 60)]
    assert 'href="?q=zeta&amp;page=1"' in paged
    # the form that sets roles keeps the search, for a refusal to show the same page
    assert f'action="{url("team-assignment-set", team_id=w.team.pk)}?q=zeta"' in paged


def test_the_where_select_offers_the_first_customers_and_says_how_to_find_another(w):
    more_customers(w, 60)
    client = admin_client(w.admin)
    detail = url("team-detail", team_id=w.team.pk)
    # when
    body = client.get(detail).content.decode()
    narrowed = client.get(detail, {"q": "zeta"}).content.decode()
    few = client.get(detail, {"q": "EU"}).content.decode()
    # then: the default and the first 50 of the 63 customers by name
    options = where_options(body)
    assert len(options) == 51
    assert options[:4] == ["Every customer (the default)", "Adatum EU", "Contoso EU", "Northwind"]
    assert options[-1] == "Zeta 46"
    assert "Showing 50 of 63 customers: search by name to find another." in body
    assert where_options(narrowed)[-1] == "Zeta 49"
    assert "Showing 50 of 60 customers whose name contains “zeta”" in narrowed
    assert where_options(few) == ["Every customer (the default)", "Adatum EU", "Contoso EU"]
    assert "Showing" not in few


def test_a_customer_the_select_does_not_show_can_still_be_chosen(w):
    make_team_member(w)
    last = more_customers(w, 60)[-1]
    assert "Zeta 59" not in where_options(
        admin_client(w.admin).get(url("team-detail", team_id=w.team.pk)).content.decode()
    )
    # when
    response = admin_client(w.admin).post(
        url("team-assignment-set", team_id=w.team.pk),
        {"target": str(last.pk), "roles": [PASSWORD]},
    )
    # then
    assert response.status_code == 302
    assert said(response) == "Helpdesk holds Password administrator in Zeta 59."
    assert held(w.team) == {last.pk: [PASSWORD]}


def test_a_refusal_shows_the_chosen_customer_still_chosen(w):
    last = more_customers(w, 60)[-1]
    # when: Zeta 59 granted User administrator, not Billing administrator
    response = admin_client(w.admin).post(
        url("team-assignment-set", team_id=w.team.pk),
        {"target": str(last.pk), "roles": [BILLING]},
    )
    # then: the page again, with Zeta 59 chosen, not the default
    body = response.content.decode()
    assert response.status_code == 400
    assert "Zeta 59 did not grant Billing administrator" in body
    assert re.search(rf'<option value="{last.pk}" selected>Zeta 59</option>', body)
    assert held(w.team) == {}


@pytest.mark.parametrize(
    "target",
    ["ended", "another partner's", "garbage", "00000000-0000-0000-0000-000000000000", ""],
)
def test_a_where_that_is_not_a_customer_in_force_is_refused_and_nothing_set(w, target):
    ended = make_relationship(w.partner, make_tenant(name="Gone"), status="terminated")
    foreign = make_relationship(make_partner(), make_tenant(name="Theirs"))
    value = {"ended": str(ended.pk), "another partner's": str(foreign.pk)}.get(target, target)
    # when
    response = admin_client(w.admin).post(
        url("team-assignment-set", team_id=w.team.pk), {"target": value, "roles": [PASSWORD]}
    )
    # then
    assert response.status_code == 400
    assert "Choose every customer or a customer from the list." in response.content.decode()
    assert held(w.team) == {}
    assert not AuditEvent.objects.filter(action=Action.TEAM_ASSIGNMENT_SET).exists()


@pytest.mark.parametrize("customers", [0, 57])
def test_the_team_page_costs_the_same_queries_whatever_the_number_of_customers(
    w, customers, django_assert_num_queries
):
    # given: 3 customers or 60, the team holding roles in each, with 1 member or 12
    AccessAssignment.objects.create(team=w.team, relationship=None, roles=[PASSWORD])
    AccessAssignment.objects.create(team=w.team, relationship=w.r_contoso, roles=[USER])
    more_customers(w, customers, held_by=w.team)
    for i in range(1 + customers // 5):
        TeamMembership.objects.create(
            team=w.team, user=make_partner_user(w.partner, level="teams", first_name=f"T{i}")
        )
    client = admin_client(w.admin)
    detail = url("team-detail", team_id=w.team.pk)
    client.get(detail)  # the session's first page loads what every page does
    # when / then: the session and its user, the team, the members, the default, the
    # page of assignments and their count, the customers offered and their count, the
    # staff to add and the groups
    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        assert client.get(detail, {"page": 2 if customers else 1}).status_code == 200
    with django_assert_num_queries(TEAM_PAGE_QUERIES):
        assert client.get(detail, {"q": "e"}).status_code == 200


TEAM_PAGE_QUERIES = 11


# --- at scale: the customer groups -----------------------------------------------------


def boxes(body: str) -> dict[str, bool]:
    """The customers the group form lists, by name, and whether each is ticked."""
    ticks = re.findall(
        r'(<input [^>]*type="checkbox" name="customers"[^>]*>)\s*'
        r'<label class="form-check-label" [^>]*>([^<]+)</label>',
        body,
    )
    return {name: " checked" in box for box, name in ticks}


def shown_ids(body: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="shown" value="([^"]+)">', body)


def group_of(w: Any, customers: list[Any]) -> CustomerGroup:
    group = CustomerGroup.objects.create(partner=w.partner, name="EU")
    group.customers.add(*customers)
    return group


def test_the_group_editor_lists_customers_a_page_at_a_time_with_those_in_the_group_ticked(w):
    zetas = [r.customer for r in more_customers(w, 60)]
    group = group_of(w, [w.adatum, zetas[10], zetas[55]])
    client = admin_client(w.admin)
    edit = url("customer-group-edit", group_id=group.pk)
    # when
    first = client.get(edit).content.decode()
    second = client.get(edit, {"page": 2}).content.decode()
    # then: 63 customers by name, 50 then 13, the group's ticked; its size said
    assert list(boxes(first)) == ["Adatum EU", "Contoso EU", "Northwind"] + [
        f"Zeta {i:02}" for i in range(47)
    ]
    assert [n for n, ticked in boxes(first).items() if ticked] == ["Adatum EU", "Zeta 10"]
    assert list(boxes(second)) == [f"Zeta {i:02}" for i in range(47, 60)]
    assert [n for n, ticked in boxes(second).items() if ticked] == ["Zeta 55"]
    assert len(shown_ids(first)) == 50
    assert shown_ids(second) == [str(c.pk) for c in zetas[47:]]
    assert "This group has 3 customers." in first
    assert "Page 2 of 2" in second


def test_the_group_editor_searches_by_name_and_keeps_the_search_in_its_pages(w):
    more_customers(w, 60)
    group = group_of(w, [])
    client = admin_client(w.admin)
    edit = url("customer-group-edit", group_id=group.pk)
    # when
    found = client.get(edit, {"q": "EU"}).content.decode()
    paged = client.get(edit, {"q": "zeta", "page": "2"}).content.decode()
    none = client.get(edit, {"q": "nothing like it"}).content.decode()
    # then
    assert list(boxes(found)) == ["Adatum EU", "Contoso EU"]
    assert list(boxes(paged)) == [f"Zeta {i}" for i in range(50, 60)]
    assert 'href="?q=zeta&amp;page=1"' in paged
    assert "No customer's name contains “nothing like it”." in none
    # and the new group form pages the same way
    new = client.get(url("customer-groups"), {"q": "zeta", "page": "2"}).content.decode()
    assert list(boxes(new)) == [f"Zeta {i}" for i in range(50, 60)]
    assert not any(boxes(new).values())


def test_a_save_on_page_two_leaves_the_customers_of_page_one_as_they_were(w):
    zetas = [r.customer for r in more_customers(w, 60)]
    group = group_of(w, [w.adatum, zetas[0], zetas[50]])
    client = admin_client(w.admin)
    edit = url("customer-group-edit", group_id=group.pk)
    second = client.get(edit, {"page": 2}).content.decode()
    # when: on page 2, Zeta 50 unticked and Zeta 59 ticked
    response = client.post(
        f"{edit}?page=2",
        {"name": "EU", "shown": shown_ids(second), "customers": [zetas[59].pk]},
    )
    # then: back on page 2; page 1's Adatum and Zeta 00 stay
    assert response.status_code == 302
    assert response["Location"] == f"{edit}?page=2"
    assert said(response) == "Customer group EU saved."
    assert set(group.customers.all()) == {w.adatum, zetas[0], zetas[59]}
    (event,) = AuditEvent.objects.filter(action=Action.CUSTOMER_GROUP_UPDATED)
    assert event.changes == {
        "customers_removed": [None, ["Zeta 50"]],
        "customers_added": [None, ["Zeta 59"]],
    }
    # when: the same again, as a double submit does
    again = client.post(
        f"{edit}?page=2",
        {"name": "EU", "shown": shown_ids(second), "customers": [zetas[59].pk]},
    )
    # then: nothing changes, nothing more is recorded
    assert again.status_code == 302
    assert set(group.customers.all()) == {w.adatum, zetas[0], zetas[59]}
    assert AuditEvent.objects.filter(action=Action.CUSTOMER_GROUP_UPDATED).count() == 1


@pytest.mark.parametrize("field", ["customers", "shown"])
@pytest.mark.parametrize("forged", ["another partner's", "not a customer", "garbage"])
def test_a_forged_customer_is_refused_with_a_message_and_nothing_written(w, field, forged):
    group = group_of(w, [w.adatum])
    other = make_partner(name="Litware")
    theirs = make_relationship(other, make_tenant(name="Fourth Coffee")).customer
    value = {
        "another partner's": str(theirs.pk),
        "not a customer": str(w.partner.pk),
        "garbage": "1 OR 1=1",
    }[forged]
    data = {"name": "Europe", "shown": [str(w.adatum.pk)], "customers": [str(w.contoso.pk)]}
    data[field] = [*data[field], value]
    # when
    response = admin_client(w.admin).post(url("customer-group-edit", group_id=group.pk), data)
    # then
    assert response.status_code == 400
    assert "Choose customers from the list." in response.content.decode()
    group.refresh_from_db()
    assert group.name == "EU"
    assert list(group.customers.all()) == [w.adatum]
    assert not AuditEvent.objects.filter(action=Action.CUSTOMER_GROUP_UPDATED).exists()


@pytest.mark.parametrize("customers", [0, 57])
def test_the_group_pages_cost_the_same_queries_whatever_the_number_of_customers(
    w, customers, django_assert_num_queries
):
    # given: 3 customers or 60, the group holding all but one, with 2 groups or 13
    zetas = [r.customer for r in more_customers(w, customers)]
    group = group_of(w, [w.adatum, w.contoso, *zetas])
    for i in range(1 + customers // 5):
        group_of_many = CustomerGroup.objects.create(partner=w.partner, name=f"G{i}")
        group_of_many.customers.add(w.northwind, *zetas)
    client = admin_client(w.admin)
    edit = url("customer-group-edit", group_id=group.pk)
    client.get(edit)  # the session's first page loads what every page does
    # when / then: the session and its user, then on the editor the group, the page of
    # customers and their count, those of them in the group and the group's size; on
    # the groups page the page of customers, their count and the groups with their sizes
    with django_assert_num_queries(GROUP_EDIT_QUERIES):
        assert client.get(edit, {"page": 2 if customers else 1}).status_code == 200
    with django_assert_num_queries(GROUP_EDIT_QUERIES):
        assert client.get(edit, {"q": "e"}).status_code == 200
    with django_assert_num_queries(GROUPS_PAGE_QUERIES):
        assert client.get(url("customer-groups")).status_code == 200


GROUP_EDIT_QUERIES = 7
GROUPS_PAGE_QUERIES = 5


def test_the_team_page_marks_what_it_holds_in_a_customer_whose_relationship_ended(w):
    AccessAssignment.objects.create(team=w.team, relationship=w.r_contoso, roles=[USER])
    AccessAssignment.objects.create(team=w.team, relationship=w.r_adatum, roles=[PASSWORD])
    Relationship.objects.filter(pk=w.r_contoso.pk).update(status=RelationshipStatus.TERMINATED)
    # when
    page = admin_client(w.admin).get(url("team-detail", team_id=w.team.pk)).content.decode()
    # then: the ended one says it gives nothing; the one in force does not
    rows = {name: _row_of(page, name) for name in ("Contoso EU", "Adatum EU")}
    assert "Ended" in rows["Contoso EU"]
    assert "these roles give nothing" in rows["Contoso EU"]
    assert "Ended" not in rows["Adatum EU"]


def _row_of(page: str, name: str) -> str:
    start = page.index(f'<th scope="row" class="text-break">{name}')
    return page[start : page.index("</tr>", start)]
