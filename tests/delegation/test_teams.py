"""Technician teams: the partner admin's services (audited, refused to anyone else,
harmless when repeated), the roles they give agents in Teams mode at the next request,
the demo's teams, Django admin's read-only view, and a removal racing an agent's act."""

from __future__ import annotations

import io
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from delegation.access import rights, rights_in
from delegation.models import (
    AccessAssignment,
    AccessLevel,
    AgentAccess,
    Relationship,
    RelationshipStatus,
    Team,
    TeamMembership,
)
from delegation.services import agent_access_set
from delegation.teams import (
    assignment_remove,
    assignment_set,
    assignment_set_bulk,
    customer_group_create,
    customer_group_delete,
    customer_group_relationships,
    customer_group_update,
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_update,
)
from tenants.models import Tenant, User
from tenants.roles import Permission as P
from tenants.roles import Role
from tenants.services import user_create, user_password_reset
from tests.factories import (
    enrol_totp,
    make_partner,
    make_partner_user,
    make_relationship,
    make_team,
    make_tenant,
    make_user,
    sign_in,
)
from tests.racing import race

pytestmark = pytest.mark.django_db

PASSWORD = Role.PASSWORD_ADMIN.value
USER = Role.USER_ADMIN.value
BILLING = Role.BILLING_ADMIN.value
HELPDESK = (Role.PASSWORD_ADMIN, Role.SERVICE_SUPPORT_ADMIN)


def fresh(user: User) -> User:
    return User.objects.select_related("tenant", "agent_access").get(pk=user.pk)


def events(partner: Tenant, action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(tenant=partner, action=action).order_by("seq"))


@pytest.fixture
def partner():
    return make_partner(name="Fabrikam")


@pytest.fixture
def alex(partner):
    return make_partner_user(partner, roles=[Role.GLOBAL_ADMIN], first_name="Alex")


@pytest.fixture
def second_admin(partner):
    return make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])


@pytest.fixture
def agent(partner):
    return make_partner_user(partner, level=AccessLevel.TEAMS, first_name="Nina")


@pytest.fixture
def contoso(partner):
    return make_relationship(partner, make_tenant(name="Contoso"), roles=[Role.GLOBAL_ADMIN])


@pytest.fixture
def northwind(partner):
    return make_relationship(partner, make_tenant(name="Northwind"), roles=HELPDESK)


@pytest.fixture
def helpdesk(alex):
    return team_create(partner_admin=alex, name="Helpdesk", description="First line")


# --- teams -----------------------------------------------------------------------------


def test_creating_a_team_is_audited_and_its_name_is_unique_in_any_case(partner, alex):
    team = team_create(partner_admin=alex, name="  Helpdesk ", description="First line")
    assert (team.partner, team.name) == (partner, "Helpdesk")
    (event,) = events(partner, Action.TEAM_CREATED)
    assert (event.actor, event.target_id, event.target_repr) == (alex, str(team.pk), "Helpdesk")
    with pytest.raises(ValidationError, match="already has a team of this name"):
        team_create(partner_admin=alex, name="HELPDESK")
    # another partner may use the name
    other_admin = make_partner_user(make_partner(), roles=[Role.GLOBAL_ADMIN])
    assert team_create(partner_admin=other_admin, name="Helpdesk").name == "Helpdesk"


def test_updating_a_team_records_only_what_changed(partner, alex, helpdesk):
    team_update(partner_admin=alex, team=helpdesk, name="Service desk", description="First line")
    team_update(partner_admin=alex, team=helpdesk, name="Service desk", description="First line")
    (event,) = events(partner, Action.TEAM_UPDATED)
    assert event.changes == {"name": ["Helpdesk", "Service desk"]}


