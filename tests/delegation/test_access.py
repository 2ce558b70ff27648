"""The one authorisation rule: home roles, agents through relationships, and the
password rule, each case spelled out rather than recomputed."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from delegation.access import (
    can_reset_password,
    missing_permission,
    require,
    rights,
    rights_in,
    rights_via_relationship,
    team_assignments_of,
    tenant_rights_or_404,
)
from delegation.models import AgentAccess, Relationship, RelationshipStatus, TeamMembership
from delegation.selectors import has_agent_access
from tenants.models import Tenant, User
from tenants.roles import Permission as P
from tenants.roles import Role
from tenants.services import user_roles, user_set_enabled
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_team,
    make_tenant,
    make_user,
)

pytestmark = pytest.mark.django_db

ALL = frozenset(P)
# Literal sets, so that a change to the catalogue shows up here as a decision.
AGENT_GLOBAL = frozenset(
    {
        P.VIEW_TENANT,
        P.MANAGE_USERS,
        P.RESET_PASSWORDS,
        P.RESET_ADMIN_PASSWORDS,
        P.ASSIGN_ROLES,
        P.MANAGE_DOMAINS,
        P.VIEW_BILLING,
        P.MANAGE_BILLING,
        P.VIEW_SERVICE_REQUESTS,
        P.MANAGE_SERVICE_REQUESTS,
        P.VIEW_ADMINISTRATORS,
        P.VIEW_AUDIT,
    }
)
PASSWORD_ADMIN = frozenset(
    {
        P.VIEW_TENANT,
        P.VIEW_ADMINISTRATORS,
        P.RESET_PASSWORDS,
        P.VIEW_SERVICE_REQUESTS,
        P.MANAGE_SERVICE_REQUESTS,
    }
)
USER_ADMIN = PASSWORD_ADMIN | {P.MANAGE_USERS}
BILLING_ADMIN = frozenset(
    {
        P.VIEW_TENANT,
        P.VIEW_ADMINISTRATORS,
        P.VIEW_BILLING,
        P.MANAGE_BILLING,
        P.VIEW_SERVICE_REQUESTS,
        P.MANAGE_SERVICE_REQUESTS,
    }
)
SUPPORT_ONLY = frozenset(
    {P.VIEW_TENANT, P.VIEW_ADMINISTRATORS, P.VIEW_SERVICE_REQUESTS, P.MANAGE_SERVICE_REQUESTS}
)

FULL_PRESET = (Role.GLOBAL_ADMIN,)
HELPDESK_PRESET = (Role.PASSWORD_ADMIN, Role.SERVICE_SUPPORT_ADMIN)
USER_MANAGEMENT_PRESET = (Role.USER_ADMIN, Role.PASSWORD_ADMIN)


def fresh(user: User) -> User:
    """The user as the next request loads it: nothing cached on the instance."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def partner():
    return make_partner(name="Fabrikam")


@pytest.fixture
def customer():
    return make_tenant(name="Contoso")


# --- at home ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([Role.GLOBAL_ADMIN], ALL),
        ([Role.USER_ADMIN], USER_ADMIN),
        ([Role.PASSWORD_ADMIN], PASSWORD_ADMIN),
        ([Role.BILLING_ADMIN], BILLING_ADMIN),
        ([Role.SERVICE_SUPPORT_ADMIN], SUPPORT_ONLY),
        ([Role.BILLING_ADMIN, Role.PASSWORD_ADMIN], BILLING_ADMIN | PASSWORD_ADMIN),
        ([], frozenset()),
    ],
)
def test_at_home_a_user_holds_its_own_roles_permissions(customer, roles, expected):
    # given
    user = make_user(customer, roles=roles)
    # when
    r = rights(user, customer)
    # then
    assert r.permissions == expected
    assert r.via == "home"
    assert r.roles == frozenset(roles)
    assert not r.is_agent
    assert r.relationship is None


def test_a_home_admin_has_nothing_in_another_customer(customer):
    other = make_tenant()
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    assert rights(admin, other).permissions == frozenset()


