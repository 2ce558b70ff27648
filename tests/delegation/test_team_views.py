"""What agents in Teams mode see: the lookup and the customers list find only the
customers where their teams hold a role now, saying which and through which team; the
customer's Administrators page names each partner's teams, their roles and members; the
partner's Users page shows each person's teams. Constant queries on each page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from delegation.models import RelationshipStatus, TeamMembership
from tenants.models import Tenant, User
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


class World:
    partner: Tenant
    alex: User
    omar: User
    nina: User
    contoso: Tenant
    northwind: Tenant
    tailspin: Tenant
    megan: User


@pytest.fixture
def world():
    w = World()
    w.partner = make_partner(name="Fabrikam", domain="fabrikam.example")
    w.alex = make_partner_user(w.partner, roles=[Role.GLOBAL_ADMIN], email="alex@fabrikam.example")
    w.omar = make_partner_user(
        w.partner, level="teams", email="omar@fabrikam.example", first_name="Omar", last_name="Ali"
    )
    w.nina = make_partner_user(
        w.partner, level="teams", email="nina@fabrikam.example", first_name="Nina", last_name="Ek"
    )
    w.contoso = make_tenant(name="Contoso Ltd", domain="contoso.example")
    w.megan = make_user(w.contoso, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN])
    w.northwind = make_tenant(name="Northwind Traders", domain="northwind.example")
    w.tailspin = make_tenant(name="Tailspin Toys", domain="tailspin.example")
    contoso = make_relationship(w.partner, w.contoso)
    northwind = make_relationship(w.partner, w.northwind)
    make_relationship(w.partner, w.tailspin)
    make_team(
        w.partner,
        "Contoso project",
        members=[w.omar],
        assignments={contoso: [Role.USER_ADMIN]},
    )
    make_team(
        w.partner,
        "Helpdesk",
        members=[w.omar, w.nina],
        assignments={northwind: [Role.PASSWORD_ADMIN]},
    )
    return w


def lookup(client, q, **params):
    return client.get(reverse("delegation:lookup"), {"q": q, **params}).content.decode()


def found(body):
    return re.findall(r'<h3 class="h5 mb-0" id="tenant-[^"]+">([^<]+)</h3>', body)


def text(body):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


# --- Lookup and customers list ---------------------------------------------------------


def test_a_teams_agent_finds_only_customers_where_a_team_holds_a_role(client, world):
    # given
    sign_in(client, world.omar)
    # when: a name every customer matches
    body = lookup(client, "t")
    # then
    assert found(body) == ["Contoso Ltd", "Northwind Traders"]
    assert "Tailspin" not in body
    assert "User administrator, through Contoso project" in text(body)
    assert "Password administrator, through Helpdesk" in text(body)


def test_a_teams_agent_does_not_find_by_domain_where_no_team_holds_a_role(client, world):
    sign_in(client, world.nina)
    assert found(lookup(client, "northwind.example")) == ["Northwind Traders"]
    assert found(lookup(client, "contoso.example")) == []
    assert found(lookup(client, "megan@contoso.example")) == []


def test_a_default_assignment_finds_every_customer_and_a_former_one_stays_ended(client, world):
    # given: a team holding Password administrator in every customer, and a former one
    lee = make_partner_user(world.partner, level="teams")
    make_team(world.partner, "Everywhere", members=[lee], assignments={None: [Role.PASSWORD_ADMIN]})
    alpine = make_tenant(name="Alpine Ski House")
    make_relationship(world.partner, alpine, status=RelationshipStatus.TERMINATED)
    sign_in(client, lee)
    # when
    body = lookup(client, "t")
    # then
    assert found(body) == ["Contoso Ltd", "Northwind Traders", "Tailspin Toys"]
    assert text(body).count("Password administrator, through Everywhere") == 3
    ended = lookup(client, "alpine")
    assert found(ended) == ["Alpine Ski House"]
    assert "This relationship has ended" in ended


def test_roles_outside_the_grant_find_nothing(client, world):
    # given: a relationship granting Billing administrator only, and a team holding
    # Global administrator there: the card keeps what the grant allows
    wingtip = make_tenant(name="Wingtip Toys")
    relationship = make_relationship(world.partner, wingtip, roles=[Role.BILLING_ADMIN])
    make_team(
        world.partner,
        "Billing desk",
        members=[world.nina],
        assignments={relationship: [Role.GLOBAL_ADMIN]},
    )
    # and a grant of nothing at all, with a team holding a role there
    empty = make_tenant(name="Woodgrove Bank")
    nothing = make_relationship(world.partner, empty, roles=[])
    make_team(world.partner, "Bank", members=[world.nina], assignments={nothing: [Role.USER_ADMIN]})
    sign_in(client, world.nina)
    # when
    body = lookup(client, "w")
    # then
    assert found(body) == ["Northwind Traders", "Wingtip Toys"]
    assert "Billing administrator, through Billing desk" in text(body)


def test_removal_from_a_team_removes_the_customer_from_the_next_lookup(client, world):
    # given
    sign_in(client, world.omar)
    assert found(lookup(client, "contoso")) == ["Contoso Ltd"]
    # when
    TeamMembership.objects.filter(user=world.omar, team__name="Contoso project").delete()
    # then
    assert found(lookup(client, "contoso")) == []
    assert found(lookup(client, "t")) == ["Northwind Traders"]


def test_the_customers_list_of_a_teams_agent(client, world):
    # given: a former customer, kept as history
    make_relationship(
        world.partner, make_tenant(name="Alpine Ski House"), status=RelationshipStatus.TERMINATED
    )
    sign_in(client, world.nina)
    # when
    body = text(client.get(reverse("delegation:customers")).content.decode())
    # then
    assert "Northwind Traders" in body
    assert "Password administrator, through Helpdesk" in body
    assert "Alpine Ski House" in body
    assert "Contoso" not in body
    assert "Tailspin" not in body


def test_the_customers_list_of_a_full_agent_is_unchanged(client, world):
    lee = make_partner_user(world.partner, level="full")
    sign_in(client, lee)
    body = client.get(reverse("delegation:customers")).content.decode()
    assert all(name in body for name in ("Contoso Ltd", "Northwind Traders", "Tailspin Toys"))
    assert "Your roles" not in body


# Each: the session, the user (with tenant, roles, mfa, level), then as said.
TEAMS_LOOKUP_QUERIES = 7  # page, rels, domains, plans, the agent's assignments
TEAMS_CUSTOMERS_QUERIES = 6  # count, page, default domains, the agent's assignments


def grow(world, n, *, defaults=True):
    """``n`` more customers matching "t", ``n`` more teams (each with a role in one of
    them and, with ``defaults``, a default role) with Omar and ``n`` more members."""
    for i in range(n):
        tenant = make_tenant(name=f"Trey Research {world.partner.pk.hex[:4]}{i:03}")
        relationship = make_relationship(world.partner, tenant)
        make_team(
            world.partner,
            f"Team {tenant.name}",
            members=[world.omar, make_partner_user(world.partner, level="teams")],
            assignments={relationship: [Role.USER_ADMIN]}
            | ({None: [Role.SERVICE_SUPPORT_ADMIN]} if defaults else {}),
        )


def test_the_teams_agents_pages_cost_constant_queries(client, world, django_assert_num_queries):
    sign_in(client, world.omar)
    lookup_url = reverse("delegation:lookup")
    customers_url = reverse("delegation:customers")
    with django_assert_num_queries(TEAMS_LOOKUP_QUERIES):
        client.get(lookup_url, {"q": "t"})
    with django_assert_num_queries(TEAMS_CUSTOMERS_QUERIES):
        client.get(customers_url)
    # when
    grow(world, 30)
    # then
    with django_assert_num_queries(TEAMS_LOOKUP_QUERIES):
        body = client.get(lookup_url, {"q": "t"}).content.decode()
    assert len(found(body)) == 10
    with django_assert_num_queries(TEAMS_CUSTOMERS_QUERIES):
        body = client.get(customers_url).content.decode()
    assert "Page 1 of 2" in body


def test_a_teams_agent_pages_through_only_its_customers(client, world):
    # given: Omar reaches Contoso, Northwind and 12 more; not Tailspin, among them by name
    grow(world, 12, defaults=False)
    sign_in(client, world.omar)
    # when
    first = lookup(client, "t")
    cursor = re.findall(r"after=([0-9a-f-]+)", first)
    second = lookup(client, "t", after=cursor[0])
    # then
    assert len(found(first)) == 10
    assert len(found(second)) == 4
    assert "Tailspin Toys" not in found(first) + found(second)
    assert len(set(found(first) + found(second))) == 14
    # and Nina, in none of the new teams, still finds Northwind only
    sign_in(client, world.nina)
    assert found(lookup(client, "t")) == ["Northwind Traders"]


# --- The customer's Administrators page ---------------------------------------------


def administrators(client, customer):
    url = reverse("tenants:administrators", kwargs={"tenant_id": customer.pk})
    return client.get(url).content.decode()


def test_the_administrators_page_names_the_teams_their_roles_and_members(client, world):
    # given: a Full staff member, a former member of Contoso project, a disabled member
    make_partner_user(
        world.partner, level="full", email="lee@fabrikam.example", first_name="Lee", last_name="Gu"
    )
    former = make_partner_user(
        world.partner, level="teams", email="former@fabrikam.example", first_name="Fay"
    )
    team = TeamMembership.objects.get(user=world.omar, team__name="Contoso project").team
    TeamMembership.objects.create(team=team, user=former)
    TeamMembership.objects.filter(user=former).delete()
    disabled = make_partner_user(world.partner, level="teams", email="off@fabrikam.example")
    User.objects.filter(pk=disabled.pk).update(is_active=False)
    TeamMembership.objects.create(team=team, user=disabled)
    sign_in(client, world.megan)
    # when
    body = text(administrators(client, world.contoso))
    # then
    assert "Who at Fabrikam may act in Contoso Ltd" in body
    assert "Contoso project User administrator Omar Ali (omar@fabrikam.example)" in body
    assert "Helpdesk" not in body  # no role in Contoso
    assert "Nina" not in body
    assert "former@fabrikam.example" not in body
    assert "off@fabrikam.example" not in body
    assert "Lee Gu lee@fabrikam.example Full administration" in body


def test_a_team_holds_only_what_the_grant_allows_on_the_administrators_page(client, world):
    # given: Helpdesk holds Global administrator by default; Contoso grants User admin
    make_team(
        world.partner, "Escalation", members=[world.nina], assignments={None: [Role.GLOBAL_ADMIN]}
    )
    world.contoso.partner_relationships.update(roles=[Role.USER_ADMIN.value])
    sign_in(client, world.megan)
    # when
    body = text(administrators(client, world.contoso))
    # then
    assert "Escalation User administrator Nina Ek (nina@fabrikam.example)" in body
    assert "Escalation Global administrator" not in body


def test_the_administrators_page_never_shows_another_partners_teams(client, world):
    # given: another partner of Contoso with a team holding a role by default
    other = make_partner(name="Litware")
    make_relationship(other, world.contoso)
    sam = make_partner_user(other, level="teams", email="sam@litware.example", first_name="Sam")
    make_team(other, "Litware desk", members=[sam], assignments={None: [Role.PASSWORD_ADMIN]})
    # and a Fabrikam team holding a role in Northwind only
    sign_in(client, world.megan)
    # when
    body = text(administrators(client, world.contoso))
    # then: each partner's own teams under it (partners by name)
    fabrikam, litware = body.index("Who at Fabrikam"), body.index("Who at Litware")
    assert fabrikam < litware
    assert "Contoso project" in body[fabrikam:litware]
    assert "Litware desk" not in body[fabrikam:litware]
    assert "Litware desk Password administrator Sam" in body[litware:]
    assert "Contoso project" not in body[litware:]
    # and Northwind's page shows neither Litware nor Contoso project
    northwind_admin = make_user(world.northwind, roles=[Role.GLOBAL_ADMIN])
    sign_in(client, northwind_admin)
    body = text(administrators(client, world.northwind))
    assert "Litware" not in body
    assert "Contoso project" not in body
    assert "Helpdesk Password administrator" in body


# The session, the user, the tenant's administrators (two), then the relationships in
# force with their partners, the partners' Full and Limited staff, their teams holding
# something here, those teams' assignments here, and their members in Teams mode.
ADMINISTRATORS_QUERIES = 9


def test_the_administrators_page_costs_constant_queries(client, world, django_assert_num_queries):
    sign_in(client, world.megan)
    with django_assert_num_queries(ADMINISTRATORS_QUERIES):
        administrators(client, world.contoso)
    # when: more teams, members, staff and partners
    grow(world, 10)
    for _ in range(5):
        make_partner_user(world.partner, level="limited")
    other = make_partner(name="Litware")
    make_relationship(other, world.contoso)
    make_team(
        other,
        "Litware desk",
        members=[make_partner_user(other, level="teams") for _ in range(3)],
        assignments={None: [Role.PASSWORD_ADMIN]},
    )
    # then
    with django_assert_num_queries(ADMINISTRATORS_QUERIES):
        body = administrators(client, world.contoso)
    assert "Litware desk" in body
    assert body.count("Team Trey Research") == 10


# --- The partner's Users page ----------------------------------------------------------


def test_the_users_page_shows_each_persons_mode_and_teams(client, world):
    sign_in(client, world.alex)
    body = text(client.get(reverse("delegation:staff")).content.decode())
    assert "omar@fabrikam.example — Through teams Contoso project, Helpdesk" in body
    assert "nina@fabrikam.example — Through teams Helpdesk" in body
    assert "alex@fabrikam.example Global administrator No administrative access" in body


def test_the_users_page_costs_constant_queries(client, world, django_assert_num_queries):
    # the session, the user, then the count, the page, role assignments, teams
    sign_in(client, world.alex)
    with django_assert_num_queries(6):
        client.get(reverse("delegation:staff"))
    grow(world, 10)
    with django_assert_num_queries(6):
        body = client.get(reverse("delegation:staff")).content.decode()
    assert body.count("Team Trey Research") >= 10


@pytest.mark.parametrize(
    ("granted", "assigned", "shown"),
    [
        ({Role.GLOBAL_ADMIN}, {Role.GLOBAL_ADMIN}, (Role.GLOBAL_ADMIN,)),
        ({Role.USER_ADMIN}, {Role.GLOBAL_ADMIN}, (Role.USER_ADMIN,)),
        ({Role.GLOBAL_ADMIN}, {Role.PASSWORD_ADMIN}, (Role.PASSWORD_ADMIN,)),
        (
            {Role.BILLING_ADMIN, Role.PASSWORD_ADMIN},
            {Role.GLOBAL_ADMIN},
            (
                Role.PASSWORD_ADMIN,
                Role.BILLING_ADMIN,
            ),
        ),
        ({Role.BILLING_ADMIN}, set(), ()),
    ],
)
def test_the_roles_a_team_is_said_to_hold_are_within_the_grant(granted, assigned, shown):
    from delegation.access import roles_held

    assert roles_held(frozenset(granted), frozenset(assigned)) == shown


def test_a_teams_agents_empty_lookup_says_why(client, world):
    sign_in(client, world.nina)
    body = text(lookup(client, "tailspin"))
    assert "No customer found" in body
    assert "You find only customers where one of your teams holds a role" in body