def test_only_the_partners_admins_act_on_its_teams(partner, alex, agent, helpdesk, contoso):
    other_admin = make_partner_user(make_partner(), roles=[Role.GLOBAL_ADMIN])
    for actor in (agent, contoso.accepted_by):
        with pytest.raises(PermissionDenied):
            team_create(partner_admin=actor, name="Mine")
        with pytest.raises(PermissionDenied):
            customer_group_create(partner_admin=actor, name="EU")
    # another partner's admin: no reach into this partner's teams
    acts = [
        lambda u: team_update(partner_admin=u, team=helpdesk, name="X", description=""),
        lambda u: team_member_add(partner_admin=u, team=helpdesk, user=agent),
        lambda u: team_member_remove(partner_admin=u, team=helpdesk, user=agent),
        lambda u: assignment_set(
            partner_admin=u, team=helpdesk, relationship=contoso, roles=[PASSWORD]
        ),
        lambda u: assignment_remove(partner_admin=u, team=helpdesk, relationship=None),
        lambda u: assignment_set_bulk(
            partner_admin=u,
            team=helpdesk,
            roles=[PASSWORD],
            relationships=Relationship.objects.all(),
        ),
        lambda u: team_delete(partner_admin=u, team=helpdesk),
    ]
    for actor in (agent, other_admin, contoso.accepted_by):
        for act in acts:
            with pytest.raises(PermissionDenied):
                act(actor)
    assert Team.objects.filter(partner=partner).count() == 1
    assert not TeamMembership.objects.exists()
    assert not AccessAssignment.objects.exists()


def test_deleting_a_team_removes_its_members_and_assignments_and_says_so(
    partner, alex, agent, helpdesk, contoso
):
    # given
    team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    assignment_set(partner_admin=alex, team=helpdesk, relationship=contoso, roles=[PASSWORD])
    assert rights(fresh(agent), contoso.customer)
    # when
    assert team_delete(partner_admin=alex, team=helpdesk)
    # then: gone with its rows, the agent holds nothing, a repeat is harmless
    assert not TeamMembership.objects.exists()
    assert not AccessAssignment.objects.exists()
    assert not rights(fresh(agent), contoso.customer)
    assert not team_delete(partner_admin=alex, team=helpdesk)
    (event,) = events(partner, Action.TEAM_DELETED)
    assert event.changes == {
        "name": ["Helpdesk", None],
        "members": [[agent.email], None],
        "held": [{"Contoso": [PASSWORD]}, None],
    }


# --- members ---------------------------------------------------------------------------


def test_adding_a_member_twice_adds_and_records_it_once(partner, alex, agent, helpdesk):
    assert team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    assert not team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    assert list(helpdesk.memberships.values_list("user", flat=True)) == [agent.pk]
    (event,) = events(partner, Action.TEAM_MEMBER_ADDED)
    assert (event.target_id, event.changes) == (str(agent.pk), {"team": [None, "Helpdesk"]})


def test_removing_a_member_is_recorded_once(partner, alex, agent, helpdesk):
    team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    assert team_member_remove(partner_admin=alex, team=helpdesk, user=agent)
    assert not team_member_remove(partner_admin=alex, team=helpdesk, user=agent)
    (event,) = events(partner, Action.TEAM_MEMBER_REMOVED)
    assert event.changes == {"team": ["Helpdesk", None]}


def test_only_the_partners_own_staff_join_its_teams(alex, helpdesk):
    outsider = make_partner_user(make_partner(), level=AccessLevel.TEAMS)
    customer_user = make_user(make_tenant())
    for user in (outsider, customer_user):
        with pytest.raises(ValidationError, match="own staff"):
            team_member_add(partner_admin=alex, team=helpdesk, user=user)
    membership = TeamMembership(team=helpdesk, user=outsider)
    with pytest.raises(ValidationError, match="own staff"):
        membership.full_clean()


def test_an_admin_does_not_add_itself_to_a_team_while_another_admin_can(
    partner, alex, second_admin, helpdesk
):
    with pytest.raises(ValidationError) as refused:
        team_member_add(partner_admin=alex, team=helpdesk, user=alex)
    assert refused.value.code == "self_escalation"
    # the other admin does it: four eyes
    assert team_member_add(partner_admin=second_admin, team=helpdesk, user=alex)


def test_the_only_admin_adds_itself_only_after_signing_in_again(alex, helpdesk):
    with pytest.raises(ValidationError) as refused:
        team_member_add(partner_admin=alex, team=helpdesk, user=alex)
    assert refused.value.code == "self_escalation_reauth"
    assert team_member_add(partner_admin=alex, team=helpdesk, user=alex, reauthenticated=True)