def test_a_partner_admin_holds_its_roles_at_home_but_nothing_at_a_customer_without_a_level(
    partner, customer
):
    # given
    admin = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN], level="none")
    make_relationship(partner, customer, roles=FULL_PRESET)
    # then
    assert rights(admin, partner).permissions == ALL
    assert rights(admin, customer).permissions == frozenset()


def test_anonymous_and_disabled_users_hold_nothing(customer):
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    user_set_enabled(user=admin, enabled=False)
    assert rights(AnonymousUser(), customer).permissions == frozenset()
    assert rights(fresh(admin), customer).permissions == frozenset()
    assert rights(None, customer).permissions == frozenset()


# --- agents ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "roles", "expected"),
    [
        ("full", FULL_PRESET, AGENT_GLOBAL),
        ("full", HELPDESK_PRESET, PASSWORD_ADMIN),
        ("full", USER_MANAGEMENT_PRESET, USER_ADMIN),
        ("full", (Role.BILLING_ADMIN,), BILLING_ADMIN),
        ("full", (Role.SERVICE_SUPPORT_ADMIN,), SUPPORT_ONLY),
        ("limited", FULL_PRESET, PASSWORD_ADMIN),
        ("limited", HELPDESK_PRESET, PASSWORD_ADMIN),
        ("limited", USER_MANAGEMENT_PRESET, PASSWORD_ADMIN),
        ("limited", (Role.BILLING_ADMIN,), SUPPORT_ONLY),
        ("limited", (Role.SERVICE_SUPPORT_ADMIN,), SUPPORT_ONLY),
        ("none", FULL_PRESET, frozenset()),
        ("none", HELPDESK_PRESET, frozenset()),
        ("none", USER_MANAGEMENT_PRESET, frozenset()),
    ],
)
def test_an_agent_holds_the_relationship_roles_intersected_with_its_level(
    partner, customer, level, roles, expected
):
    # given
    agent = make_partner_user(partner, level=level)
    relationship = make_relationship(partner, customer, roles=roles)
    # when
    r = rights(fresh(agent), customer)
    # then
    assert r.permissions == expected
    if expected:
        assert r.is_agent
        assert r.relationship == relationship
        assert r.level == level
        assert r.roles == frozenset(roles)
    else:
        assert not r.is_agent


def test_an_agent_never_manages_partners_or_settings_even_with_global_admin(partner, customer):
    # given
    agent = make_partner_user(partner, level="full")
    make_relationship(partner, customer, roles=FULL_PRESET)
    customer_admin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    # then
    assert P.MANAGE_PARTNERS not in rights(agent, customer)
    assert P.MANAGE_SETTINGS not in rights(agent, customer)
    assert P.MANAGE_PARTNERS in rights(customer_admin, customer)
    assert P.MANAGE_SETTINGS in rights(customer_admin, customer)
    with pytest.raises(PermissionDenied):
        require(agent, customer, P.MANAGE_PARTNERS)


def test_a_relationship_past_its_end_grants_nothing_before_the_task_marks_it(partner, customer):
    # given: active status, but its window closed yesterday
    agent = make_partner_user(partner, level="full")
    relationship = make_relationship(
        partner, customer, starts=timezone.now() - timedelta(days=31), days=30
    )
    assert relationship.status == RelationshipStatus.ACTIVE
    # then
    assert rights(agent, customer).permissions == frozenset()


def test_a_relationship_not_started_yet_grants_nothing(partner, customer):
    agent = make_partner_user(partner, level="full")
    make_relationship(partner, customer, starts=timezone.now() + timedelta(hours=1))
    assert rights(agent, customer).permissions == frozenset()


@pytest.mark.parametrize("status", [RelationshipStatus.TERMINATED, RelationshipStatus.EXPIRED])
def test_an_ended_relationship_grants_nothing(partner, customer, status):
    agent = make_partner_user(partner, level="full")
    make_relationship(partner, customer, status=status)
    assert rights(agent, customer).permissions == frozenset()


