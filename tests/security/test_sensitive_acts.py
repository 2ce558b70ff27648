"""Every sensitive act is behind re-authentication, from the one list ``SENSITIVE_ACTS``.

For each act the same POST is tried twice: from a session whose sign-in is older than
``ACCOUNT_REAUTHENTICATION_TIMEOUT`` it is sent to re-authenticate and changes nothing;
from a fresh one it goes through (so the first result says something).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Model
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from audit.models import AuditEvent
from delegation.models import (
    AccessAssignment,
    AgentAccess,
    CustomerGroup,
    Relationship,
    Team,
    TeamMembership,
)
from offers.models import Offer
from partnerportal.reauth import SENSITIVE_ACTS, guard_of
from tenants.models import Domain, OutboundEmail, RoleAssignment, Subscription, Tenant, User
from tenants.roles import Role
from tests.factories import (
    age_sign_in,
    make_partner,
    make_partner_user,
    make_relationship,
    make_team,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

REAUTH_PREFIXES = (reverse("account_reauthenticate"), reverse("mfa_reauthenticate"))

# What must be in the list: the acts named when the list was made. A new sensitive view
# joins the list (and this set) with its guard.
KNOWN_SENSITIVE = {
    "tenants:user-create",
    "tenants:user-edit",
    "tenants:user-disable",
    "tenants:user-enable",
    "tenants:user-reset-password",
    "tenants:user-roles",
    "tenants:domain-add",
    "tenants:domain-verify",
    "tenants:domain-default",
    "tenants:subscription-seats",
    "tenants:subscription-cancel",
    "tenants:security",
    "delegation:staff-add",
    "delegation:staff-edit",
    "delegation:staff-disable",
    "delegation:staff-enable",
    "delegation:relationship-remove",
    "delegation:relationship-renew",
    "delegation:team-create",
    "delegation:team-edit",
    "delegation:team-delete",
    "delegation:team-member-add",
    "delegation:team-member-remove",
    "delegation:team-assignment-set",
    "delegation:team-assignment-remove",
    "delegation:team-assignment-bulk",
    "delegation:customer-groups",
    "delegation:customer-group-edit",
    "delegation:customer-group-delete",
    "offers:create",
    "offers:detail",
    "offers:accept",
    "offers:decline",
}


def _url_views() -> dict[str, Any]:
    """Every named URL of the portal and the view it resolves to."""
    views: dict[str, Any] = {}

    def walk(patterns: Any, namespace: str = "") -> None:
        for p in patterns:
            if hasattr(p, "url_patterns"):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif p.name:
                views.setdefault(f"{namespace}{p.name}", p.callback)

    walk(get_resolver().url_patterns)
    return views


def test_every_known_sensitive_act_is_in_the_list():
    assert set(KNOWN_SENSITIVE) - set(SENSITIVE_ACTS) == set()


@pytest.mark.parametrize("name", sorted(SENSITIVE_ACTS))
def test_every_listed_act_names_a_url_whose_view_is_guarded(name):
    view = _url_views().get(name)
    assert view is not None, f"{name} is no URL of the portal"
    assert guard_of(view) is not None, f"{name} is listed but its view is not guarded"


def test_every_guarded_view_is_in_the_list():
    # the list is the one place: a guarded view missing from it is a mistake too
    guarded = {
        name
        for name, view in _url_views().items()
        if not name.startswith(("account_", "mfa_", "usersessions_", "admin:"))
        and guard_of(view) is not None
    }
    assert guarded - set(SENSITIVE_ACTS) == set()


def test_the_deployment_guide_lists_every_act():
    guide = (Path(settings.BASE_DIR) / "docs" / "deploy.md").read_text()
    missing = [name for name in SENSITIVE_ACTS if name.partition(":")[2] not in guide]
    assert missing == []


def test_only_the_password_or_the_second_factor_re_authenticates():
    assert tuple(settings.ACCOUNT_REAUTHENTICATION_METHODS) == ("password", "mfa")


# --- the acts themselves -------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    ids: dict[str, Any]


@pytest.fixture
def world(db: None) -> World:
    customer = make_tenant(name="Contoso", domain="contoso.test")
    cadmin = make_user(customer, email="megan@contoso.test", roles=[Role.GLOBAL_ADMIN])
    plain = make_user(customer, email="alex@contoso.test")
    gone = make_user(customer, email="gone@contoso.test")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    partner = make_partner(name="Fabrikam", domain="fabrikam.test")
    padmin = make_partner_user(partner, email="pa@fabrikam.test", roles=[Role.GLOBAL_ADMIN])
    staff = make_partner_user(partner, email="sam@fabrikam.test")
    spare_staff = make_partner_user(partner, email="lee@fabrikam.test")
    gone_staff = make_partner_user(partner, email="left@fabrikam.test")
    User.objects.filter(pk=gone_staff.pk).update(is_active=False)
    # started a while ago, so that a renewal changes it
    relationship = make_relationship(
        partner, customer, accepted_by=cadmin, starts=timezone.now() - timedelta(days=30)
    )
    newcomer = make_tenant(name="Northwind", domain="northwind.test")
    newcomer_admin = make_user(newcomer, email="nestor@northwind.test", roles=[Role.GLOBAL_ADMIN])
    offer = Offer.objects.create(partner=partner, roles=[Role.GLOBAL_ADMIN], created_by=padmin)
    unverified = Domain.objects.create(tenant=customer, name="new.contoso.test")
    spare = Domain.objects.create(tenant=customer, name="spare.contoso.test", verified=True)
    subscription = Subscription.objects.create(tenant=customer, plan="Business", seats=5)
    team = make_team(
        partner, "Helpdesk", members=[staff], assignments={relationship: [Role.PASSWORD_ADMIN]}
    )
    group = CustomerGroup.objects.create(partner=partner, name="EU customers")
    group.customers.add(customer)
    return World(
        users={"cadmin": cadmin, "padmin": padmin, "newcomer": newcomer_admin, "plain": plain},
        ids={
            "tenant_id": customer.pk,
            "plain": plain.pk,
            "gone": gone.pk,
            "staff": staff.pk,
            "gone_staff": gone_staff.pk,
            "spare_staff": spare_staff.pk,
            "relationship_id": relationship.pk,
            "unverified": unverified.pk,
            "spare": spare.pk,
            "subscription_id": subscription.pk,
            "offer_id": offer.pk,
            "token": offer.token,
            "team_id": team.pk,
            "group_id": group.pk,
        },
    )


@dataclass(frozen=True)
class Act:
    """Who does the act, on which objects (URL kwarg: world id), with what form."""

    actor: str
    kwargs: dict[str, str]
    data: dict[str, Any]
    # Whether a fresh POST must change something here: a domain's verification will
    # depend on DNS, which the test does not control.
    changes: bool = True
    # Form fields that carry a world object's id (field: world id).
    data_ids: dict[str, str] = field(default_factory=dict)


def _t(**more: str) -> dict[str, str]:
    return {"tenant_id": "tenant_id", **more}


ACTS: dict[str, Act] = {
    "tenants:user-create": Act("cadmin", _t(), {"email": "nina@contoso.test"}),
    "tenants:user-edit": Act("cadmin", _t(user_id="plain"), {"first_name": "Changed"}),
    "tenants:user-disable": Act("cadmin", _t(user_id="plain"), {}),
    "tenants:user-enable": Act("cadmin", _t(user_id="gone"), {}),
    "tenants:user-reset-password": Act("cadmin", _t(user_id="plain"), {}),
    "tenants:user-roles": Act(
        "cadmin", _t(user_id="plain"), {"role": "billing_admin", "operation": "assign"}
    ),
    "tenants:domain-add": Act("cadmin", _t(), {"name": "added.contoso.test"}),
    "tenants:domain-verify": Act("cadmin", _t(domain_id="unverified"), {}, changes=False),
    "tenants:domain-default": Act("cadmin", _t(domain_id="spare"), {}),
    "tenants:domain-remove": Act("cadmin", _t(domain_id="spare"), {}),
    "tenants:subscription-seats": Act(
        "cadmin", _t(subscription_id="subscription_id"), {"seats": 9}
    ),
    "tenants:subscription-cancel": Act("cadmin", _t(subscription_id="subscription_id"), {}),
    "tenants:security": Act("cadmin", _t(), {}),
    "delegation:relationship-remove": Act(
        "cadmin", _t(relationship_id="relationship_id"), {"reason": "We are done."}
    ),
    "delegation:relationship-renew": Act("cadmin", _t(relationship_id="relationship_id"), {}),
    "delegation:staff-add": Act(
        "padmin",
        {},
        {"first_name": "Kim", "last_name": "Akers", "email": "kim@fabrikam.test", "assign": "no"},
    ),
    "delegation:staff-edit": Act(
        "padmin", {"user_id": "staff"}, {"assign": "yes", "level": "full"}
    ),
    "delegation:staff-disable": Act("padmin", {"user_id": "staff"}, {}),
    "delegation:staff-enable": Act("padmin", {"user_id": "gone_staff"}, {}),
    "delegation:customer-relationship-end": Act(
        "padmin", {"relationship_id": "relationship_id"}, {"reason": "We are done."}
    ),
    "delegation:team-create": Act("padmin", {}, {"name": "Projects"}),
    "delegation:team-edit": Act("padmin", {"team_id": "team_id"}, {"name": "Service desk"}),
    "delegation:team-delete": Act("padmin", {"team_id": "team_id"}, {}),
    "delegation:team-member-add": Act(
        "padmin", {"team_id": "team_id"}, {}, data_ids={"user": "spare_staff"}
    ),
    "delegation:team-member-remove": Act(
        "padmin", {"team_id": "team_id"}, {}, data_ids={"user": "staff"}
    ),
    "delegation:team-assignment-set": Act(
        "padmin", {"team_id": "team_id"}, {"target": "default", "roles": ["password_admin"]}
    ),
    "delegation:team-assignment-remove": Act(
        "padmin", {"team_id": "team_id"}, {}, data_ids={"relationship": "relationship_id"}
    ),
    "delegation:team-assignment-bulk": Act(
        "padmin", {"team_id": "team_id"}, {"roles": ["user_admin"]}, data_ids={"group": "group_id"}
    ),
    "delegation:customer-groups": Act("padmin", {}, {"name": "US customers"}),
    "delegation:customer-group-edit": Act("padmin", {"group_id": "group_id"}, {"name": "Europe"}),
    "delegation:customer-group-delete": Act("padmin", {"group_id": "group_id"}, {}),
    "offers:create": Act("padmin", {}, {"preset": "full", "duration_days": 90}),
    "offers:detail": Act(
        "padmin",
        {"offer_id": "offer_id"},
        {"recipients": "it@northwind.test", "send_id": str(uuid.UUID(int=7))},
    ),
    "offers:accept": Act("newcomer", {"token": "token"}, {}),
    "offers:decline": Act("newcomer", {"token": "token"}, {}),
}

WATCHED: tuple[type[Model], ...] = (
    Tenant,
    User,
    RoleAssignment,
    Domain,
    Subscription,
    Relationship,
    Offer,
    AgentAccess,
    OutboundEmail,
    AuditEvent,
    Team,
    TeamMembership,
    AccessAssignment,
    CustomerGroup,
)


def _snapshot() -> dict[str, list[Any]]:
    return {m.__name__: list(m._default_manager.order_by("pk").values()) for m in WATCHED}


def _post(world: World, name: str, *, stale: bool, actor: str = "") -> tuple[Any, bool]:
    """POST the act; returns the response and whether anything changed."""
    act = ACTS[name]
    client = Client()
    sign_in(client, world.users[actor or act.actor])
    if stale:
        age_sign_in(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 60)
    url = reverse(name, kwargs={k: world.ids[v] for k, v in act.kwargs.items()})
    before = _snapshot()
    data = {**act.data, **{k: str(world.ids[v]) for k, v in act.data_ids.items()}}
    response = client.post(url, data)
    return response, _snapshot() != before


def test_every_act_of_the_list_has_a_case_here():
    assert set(ACTS) == set(SENSITIVE_ACTS)


@pytest.mark.parametrize("name", sorted(SENSITIVE_ACTS))
def test_a_stale_sign_in_is_sent_to_re_authenticate_and_changes_nothing(
    world, name, record_property
):
    record_property("battery.attacks", 1)
    # when
    response, changed = _post(world, name, stale=True)
    # then
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(REAUTH_PREFIXES), response["Location"]
    assert not changed


@pytest.mark.parametrize("name", sorted(SENSITIVE_ACTS))
def test_the_same_post_after_a_fresh_sign_in_goes_through(world, name):
    # when
    response, changed = _post(world, name, stale=False)
    # then
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert not response["Location"].startswith(REAUTH_PREFIXES)
    assert changed or not ACTS[name].changes


# The answer to an offer is for whoever signs in with the link: the consent flow says who
# may answer, after the sign-in.
UNGATED = {"offers:accept", "offers:decline"}


@pytest.mark.parametrize("name", sorted(set(SENSITIVE_ACTS) - UNGATED))
def test_a_stale_sign_in_of_someone_not_allowed_finds_nothing_rather_than_a_prompt(world, name):
    # when: a plain user of the customer, holding no role, not signed in lately
    response, changed = _post(world, name, stale=True, actor="plain")
    # then: the page does not exist for it; it is not asked for its password
    assert response.status_code == 404
    assert not changed