def test_an_admin_in_a_team_does_not_give_that_team_more(alex, second_admin, helpdesk, contoso):
    team_member_add(partner_admin=second_admin, team=helpdesk, user=alex)
    with pytest.raises(ValidationError, match="give yourself access"):
        assignment_set(partner_admin=alex, team=helpdesk, relationship=contoso, roles=[USER])
    assignment_set(partner_admin=second_admin, team=helpdesk, relationship=contoso, roles=[USER])
    # less is always allowed
    assignment_set(partner_admin=alex, team=helpdesk, relationship=contoso, roles=[PASSWORD])


# --- assignments -----------------------------------------------------------------------


def test_a_team_never_holds_a_role_the_customer_did_not_grant(alex, helpdesk, northwind):
    with pytest.raises(ValidationError, match="Northwind did not grant User administrator"):
        assignment_set(partner_admin=alex, team=helpdesk, relationship=northwind, roles=[USER])
    assert not AccessAssignment.objects.exists()


def test_a_role_within_a_global_admin_grant_may_be_held(alex, agent, helpdesk, contoso):
    team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    assignment = assignment_set(
        partner_admin=alex, team=helpdesk, relationship=contoso, roles=[USER]
    )
    assert assignment.roles == [USER]
    assert rights(fresh(agent), contoso.customer).has(P.MANAGE_USERS)


def test_setting_an_assignment_twice_records_it_once_with_old_and_new_roles(
    partner, alex, helpdesk, contoso
):
    assignment_set(partner_admin=alex, team=helpdesk, relationship=contoso, roles=[PASSWORD])
    assignment_set(partner_admin=alex, team=helpdesk, relationship=contoso, roles=[PASSWORD])
    assignment_set(
        partner_admin=alex, team=helpdesk, relationship=contoso, roles=[USER, PASSWORD, USER]
    )
    assert list(AccessAssignment.objects.values_list("roles", flat=True)) == [[USER, PASSWORD]]
    first, second = events(partner, Action.TEAM_ASSIGNMENT_SET)
    assert first.target_repr == "Helpdesk in Contoso"
    assert first.changes == {"roles": [None, [PASSWORD]]}
    assert second.changes == {"roles": [[PASSWORD], [USER, PASSWORD]]}


def test_a_default_assignment_takes_any_roles_and_each_customer_keeps_what_it_granted(
    alex, agent, helpdesk, contoso, northwind
):
    team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    assignment_set(partner_admin=alex, team=helpdesk, relationship=None, roles=[USER])
    assert rights(fresh(agent), contoso.customer).has(P.MANAGE_USERS)
    northwind_rights = rights(fresh(agent), northwind.customer)
    assert northwind_rights.has(P.RESET_PASSWORDS)
    assert not northwind_rights.has(P.MANAGE_USERS)


def test_an_unknown_role_an_empty_set_an_ended_or_foreign_relationship_are_refused(
    partner, alex, helpdesk, contoso
):
    with pytest.raises(ValidationError, match="Unknown role"):
        assignment_set(partner_admin=alex, team=helpdesk, relationship=None, roles=["root"])
    with pytest.raises(ValidationError, match="at least one role"):
        assignment_set(partner_admin=alex, team=helpdesk, relationship=None, roles=[])
    ended = make_relationship(partner, make_tenant(), status=RelationshipStatus.TERMINATED)
    with pytest.raises(ValidationError, match="has ended"):
        assignment_set(partner_admin=alex, team=helpdesk, relationship=ended, roles=[PASSWORD])
    foreign = make_relationship(make_partner(), make_tenant())
    with pytest.raises(PermissionDenied):
        assignment_set(partner_admin=alex, team=helpdesk, relationship=foreign, roles=[PASSWORD])
    other_team = make_team(make_partner(), "Theirs")
    with pytest.raises(PermissionDenied):
        assignment_set(partner_admin=alex, team=other_team, relationship=None, roles=[PASSWORD])