def test_terminating_takes_effect_at_once_even_on_the_same_user_instance(partner, customer):
    # given
    agent = make_partner_user(partner, level="full")
    relationship = make_relationship(partner, customer)
    assert rights(agent, customer).has(P.VIEW_TENANT)
    # when
    Relationship.objects.filter(pk=relationship.pk).update(status=RelationshipStatus.TERMINATED)
    # then
    assert rights(agent, customer).permissions == frozenset()


def test_a_new_relationship_after_a_terminated_one_grants_its_own_roles(partner, customer):
    agent = make_partner_user(partner, level="full")
    make_relationship(partner, customer, status=RelationshipStatus.TERMINATED)
    current = make_relationship(partner, customer, roles=HELPDESK_PRESET)
    r = rights(agent, customer)
    assert r.relationship == current
    assert r.permissions == PASSWORD_ADMIN


def test_another_partners_relationship_grants_this_agent_nothing(partner, customer):
    # given
    other_partner = make_partner()
    make_relationship(other_partner, customer)
    agent = make_partner_user(partner, level="full")
    other_agent = make_partner_user(other_partner, level="full")
    # then
    assert rights(agent, customer).permissions == frozenset()
    assert rights(other_agent, customer).permissions == AGENT_GLOBAL


def test_a_disabled_agent_holds_nothing(partner, customer):
    agent = make_partner_user(partner, level="full")
    make_relationship(partner, customer)
    user_set_enabled(user=agent, enabled=False)
    assert rights(fresh(agent), customer).permissions == frozenset()


def test_a_partner_tenant_is_never_reached_as_a_customer(partner):
    # given: a relationship whose "customer" is another partner (possible only by hand)
    other_partner = make_partner()
    agent = make_partner_user(partner, level="full")
    make_relationship(partner, other_partner)
    # then
    assert rights(agent, other_partner).permissions == frozenset()


def test_a_customer_user_with_an_access_row_is_no_agent(customer):
    # given: an access row on a customer's user, and a relationship naming its tenant
    user = make_user(customer)
    AgentAccess.objects.create(user=user, level="full")
    target = make_tenant()
    make_relationship(customer, target)
    # then
    assert rights(fresh(user), target).permissions == frozenset()


def test_unknown_or_missing_roles_in_a_relationship_grant_nothing(partner, customer):
    # given
    agent = make_partner_user(partner, level="full")
    relationship = make_relationship(partner, customer)
    # when: garbage, as a hand edit could leave it
    Relationship.objects.filter(pk=relationship.pk).update(roles=["owner", "root"])
    # then
    assert rights(agent, customer).permissions == frozenset()
    # when
    Relationship.objects.filter(pk=relationship.pk).update(roles=[])
    # then
    assert rights(agent, customer).permissions == frozenset()


def test_a_level_change_shows_on_the_next_load_of_the_user(partner, customer):
    # given
    agent = make_partner_user(partner, level="limited")
    make_relationship(partner, customer)
    assert rights(fresh(agent), customer).permissions == PASSWORD_ADMIN
    # when
    AgentAccess.objects.filter(user=agent).update(level="full")
    # then
    assert rights(fresh(agent), customer).permissions == AGENT_GLOBAL
    # when
    AgentAccess.objects.filter(user=agent).update(level="none")
    # then
    assert rights(fresh(agent), customer).permissions == frozenset()


# --- require, tenant_rights_or_404 ----------------------------


def test_require_returns_the_rights_or_raises(customer):
    admin = make_user(customer, roles=[Role.PASSWORD_ADMIN])
    assert require(admin, customer, P.RESET_PASSWORDS).has(P.RESET_PASSWORDS)
    with pytest.raises(PermissionDenied):
        require(admin, customer, P.MANAGE_USERS)
    with pytest.raises(PermissionDenied):
        require(AnonymousUser(), customer, P.VIEW_TENANT)


def _request(user):
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    return request


def test_tenant_rights_or_404_answers_missing_and_forbidden_alike(partner, customer):
    import uuid

    agent = make_partner_user(partner, level="full")
    plain = make_user(customer)
    with pytest.raises(Http404):
        tenant_rights_or_404(_request(agent), uuid.uuid4())
    with pytest.raises(Http404):
        tenant_rights_or_404(_request(agent), customer.pk)
    with pytest.raises(Http404):
        tenant_rights_or_404(_request(plain), customer.pk)


def test_tenant_rights_or_404_records_an_agents_entry_once_per_session(partner, customer):
    # given
    agent = make_partner_user(partner, level="limited")
    relationship = make_relationship(partner, customer)
    request = _request(agent)
    # when
    tenant_rights_or_404(request, customer.pk)
    tenant_rights_or_404(request, customer.pk)
    # then
    event = AuditEvent.objects.get(tenant_id=customer.pk, action=Action.ADMIN_CENTER_ENTERED)
    assert event.actor_id == agent.pk
    assert event.relationship_id == relationship.pk
    assert event.actor_partner_level == "limited"


def small_world(partner):
    """Every kind of path into a tenant: relationships active, expired, terminated, of
    another partner and with another partner (never administered as a customer), and
    users at home, partner agents of each level, a partner admin and a disabled agent.
    Returns ``(users, active)``; ``users`` in that order, the disabled agent last."""
    other_partner = make_partner()
    active, expired, terminated, foreign, _untouched = (make_tenant() for _ in range(5))
    make_relationship(partner, active, roles=HELPDESK_PRESET)
    make_relationship(partner, expired, starts=timezone.now() - timedelta(days=3), days=1)
    make_relationship(partner, terminated, status=RelationshipStatus.TERMINATED)
    make_relationship(other_partner, foreign)
    make_relationship(partner, other_partner)
    users = [
        make_partner_user(partner, level="full"),
        make_partner_user(partner, level="limited"),
        make_partner_user(partner, level="none"),
        make_partner_user(partner, roles=[Role.GLOBAL_ADMIN]),
        make_partner_user(other_partner, level="full"),
        make_user(active, roles=[Role.GLOBAL_ADMIN]),
        make_user(active),
        make_partner_user(partner, level="full"),
    ]
    User.objects.filter(pk=users[-1].pk).update(is_active=False)
    return users, active


def test_rights_in_agrees_with_rights_for_every_user_and_tenant(partner):
    # given
    users, active = small_world(partner)
    tenants = list(Tenant.objects.all())
    # then: the same permissions, roles, path and relationship; None for nothing
    for user in users:
        for tenant in tenants:
            expected = rights(fresh(user), tenant)
            got = rights_in(fresh(user), tenant.pk)
            if not expected:
                assert got is None or not got, (user, tenant)
                continue
            assert got is not None, (user, tenant)
            assert got.tenant == tenant
            assert (got.permissions, got.roles, got.via, got.level) == (
                expected.permissions,
                expected.roles,
                expected.via,
                expected.level,
            )
            assert got.relationship == expected.relationship
    assert rights_in(fresh(users[0]), uuid.uuid4()) is None
    assert rights_in(AnonymousUser(), active.pk) is None


def test_rights_in_costs_no_query_at_home_and_one_as_an_agent(
    partner, customer, django_assert_num_queries
):
    # given: users as a request loads them (their tenant and access level with them)
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    agent = make_partner_user(partner, level="full")
    make_relationship(partner, customer)
    admin = User.objects.select_related("tenant").get(pk=admin.pk)
    agent = User.objects.select_related("tenant", "agent_access").get(pk=agent.pk)
    user_roles(admin)
    # then
    with django_assert_num_queries(0):
        home = rights_in(admin, customer.pk)
    assert home is not None
    assert home.has(P.MANAGE_USERS)
    with django_assert_num_queries(1):
        r = rights_in(agent, customer.pk)
        assert r is not None
        assert r.tenant.name == "Contoso"
        assert r.relationship is not None
        assert r.relationship.partner.name == "Fabrikam"
        assert r.relationship.partner is agent.tenant  # the row that came with the user


# --- the password rule -----------------------------------------------------------


@pytest.fixture
def targets(customer):
    return {
        "plain": make_user(customer),
        "password_admin": make_user(customer, roles=[Role.PASSWORD_ADMIN]),
        "user_admin": make_user(customer, roles=[Role.USER_ADMIN]),
        "billing_admin": make_user(customer, roles=[Role.BILLING_ADMIN]),
        "password_and_user_admin": make_user(
            customer, roles=[Role.PASSWORD_ADMIN, Role.USER_ADMIN]
        ),
        "global_admin": make_user(customer, roles=[Role.GLOBAL_ADMIN]),
        "elsewhere": make_user(make_tenant()),
    }