def test_removing_an_assignment_cuts_access_at_the_next_call(
    partner, alex, agent, helpdesk, contoso
):
    team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    assignment_set(partner_admin=alex, team=helpdesk, relationship=contoso, roles=[PASSWORD])
    same = fresh(agent)
    assert rights_in(same, contoso.customer_id)
    assert assignment_remove(partner_admin=alex, team=helpdesk, relationship=contoso)
    assert not assignment_remove(partner_admin=alex, team=helpdesk, relationship=contoso)
    assert not rights_in(same, contoso.customer_id)
    (event,) = events(partner, Action.TEAM_ASSIGNMENT_REMOVED)
    assert event.changes == {"roles": [[PASSWORD], None]}


def test_a_bulk_assignment_clips_each_customer_to_its_grant_in_one_event(
    partner, alex, agent, helpdesk, contoso, northwind, django_assert_max_num_queries
):
    # given: a third customer whose relationship has ended, and another partner's
    ended = make_relationship(partner, make_tenant(name="Gone"), status="terminated")
    foreign = make_relationship(make_partner(), make_tenant(name="Theirs"))
    billing_only = make_relationship(
        partner, make_tenant(name="Tailspin"), roles=[Role.BILLING_ADMIN]
    )
    team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    # when
    changed = assignment_set_bulk(
        partner_admin=alex,
        team=helpdesk,
        roles=[USER, PASSWORD],
        relationships=Relationship.objects.all(),
    )
    # then: Contoso both, Northwind password only, Tailspin nothing, the others untouched
    held = dict(AccessAssignment.objects.values_list("relationship__customer__name", "roles"))
    assert held == {"Contoso": [USER, PASSWORD], "Northwind": [PASSWORD]}
    assert changed == 2
    (event,) = events(partner, Action.TEAM_ASSIGNMENT_SET)
    assert event.changes == {
        "roles": [None, [USER, PASSWORD]],
        "customers": [None, ["Contoso", "Northwind"]],
    }
    assert not rights(fresh(agent), ended.customer)
    assert not rights(fresh(agent), foreign.customer)
    assert not rights(fresh(agent), billing_only.customer)
    # and again: nothing changes, nothing is recorded
    assert (
        assignment_set_bulk(
            partner_admin=alex,
            team=helpdesk,
            roles=[USER, PASSWORD],
            relationships=Relationship.objects.all(),
        )
        == 0
    )
    assert len(events(partner, Action.TEAM_ASSIGNMENT_SET)) == 1


@pytest.mark.parametrize("customers", [2, 12])
def test_a_bulk_assignment_costs_the_same_queries_for_any_number_of_customers(
    partner, alex, helpdesk, customers, django_assert_num_queries
):
    for _ in range(customers):
        make_relationship(partner, make_tenant())
    # then: roles of the partner admin, its locks, the reads, one insert, the audit
    admin = fresh(alex)
    team = Team.objects.get(pk=helpdesk.pk)
    with django_assert_num_queries(12):
        assert (
            assignment_set_bulk(
                partner_admin=admin,
                team=team,
                roles=[PASSWORD],
                relationships=Relationship.objects.filter(partner=partner),
            )
            == customers
        )


# --- customer groups -------------------------------------------------------------------


def test_a_customer_group_chooses_the_customers_of_a_bulk_assignment(
    partner, alex, agent, helpdesk, contoso, northwind
):
    # given
    group = customer_group_create(partner_admin=alex, name="EU", customers=[northwind.customer])
    team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    # when
    assignment_set_bulk(
        partner_admin=alex,
        team=helpdesk,
        roles=[PASSWORD],
        relationships=customer_group_relationships(group),
    )
    # then
    assert rights(fresh(agent), northwind.customer).has(P.RESET_PASSWORDS)
    assert not rights(fresh(agent), contoso.customer)
    # the group changes, is renamed and deleted, each recorded
    customer_group_update(
        partner_admin=alex, group=group, name="Europe", customers=[northwind.customer]
    )
    assert events(partner, Action.CUSTOMER_GROUP_UPDATED)[0].changes == {"name": ["EU", "Europe"]}
    with pytest.raises(ValidationError, match="own customers"):
        customer_group_update(partner_admin=alex, group=group, customers=[make_tenant()])
    with pytest.raises(ValidationError, match="already has a customer group"):
        customer_group_create(partner_admin=alex, name="europe")
    assert customer_group_delete(partner_admin=alex, group=group)
    assert not customer_group_delete(partner_admin=alex, group=group)
    assert len(events(partner, Action.CUSTOMER_GROUP_CREATED)) == 1
    assert len(events(partner, Action.CUSTOMER_GROUP_DELETED)) == 1