EVERYONE_HERE = {
    "plain",
    "password_admin",
    "user_admin",
    "billing_admin",
    "password_and_user_admin",
    "global_admin",
}
NON_ADMINS_AND_PASSWORD_ADMINS = {"plain", "password_admin"}
# An agent never holds a global admin's every permission, so never takes over its account.
EVERYONE_BUT_GLOBAL_ADMINS = EVERYONE_HERE - {"global_admin"}


@pytest.mark.parametrize(
    ("actor_roles", "resettable"),
    [
        ([Role.GLOBAL_ADMIN], EVERYONE_HERE),
        ([Role.PASSWORD_ADMIN], NON_ADMINS_AND_PASSWORD_ADMINS),
        ([Role.USER_ADMIN], NON_ADMINS_AND_PASSWORD_ADMINS),
        ([Role.BILLING_ADMIN], set()),
        ([Role.SERVICE_SUPPORT_ADMIN], set()),
        ([], set()),
    ],
)
def test_home_admins_reset_passwords_by_microsofts_rule(customer, targets, actor_roles, resettable):
    # given
    actor = make_user(customer, roles=actor_roles)
    r = rights(actor, customer)
    # then
    allowed = {name for name, target in targets.items() if can_reset_password(r, fresh(target))}
    assert allowed == resettable


@pytest.mark.parametrize(
    ("level", "roles", "resettable"),
    [
        ("full", FULL_PRESET, EVERYONE_BUT_GLOBAL_ADMINS),
        ("limited", FULL_PRESET, NON_ADMINS_AND_PASSWORD_ADMINS),
        ("full", USER_MANAGEMENT_PRESET, NON_ADMINS_AND_PASSWORD_ADMINS),
        ("limited", HELPDESK_PRESET, NON_ADMINS_AND_PASSWORD_ADMINS),
        ("full", (Role.BILLING_ADMIN,), set()),
        ("none", FULL_PRESET, set()),
    ],
)
def test_agents_reset_passwords_within_their_level_and_the_relationship(
    partner, customer, targets, level, roles, resettable
):
    # given
    agent = make_partner_user(partner, level=level)
    make_relationship(partner, customer, roles=roles)
    r = rights(agent, customer)
    # then
    allowed = {name for name, target in targets.items() if can_reset_password(r, fresh(target))}
    assert allowed == resettable


def test_nobody_resets_a_password_through_rights_in_another_tenant(customer, targets):
    other = make_tenant()
    admin_elsewhere = make_user(other, roles=[Role.GLOBAL_ADMIN])
    r = rights(admin_elsewhere, other)
    assert not can_reset_password(r, targets["plain"])
    assert not can_reset_password(r, targets["global_admin"])


def test_a_limited_agent_on_a_global_admin_relationship_cannot_reset_a_global_admin(
    partner, customer, targets
):
    # the relationship names Global administrator, but the level narrows it
    agent = make_partner_user(partner, level="limited")
    make_relationship(partner, customer, roles=FULL_PRESET)
    r = rights(agent, customer)
    assert Role.GLOBAL_ADMIN in r.roles
    assert not can_reset_password(r, targets["global_admin"])


# --- cost ------------------------------------------------------------------------


def test_rights_at_home_costs_one_query_then_none(customer, django_assert_num_queries):
    user = fresh(make_user(customer, roles=[Role.USER_ADMIN]))
    with django_assert_num_queries(1):
        rights(user, customer)
    with django_assert_num_queries(0):
        rights(user, customer)


def test_rights_of_an_agent_costs_three_queries_then_one(
    partner, customer, django_assert_num_queries
):
    # given
    agent = make_partner_user(partner, level="full")
    make_relationship(partner, customer)
    loaded = fresh(agent)
    # then: its tenant, its level, the relationship (with the partner joined)
    with django_assert_num_queries(3):
        r = rights(loaded, customer)
    # the banner names the partner without another query
    with django_assert_num_queries(0):
        assert r.relationship is not None
        assert r.relationship.partner.name == "Fabrikam"
    # then: only the relationship, which is never remembered
    with django_assert_num_queries(1):
        rights(loaded, customer)
    # and with the user loaded with its tenant and level, one query in all
    joined = User.objects.select_related("tenant", "agent_access").get(pk=agent.pk)
    with django_assert_num_queries(1):
        rights(joined, customer)


def test_rights_of_a_user_with_no_level_stops_before_the_relationship(
    partner, customer, django_assert_num_queries
):
    make_relationship(partner, customer)
    staff = User.objects.select_related("tenant", "agent_access").get(
        pk=make_partner_user(partner, level="none").pk
    )
    with django_assert_num_queries(0):
        assert not rights(staff, customer)


def test_rights_via_relationship_matches_rights_without_a_query(
    partner, customer, django_assert_num_queries
):
    # given
    agent = User.objects.select_related("tenant", "agent_access").get(
        pk=make_partner_user(partner, level="limited").pk
    )
    relationship = Relationship.objects.select_related("customer").get(
        pk=make_relationship(partner, customer, roles=USER_MANAGEMENT_PRESET).pk
    )
    ended = Relationship.objects.select_related("customer").get(
        pk=make_relationship(partner, make_tenant(), status=RelationshipStatus.TERMINATED).pk
    )
    foreign = Relationship.objects.select_related("customer").get(
        pk=make_relationship(make_partner(), make_tenant()).pk
    )
    # then
    with django_assert_num_queries(0):
        via = rights_via_relationship(agent, relationship)
        assert rights_via_relationship(agent, ended).permissions == frozenset()
        assert rights_via_relationship(agent, foreign).permissions == frozenset()
        assert rights_via_relationship(AnonymousUser(), relationship).permissions == frozenset()
    assert via == rights(agent, customer)
    assert via.permissions == PASSWORD_ADMIN


# --- Teams mode: per-customer roles through teams -----------------------------------


def teams_agent(partner: Tenant) -> User:
    return make_partner_user(partner, level="teams")


def test_a_team_member_holds_its_teams_roles_only_within_what_the_customer_granted(
    partner, customer
):
    # given: the customer granted Helpdesk; the team holds User administrator there too
    # (as if the customer had narrowed its grant since)
    relationship = make_relationship(partner, customer, roles=HELPDESK_PRESET)
    agent = teams_agent(partner)
    make_team(
        partner,
        "Helpdesk",
        members=[agent],
        assignments={relationship: [Role.USER_ADMIN, Role.PASSWORD_ADMIN]},
    )
    # when
    r = rights(fresh(agent), customer)
    # then: no user management, which the customer never granted
    assert r.permissions == PASSWORD_ADMIN
    assert (r.via, r.level, r.teams) == ("relationship", "teams", ("Helpdesk",))
    assert r.relationship == relationship


def test_a_member_of_two_teams_holds_the_union_of_their_roles(partner, customer):
    relationship = make_relationship(partner, customer, roles=FULL_PRESET)
    agent = teams_agent(partner)
    make_team(partner, "Tier 2", members=[agent], assignments={relationship: [Role.BILLING_ADMIN]})
    make_team(partner, "Helpdesk", members=[agent], assignments={None: [Role.PASSWORD_ADMIN]})
    r = rights(fresh(agent), customer)
    assert r.permissions == PASSWORD_ADMIN | BILLING_ADMIN
    assert r.teams == ("Helpdesk", "Tier 2")


def test_a_former_member_holds_nothing_from_its_next_call(partner, customer):
    # given
    relationship = make_relationship(partner, customer)
    agent = teams_agent(partner)
    team = make_team(
        partner, "Helpdesk", members=[agent], assignments={relationship: [Role.USER_ADMIN]}
    )
    same = fresh(agent)
    assert rights(same, customer).permissions == USER_ADMIN
    # when
    TeamMembership.objects.filter(team=team, user=agent).delete()
    # then: even on the instance that held it a moment ago
    assert not rights(same, customer)
    assert not rights_in(same, customer.pk)
    assert not rights(fresh(agent), customer).shows_details