def test_a_group_change_within_the_customers_shown_leaves_the_others_alone(
    partner, alex, contoso, northwind
):
    # given: a group of Contoso and Tailspin; a page showing Contoso and Northwind
    tailspin = make_relationship(partner, make_tenant(name="Tailspin")).customer
    group = customer_group_create(
        partner_admin=alex, name="EU", customers=[contoso.customer, tailspin]
    )
    # when: on that page, Contoso unticked and Northwind ticked
    customer_group_update(
        partner_admin=alex,
        group=group,
        customers=[northwind.customer],
        within=[contoso.customer, northwind.customer],
    )
    # then: Tailspin, not shown, stays; the event names only what changed, in words
    assert set(group.customers.all()) == {northwind.customer, tailspin}
    (event,) = events(partner, Action.CUSTOMER_GROUP_UPDATED)
    assert event.changes == {
        "customers_added": [None, ["Northwind"]],
        "customers_removed": [None, ["Contoso"]],
    }
    assert event.change_rows == [
        ("Customers added", None, "Northwind"),
        ("Customers removed", None, "Contoso"),
    ]
    # when: again, and with nothing shown
    customer_group_update(
        partner_admin=alex,
        group=group,
        customers=[northwind.customer],
        within=[contoso.customer, northwind.customer],
    )
    customer_group_update(partner_admin=alex, group=group, customers=[], within=[])
    # then: nothing changed, nothing more recorded
    assert set(group.customers.all()) == {northwind.customer, tailspin}
    assert len(events(partner, Action.CUSTOMER_GROUP_UPDATED)) == 1
    # when: without ``within``, the group holds exactly the customers given
    customer_group_update(partner_admin=alex, group=group, customers=[contoso.customer])
    # then
    assert list(group.customers.all()) == [contoso.customer]
    assert events(partner, Action.CUSTOMER_GROUP_UPDATED)[-1].changes == {
        "customers_removed": [None, ["Northwind", "Tailspin"]],
        "customers_added": [None, ["Contoso"]],
    }


def test_a_group_change_shown_another_partners_customer_is_refused(partner, alex, contoso):
    group = customer_group_create(partner_admin=alex, name="EU", customers=[contoso.customer])
    theirs = make_relationship(make_partner(), make_tenant(name="Theirs")).customer
    # when / then
    with pytest.raises(ValidationError, match="own customers"):
        customer_group_update(
            partner_admin=alex, group=group, customers=[], within=[contoso.customer, theirs]
        )
    assert list(group.customers.all()) == [contoso.customer]
    assert not events(partner, Action.CUSTOMER_GROUP_UPDATED)


@pytest.mark.parametrize("customers", [3, 40])
def test_a_group_change_costs_the_same_queries_for_any_size_of_group(
    partner, alex, customers, django_assert_num_queries
):
    # given: a group of ``customers``, a page showing all of them
    shown = [make_relationship(partner, make_tenant()).customer for _ in range(customers)]
    group = customer_group_create(partner_admin=alex, name="EU", customers=shown)
    extra = make_relationship(partner, make_tenant()).customer
    admin = fresh(alex)
    # when: the first unticked, another ticked; in the transaction: the admin's roles,
    # the partner's and the group's locks, the check of the customers, the members
    # shown, one delete, one insert, the audit event and its chain
    with django_assert_num_queries(GROUP_UPDATE_QUERIES):
        customer_group_update(
            partner_admin=admin,
            group=group,
            customers=[*shown[1:], extra],
            within=[*shown, extra],
        )
    # then
    assert group.customers.count() == customers
    assert not group.customers.filter(pk=shown[0].pk).exists()