def test_a_team_without_an_assignment_in_this_customer_gives_its_members_nothing_here(
    partner, customer
):
    # given: the team holds roles in another customer only
    make_relationship(partner, customer)
    elsewhere = make_relationship(partner, make_tenant(name="Northwind"))
    agent = teams_agent(partner)
    make_team(partner, "Northwind", members=[agent], assignments={elsewhere: [Role.USER_ADMIN]})
    # then
    assert rights(fresh(agent), elsewhere.customer).permissions == USER_ADMIN
    assert not rights(fresh(agent), customer)
    request = RequestFactory().get("/")
    request.user = fresh(agent)
    with pytest.raises(Http404, match="None of your teams holds a role in Contoso"):
        tenant_rights_or_404(request, customer.pk)


def test_a_default_assignment_applies_to_a_relationship_accepted_later(partner, customer):
    # given: a team holding Password administrator in every customer
    agent = teams_agent(partner)
    make_team(partner, "Helpdesk", members=[agent], assignments={None: [Role.PASSWORD_ADMIN]})
    assert not rights(fresh(agent), customer)
    # when: the customer accepts an offer afterwards
    make_relationship(partner, customer, roles=USER_MANAGEMENT_PRESET)
    # then
    r = rights(fresh(agent), customer)
    assert r.permissions == PASSWORD_ADMIN
    assert r.teams == ("Helpdesk",)


def test_a_default_assignments_role_the_customer_did_not_grant_never_applies(partner, customer):
    # given: the default holds Billing too; this customer granted Helpdesk only
    make_relationship(partner, customer, roles=HELPDESK_PRESET)
    agent = teams_agent(partner)
    make_team(
        partner,
        "Helpdesk",
        members=[agent],
        assignments={None: [Role.BILLING_ADMIN, Role.PASSWORD_ADMIN]},
    )
    # then
    r = rights(fresh(agent), customer)
    assert r.permissions == PASSWORD_ADMIN
    assert P.VIEW_BILLING not in r


def test_a_team_holding_the_global_admin_role_never_manages_partners_or_settings(partner, customer):
    relationship = make_relationship(partner, customer, roles=FULL_PRESET)
    agent = teams_agent(partner)
    make_team(partner, "Leads", members=[agent], assignments={relationship: [Role.GLOBAL_ADMIN]})
    r = rights(fresh(agent), customer)
    assert r.permissions == AGENT_GLOBAL
    assert P.MANAGE_PARTNERS not in r
    assert P.MANAGE_SETTINGS not in r


def test_full_and_limited_agents_keep_their_level_beside_teams(partner, customer):
    # given: Full and Limited agents in a team that holds Billing, and a Teams agent in it
    relationship = make_relationship(partner, customer, roles=FULL_PRESET)
    full = make_partner_user(partner, level="full")
    limited = make_partner_user(partner, level="limited")
    member = teams_agent(partner)
    make_team(
        partner,
        "Billing",
        members=[full, limited, member],
        assignments={relationship: [Role.BILLING_ADMIN]},
    )
    # then: the simple modes mean what they meant; only the Teams agent holds the team's
    assert rights(fresh(full), customer).permissions == AGENT_GLOBAL
    assert rights(fresh(limited), customer).permissions == PASSWORD_ADMIN
    assert (rights(fresh(full), customer).teams, rights(fresh(limited), customer).teams) == (
        (),
        (),
    )
    assert rights(fresh(member), customer).permissions == BILLING_ADMIN


def test_a_teams_agent_without_any_team_holds_nothing_but_has_agent_access(partner, customer):
    make_relationship(partner, customer)
    agent = fresh(teams_agent(partner))
    assert has_agent_access(agent)
    assert not rights(agent, customer)
    assert not rights_in(agent, customer.pk)


def test_another_partners_team_gives_nothing(partner, customer):
    # given: the agent is (wrongly) in another partner's team, which serves the customer
    other = make_partner(name="Litware")
    relationship = make_relationship(other, customer)
    make_relationship(partner, customer, roles=HELPDESK_PRESET)
    agent = teams_agent(partner)
    make_team(other, "Litware desk", members=[agent], assignments={None: [Role.PASSWORD_ADMIN]})
    make_team(other, "Litware Contoso", members=[agent], assignments={relationship: FULL_PRESET})
    # then
    assert not rights(fresh(agent), customer)


def test_a_refusal_says_through_which_teams_the_agent_acts(partner, customer):
    relationship = make_relationship(partner, customer)
    agent = teams_agent(partner)
    make_team(
        partner, "Helpdesk", members=[agent], assignments={relationship: [Role.PASSWORD_ADMIN]}
    )
    refused = missing_permission(rights(fresh(agent), customer), P.MANAGE_USERS)
    assert "through Helpdesk" in str(refused)


def test_rights_via_relationship_of_a_teams_agent_matches_rights(partner, customer):
    relationship = make_relationship(partner, customer, roles=USER_MANAGEMENT_PRESET)
    agent = teams_agent(partner)
    make_team(partner, "Helpdesk", members=[agent], assignments={None: [Role.PASSWORD_ADMIN]})
    make_team(partner, "Users", members=[agent], assignments={relationship: [Role.USER_ADMIN]})
    loaded = Relationship.objects.select_related("customer").get(pk=relationship.pk)
    via = rights_via_relationship(fresh(agent), loaded)
    preloaded = rights_via_relationship(
        fresh(agent), loaded, assignments=team_assignments_of(fresh(agent))
    )
    assert via == preloaded == rights(fresh(agent), customer)
    assert via.permissions == USER_ADMIN
    assert via.teams == ("Helpdesk", "Users")


def _teams_world(partner: Tenant, agent: User, *, teams: int, customers: int) -> list[Relationship]:
    """``teams`` teams, each with the agent and two other members, holding a role in each
    of ``customers`` customers and a default one."""
    relationships = [
        make_relationship(partner, make_tenant(), roles=FULL_PRESET) for _ in range(customers)
    ]
    for n in range(teams):
        others = [make_partner_user(partner, level="teams", mfa=False) for _ in range(2)]
        make_team(
            partner,
            f"Team {n}",
            members=[agent, *others],
            assignments={None: [Role.PASSWORD_ADMIN]}
            | {rel: [Role.BILLING_ADMIN] for rel in relationships},
        )
    return relationships


@pytest.mark.parametrize(("teams", "customers"), [(1, 1), (6, 8)])
def test_rights_in_of_a_teams_agent_costs_two_queries_whatever_the_teams_and_customers(
    partner, django_assert_num_queries, teams, customers
):
    # given
    agent = teams_agent(partner)
    relationships = _teams_world(partner, agent, teams=teams, customers=customers)
    loaded = User.objects.select_related("tenant", "agent_access").get(pk=agent.pk)
    # then: the relationship, then the agent's assignments there
    with django_assert_num_queries(2):
        r = rights_in(loaded, relationships[-1].customer_id)
    assert r is not None
    assert r.permissions == PASSWORD_ADMIN | BILLING_ADMIN
    assert len(r.teams) == teams


@pytest.mark.parametrize(("teams", "customers"), [(1, 2), (6, 10)])
def test_rights_of_a_page_from_assignments_loaded_once_cost_one_query(
    partner, django_assert_num_queries, teams, customers
):
    # given: a page of relationships, loaded with their customers
    agent = teams_agent(partner)
    relationships = _teams_world(partner, agent, teams=teams, customers=customers)
    page = list(
        Relationship.objects.select_related("customer").filter(pk__in=[r.pk for r in relationships])
    )
    loaded = User.objects.select_related("tenant", "agent_access").get(pk=agent.pk)
    # then: one query for the agent's assignments on the page, none per row
    with django_assert_num_queries(1):
        assignments = team_assignments_of(loaded, page)
        results = [rights_via_relationship(loaded, r, assignments=assignments) for r in page]
    assert all(r.permissions == PASSWORD_ADMIN | BILLING_ADMIN for r in results)