GROUP_UPDATE_QUERIES = 12


# --- the mode ----------------------------------------------------------------------------


def test_a_staff_member_is_put_in_teams_mode_audited_like_the_other_levels(partner, alex, contoso):
    # given: a Limited agent in a team that holds User administrator in Contoso
    staff = make_partner_user(partner, level=AccessLevel.LIMITED)
    make_team(partner, "Contoso project", members=[staff], assignments={contoso: [Role.USER_ADMIN]})
    assert not rights(fresh(staff), contoso.customer).has(P.MANAGE_USERS)
    # when
    agent_access_set(partner_admin=alex, staff_user=staff, level=AccessLevel.TEAMS)
    # then: one mode at a time, and the change is in the log
    assert AgentAccess.objects.get(user=staff).level == AccessLevel.TEAMS
    r = rights(fresh(staff), contoso.customer)
    assert r.has(P.MANAGE_USERS)
    assert r.teams == ("Contoso project",)
    (event,) = AuditEvent.objects.filter(action=Action.AGENT_ACCESS_CHANGED)
    assert event.changes == {"level": [AccessLevel.LIMITED, AccessLevel.TEAMS]}


def test_moving_oneself_from_limited_to_teams_needs_another_admin(partner, alex, second_admin):
    AgentAccess.objects.create(user=alex, level=AccessLevel.LIMITED)
    with pytest.raises(ValidationError, match="cannot raise your own"):
        agent_access_set(partner_admin=alex, staff_user=alex, level=AccessLevel.TEAMS)
    # from Full, Teams is a step down
    AgentAccess.objects.filter(user=alex).update(level=AccessLevel.FULL)
    agent_access_set(partner_admin=alex, staff_user=alex, level=AccessLevel.TEAMS)


# --- demo, admin ---------------------------------------------------------------------------


def test_seed_demo_gives_fabrikam_two_teams_with_distinct_members():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    fabrikam = Tenant.objects.get(name="Fabrikam Partners")
    contoso = Tenant.objects.get(name="Contoso")
    northwind = Tenant.objects.get(name="Northwind Traders")
    teams = {t.name: t for t in Team.objects.filter(partner=fabrikam)}
    assert set(teams) == {"Helpdesk", "Contoso project"}
    members = {
        name: [m.user.email for m in team.memberships.select_related("user")]
        for name, team in teams.items()
    }
    assert members == {
        "Helpdesk": ["nina@fabrikam.example"],
        "Contoso project": ["omar@fabrikam.example"],
    }
    nina = fresh(User.objects.get(email="nina@fabrikam.example"))
    omar = fresh(User.objects.get(email="omar@fabrikam.example"))
    assert agent_level_of(nina) == agent_level_of(omar) == AccessLevel.TEAMS
    # Helpdesk: password resets in every customer; Contoso project: users in Contoso only
    for customer in (contoso, northwind):
        r = rights(nina, customer)
        assert r.has(P.RESET_PASSWORDS)
        assert not r.has(P.MANAGE_USERS)
        assert r.teams == ("Helpdesk",)
    assert rights(omar, contoso).has(P.MANAGE_USERS)
    assert rights(omar, contoso).teams == ("Contoso project",)
    assert not rights(omar, northwind)
    # both enrolled in TOTP, as every demo partner account
    from allauth.mfa.models import Authenticator

    assert Authenticator.objects.filter(user__in=[nina, omar]).count() == 2
    # the adele and lee of the walk-through keep no level until alex gives them one
    assert not AgentAccess.objects.filter(
        user__email__in=["adele@fabrikam.example", "lee@fabrikam.example"]
    ).exists()


def agent_level_of(user: User) -> str:
    from delegation.access import agent_level

    return agent_level(user)


@pytest.fixture
def operator():
    ops = Tenant.objects.create(kind="operator", name="Platform operators")
    user = user_create(
        tenant=ops, email="ops@platform.test", password="x" * 16, is_staff=True, is_superuser=True
    )
    enrol_totp(user)
    return user


def test_operators_see_teams_and_assignments_in_django_admin_read_only(
    client, operator, alex, agent, helpdesk, contoso
):
    # given
    team_member_add(partner_admin=alex, team=helpdesk, user=agent)
    assignment = assignment_set(
        partner_admin=alex, team=helpdesk, relationship=contoso, roles=[PASSWORD]
    )
    sign_in(client, operator)
    # then: listed with partner, members and roles
    teams = client.get(reverse("admin:delegation_team_changelist")).content.decode()
    assert "Helpdesk" in teams
    assert "Fabrikam" in teams
    assert agent.email in teams
    listed = client.get(reverse("admin:delegation_accessassignment_changelist"))
    assert "Password administrator" in listed.content.decode()
    assert "Contoso" in listed.content.decode()
    page = client.get(reverse("admin:delegation_team_change", args=[helpdesk.pk]))
    assert page.status_code == 200
    assert agent.email in page.content.decode()
    # nothing is changed there
    assert client.get(reverse("admin:delegation_team_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:delegation_team_change", args=[helpdesk.pk]),
            {"name": "Renamed", "partner": str(helpdesk.partner_id)},
        ).status_code
        == 403
    )
    assert (
        client.get(reverse("admin:delegation_team_delete", args=[helpdesk.pk])).status_code == 403
    )
    assert (
        client.get(
            reverse("admin:delegation_accessassignment_delete", args=[assignment.pk])
        ).status_code
        == 403
    )
    assert Team.objects.get(pk=helpdesk.pk).name == "Helpdesk"


def test_a_partner_admin_with_admin_access_sees_no_teams_there(client, partner, helpdesk):
    staff_admin = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN], is_staff=True)
    sign_in(client, staff_admin)
    assert client.get(reverse("admin:delegation_team_changelist")).status_code == 403
    assert client.get(reverse("admin:delegation_accessassignment_changelist")).status_code == 403


# --- a removal racing the member's acts (PostgreSQL) --------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_member_removed_while_it_acts_is_refused_from_its_next_request():
    for _ in range(3):
        removal_round()


def removal_round() -> None:
    # given: an agent in Teams mode resetting passwords in a customer through its team
    partner = make_partner()
    alex = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    agent = make_partner_user(partner, level=AccessLevel.TEAMS)
    relationship = make_relationship(partner, make_tenant(), roles=HELPDESK)
    customer = relationship.customer
    target = make_user(customer, mfa=False)
    team = make_team(
        partner, "Helpdesk", members=[agent], assignments={relationship: [Role.PASSWORD_ADMIN]}
    )
    acts: list[tuple[float, bool]] = []
    removed_at: list[float] = []

    def act() -> object:
        # each act is a request: the agent loaded afresh, then the service
        for _ in range(400):
            started = time.monotonic()
            try:
                user_password_reset(acting_user=fresh(agent), tenant=customer, user=target)
            except PermissionDenied:
                acts.append((started, False))
                return "refused"
            acts.append((started, True))
        return "never refused"

    def remove() -> object:
        time.sleep(0.05)
        done = team_member_remove(partner_admin=alex, team=team, user=agent)
        removed_at.append(time.monotonic())  # the removal has committed
        return done

    # when
    results = race([act, remove])
    # then: refused once the removal committed; no act begun after it went through
    assert results == ["refused", True], results
    assert any(ok for _, ok in acts), "the agent acted before the removal"
    assert not [started for started, ok in acts if ok and started > removed_at[0]]
    assert not rights_in(fresh(agent), customer.pk)


def test_customers_shown_given_once_through_are_checked_and_used_alike(partner, alex, contoso):
    group = customer_group_create(partner_admin=alex, name="EU", customers=[contoso.customer])
    theirs = make_relationship(make_partner(), make_tenant(name="Theirs")).customer
    # when / then: a generator of the customers shown is read once, and still checked
    with pytest.raises(ValidationError, match="own customers"):
        customer_group_update(
            partner_admin=alex,
            group=group,
            customers=[],
            within=(c for c in [contoso.customer, theirs]),
        )
    assert list(group.customers.all()) == [contoso.customer]
    customer_group_update(
        partner_admin=alex, group=group, customers=[], within=(c for c in [contoso.customer])
    )
    assert list(group.customers.all()) == []
