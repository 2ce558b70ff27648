"""The permission matrix: every URL pattern of the portal, every actor, every method.

``MATRIX`` below is the one table. Each row names a URL pattern and a method, then the
expected outcome for each actor:

- ``ok``     the actor reaches the page or its action (2xx, a 400 that rejects the empty
             submission, or a redirect that is not to sign-in)
- ``login``  redirected to sign in
- ``404``    not found: the portal does not confirm that the thing exists
- ``405``    method not allowed

Four of the actors are partner staff in Teams mode, beside the Full and Limited agents:
a member of a team that holds roles in the customer, a former member of it, a member of
a team holding roles only in another customer, and a member of a team holding nothing.

A meta-test fails when a URL pattern of the portal is missing from the table. Every
pattern that takes an object id is also tried with another tenant's object: 404 for
everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from delegation.access import rights
from delegation.models import CustomerGroup
from delegation.teams import team_member_remove
from offers.models import Offer
from tenants.models import Tenant, User
from tenants.roles import Permission, Role
from tests.factories import (
    enrol_totp,
    make_partner,
    make_partner_user,
    make_relationship,
    make_service_request,
    make_team,
    make_tenant,
    make_user,
    sign_in,
)

ACTORS = [
    "anon",  # anonymous
    "plain",  # plain user of the customer
    "cadmin",  # global admin of the customer
    "other",  # global admin of another customer
    "pnone",  # partner staff without delegated access
    "limited",  # partner agent, Limited administration
    "full",  # partner agent, Full administration
    # partner staff in Teams mode: what their teams hold in the customer, and nothing else
    "tmember",  # member of Helpdesk (User and Password administrator in the customer)
    "tformer",  # was a member of Helpdesk, taken out of it by a partner admin
    "tother",  # member of a team holding roles only in another customer of the partner
    "tbare",  # member of a team that holds no role anywhere
    "qagent",  # Full agent of another partner
    "padmin",  # partner admin
    "operator",  # platform operator (superuser)
]

# fmt: off
MATRIX_TEXT = """
# url                              method  anon   plain  cadmin other  pnone  limited full   tmember tformer tother  tbare   qagent padmin operator
# probes: unauthenticated and cheap; the benchmark baseline exists only when enabled
healthz                            GET     ok     ok     ok     ok     ok     ok      ok     ok      ok      ok      ok      ok     ok     ok
healthz                            POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
readyz                             GET     ok     ok     ok     ok     ok     ok      ok     ok      ok      ok      ok      ok     ok     ok
readyz                             POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
baseline                           GET     404    404    404    404    404    404     404    404     404     404     404     404    404    404
baseline                           POST    404    404    404    404    404    404     404    404     404     404     404     404    404    404
home                               GET     login  ok     ok     ok     ok     ok      ok     ok      ok      ok      ok      ok     ok     ok
tenants:profile                    GET     login  ok     ok     ok     ok     ok      ok     ok      ok      ok      ok      ok     ok     ok
tenants:admin-center               GET     login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
home                               POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
tenants:profile                    POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
tenants:admin-center               POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
delegation:partner-overview        GET     login  404    404    404    ok     ok      ok     ok      ok      ok      ok      ok     ok     404
delegation:partner-overview        POST    login  405    405    405    405    405     405    405     405     405     405     405    405    405
# the admin center: a Limited agent sees users and domains, resets the passwords the
# rule allows, files and reads service requests and sees the administrators; a Helpdesk
# member holds as much and, as User administrator there, manages users too (not their
# roles, domains, subscriptions nor the log); other staff in Teams mode see none of it
tenants:users                      GET     login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
tenants:users                      POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
tenants:user-create                GET     login  404    ok     404    404    404     ok     ok      404     404     404     404    404    404
tenants:user-create                POST    login  404    ok     404    404    404     ok     ok      404     404     404     404    404    404
tenants:user-detail                GET     login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
tenants:user-detail                POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
tenants:user-edit                  GET     login  404    ok     404    404    404     ok     ok      404     404     404     404    404    404
tenants:user-edit                  POST    login  404    ok     404    404    404     ok     ok      404     404     404     404    404    404
tenants:user-disable               GET     login  404    405    404    404    404     405    405     404     404     404     404    404    404
tenants:user-disable               POST    login  404    ok     404    404    404     ok     ok      404     404     404     404    404    404
tenants:user-enable                GET     login  404    405    404    404    404     405    405     404     404     404     404    404    404
tenants:user-enable                POST    login  404    ok     404    404    404     ok     ok      404     404     404     404    404    404
tenants:user-reset-password        GET     login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
tenants:user-reset-password        POST    login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
# the temporary password just made, shown once (without one: back to the user's page)
tenants:user-password              GET     login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
tenants:user-password              POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
tenants:user-roles                 GET     login  404    405    404    404    404     405    404     404     404     404     404    404    404
tenants:user-roles                 POST    login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:domains                    GET     login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
tenants:domains                    POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
tenants:domain-add                 GET     login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:domain-add                 POST    login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:domain-verify              GET     login  404    405    404    404    404     405    404     404     404     404     404    404    404
tenants:domain-verify              POST    login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:domain-default             GET     login  404    405    404    404    404     405    404     404     404     404     404    404    404
tenants:domain-default             POST    login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:domain-remove              GET     login  404    405    404    404    404     405    404     404     404     404     404    404    404
tenants:domain-remove              POST    login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:subscriptions              GET     login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:subscriptions              POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
tenants:subscription-seats         GET     login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:subscription-seats         POST    login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:subscription-cancel        GET     login  404    405    404    404    404     405    404     404     404     404     404    404    404
tenants:subscription-cancel        POST    login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
tenants:service-requests           GET     login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
tenants:service-requests           POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
tenants:service-request-create     GET     login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
tenants:service-request-create     POST    login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
# a request the customer filed itself is not shown to its partner's agents
tenants:service-request-detail     GET     login  404    ok     404    404    404     404    404     404     404     404     404    404    404
tenants:service-request-detail     POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
tenants:service-request-comment    GET     login  404    405    404    404    404     404    404     404     404     404     404    404    404
tenants:service-request-comment    POST    login  404    ok     404    404    404     404    404     404     404     404     404    404    404
tenants:service-request-close      GET     login  404    405    404    404    404     404    404     404     404     404     404    404    404
tenants:service-request-close      POST    login  404    ok     404    404    404     404    404     404     404     404     404    404    404
tenants:administrators             GET     login  404    ok     404    404    ok      ok     ok      404     404     404     404    404    404
tenants:security                   GET     login  404    ok     404    404    404     404    404     404     404     404     404    404    404
tenants:security                   POST    login  404    ok     404    404    404     404    404     404     404     404     404    404    404
tenants:administrators             POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
# customer control: only the customer's own global admins; agents never
delegation:relationships           GET     login  404    ok     404    404    404     404    404     404     404     404     404    404    404
delegation:relationships           POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
delegation:relationship-remove     GET     login  404    ok     404    404    404     404    404     404     404     404     404    404    404
delegation:relationship-remove     POST    login  404    ok     404    404    404     404    404     404     404     404     404    404    404
delegation:relationship-renew      GET     login  404    ok     404    404    404     404    404     404     404     404     404    404    404
delegation:relationship-renew      POST    login  404    ok     404    404    404     404    404     404     404     404     404    404    404
delegation:customer-relationship-end GET   login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:customer-relationship-end POST  login  404    404    404    404    404     404    404     404     404     404     404    ok     404
# partner side: lookup and customers for partner admins and agents with a level (Teams
# mode too, whether or not a team holds anything)
delegation:lookup                  GET     login  404    404    404    404    ok      ok     ok      ok      ok      ok      ok     ok     404
delegation:lookup                  POST    login  405    405    405    405    405     405    405     405     405     405     405    405    405
delegation:customers               GET     login  404    404    404    404    ok      ok     ok      ok      ok      ok      ok     ok     404
delegation:customers               POST    login  405    405    405    405    405     405    405     405     405     405     405    405    405
# the partner's staff and their delegated access: partner admins only
delegation:staff                   GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:staff                   POST    login  405    405    405    405    405     405    405     405     405     405     405    405    405
delegation:staff-edit              GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:staff-edit              POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:staff-add               GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:staff-add               POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:staff-disable           GET     login  404    404    404    404    404     404    404     404     404     404     404    405    404
delegation:staff-disable           POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:staff-enable            GET     login  404    404    404    404    404     404    404     404     404     404     404    405    404
delegation:staff-enable            POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
# teams, their members and assignments, customer groups: partner admins only
delegation:teams                   GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:teams                   POST    login  405    405    405    405    405     405    405     405     405     405     405    405    405
delegation:team-create             GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-create             POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-detail             GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-detail             POST    login  405    405    405    405    405     405    405     405     405     405     405    405    405
delegation:team-edit               GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-edit               POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-delete             GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-delete             POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-member-add         GET     login  404    404    404    404    404     404    404     404     404     404     404    405    404
delegation:team-member-add         POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-member-remove      GET     login  404    404    404    404    404     404    404     404     404     404     404    405    404
delegation:team-member-remove      POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-assignment-set     GET     login  404    404    404    404    404     404    404     404     404     404     404    405    404
delegation:team-assignment-set     POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-assignment-remove  GET     login  404    404    404    404    404     404    404     404     404     404     404    405    404
delegation:team-assignment-remove  POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:team-assignment-bulk    GET     login  404    404    404    404    404     404    404     404     404     404     404    405    404
delegation:team-assignment-bulk    POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:customer-groups         GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:customer-groups         POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:customer-group-edit     GET     login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:customer-group-edit     POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
delegation:customer-group-delete   GET     login  404    404    404    404    404     404    404     404     404     404     404    405    404
delegation:customer-group-delete   POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
# offers: partner staff see them, partner admins make, send and revoke them
offers:list                        GET     login  404    404    404    ok     ok      ok     ok      ok      ok      ok      ok     ok     404
offers:list                        POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
offers:create                      GET     login  404    404    404    403    403     403    403     403     403     403     403    ok     404
offers:create                      POST    login  404    404    404    403    403     403    403     403     403     403     403    ok     404
offers:detail                      GET     login  404    404    404    ok     ok      ok     ok      ok      ok      ok      404    ok     404
offers:detail                      POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
offers:revoke                      GET     405    405    405    405    405    405     405    405     405     405     405     405    405    405
offers:revoke                      POST    login  404    404    404    404    404     404    404     404     404     404     404    ok     404
# the public link: anyone reads it; only a customer's global admin answers (403 says why)
offers:public                      GET     ok     403    ok     ok     403    403     403    403     403     403     403     403    403    403
offers:public                      POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
offers:accept                      GET     ok     ok     ok     ok     ok     ok      ok     ok      ok      ok      ok      ok     ok     ok
offers:accept                      POST    login  403    ok     ok     403    403     403    403     403     403     403     403    403    403
offers:decline                     GET     ok     ok     ok     ok     ok     ok      ok     ok      ok      ok      ok      ok     ok     ok
offers:decline                     POST    login  403    ok     ok     403    403     403    403     403     403     403     403    403    403
# audit: the customer's log (Full agents read it, Limited do not); the partner's activity
audit:log                          GET     login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
audit:log                          POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
audit:export                       GET     login  404    ok     404    404    404     ok     404     404     404     404     404    404    404
audit:export                       POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
audit:activity                     GET     login  404    404    404    ok     ok      ok     ok      ok      ok      ok      ok     ok     404
audit:activity                     POST    405    405    405    405    405    405     405    405     405     405     405     405    405    405
"""
# fmt: on

# Namespaces (and root names) whose every pattern must be in the table.
PORTAL_NAMESPACES = {"tenants", "delegation", "offers", "audit"}
PORTAL_ROOT_NAMES = {"home", "healthz", "readyz", "baseline"}


@dataclass(frozen=True)
class Row:
    url_name: str
    method: str
    expected: dict[str, str]


def parse_matrix(text: str) -> list[Row]:
    rows = []
    for line in text.strip().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        url_name, method, *outcomes = line.split()
        assert len(outcomes) == len(ACTORS), f"{url_name} {method}: {len(outcomes)} outcomes"
        rows.append(Row(url_name, method, dict(zip(ACTORS, outcomes, strict=True))))
    return rows


MATRIX = parse_matrix(MATRIX_TEXT)


def portal_url_patterns() -> dict[str, tuple[str, ...]]:
    """Every named URL pattern of the portal's own apps, with the kwargs it takes."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(patterns: list[Any], namespace: str | None, inherited: tuple[str, ...]) -> None:
        for p in patterns:
            own = tuple(getattr(p.pattern, "converters", {}).keys())
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace, inherited + own)
            elif isinstance(p, URLPattern) and p.name:
                if namespace in PORTAL_NAMESPACES:
                    found[f"{namespace}:{p.name}"] = inherited + own
                elif namespace is None and p.name in PORTAL_ROOT_NAMES:
                    found[p.name] = inherited + own

    walk(get_resolver().url_patterns, None, ())
    return found


def portal_url_names() -> set[str]:
    return set(portal_url_patterns())


def test_every_portal_url_pattern_is_in_the_matrix():
    missing = portal_url_names() - {row.url_name for row in MATRIX}
    assert not missing, f"URL patterns missing from the permission matrix: {sorted(missing)}"


def test_the_matrix_names_only_existing_patterns():
    stale = {row.url_name for row in MATRIX} - portal_url_names()
    assert not stale, f"The matrix names patterns that no longer exist: {sorted(stale)}"


@dataclass
class World:
    customer: Tenant
    other_customer: Tenant
    users: dict[str, User | None]
    kwargs: dict[str, Any]
    foreign_kwargs: dict[str, Any]


@pytest.fixture
def world(db) -> World:
    partner = make_partner(name="Fabrikam Partners")
    other_partner = make_partner(name="Litware Partners")
    customer = make_tenant(name="Contoso")
    other_customer = make_tenant(name="Northwind Traders")
    cadmin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    plain = make_user(customer)
    other = make_user(other_customer, roles=[Role.GLOBAL_ADMIN])
    relationship = make_relationship(
        partner, customer, roles=[Role.GLOBAL_ADMIN], accepted_by=cadmin
    )
    foreign_relationship = make_relationship(
        other_partner, other_customer, roles=[Role.GLOBAL_ADMIN], accepted_by=other
    )
    tmember, tformer, tother, tbare = (make_partner_user(partner, level="teams") for _ in range(4))
    users: dict[str, User | None] = {
        "anon": None,
        "plain": plain,
        "cadmin": cadmin,
        "other": other,
        "pnone": make_partner_user(partner),
        "limited": make_partner_user(partner, level="limited"),
        "full": make_partner_user(partner, level="full"),
        "tmember": tmember,
        "tformer": tformer,
        "tother": tother,
        "tbare": tbare,
        "qagent": make_partner_user(other_partner, level="full"),
        "padmin": make_partner_user(partner, roles=[Role.GLOBAL_ADMIN]),
        "operator": User.objects.create_superuser("operator@platform.example", "x" * 16),
    }
    enrol_totp(users["operator"])  # type: ignore[arg-type]
    padmin = users["padmin"]
    assert padmin is not None
    offer = Offer.objects.create(partner=partner, roles=[Role.GLOBAL_ADMIN], created_by=padmin)
    from tenants.models import Domain, Subscription

    domain = Domain.objects.create(tenant=customer, name="extra.contoso.example")
    subscription = Subscription.objects.create(tenant=customer, plan="Business Premium", seats=5)
    service_request = make_service_request(customer, cadmin, title="Mail is slow")
    team = make_team(
        partner,
        "Helpdesk",
        members=[users["pnone"], tmember, tformer],  # type: ignore[list-item]
        assignments={None: [Role.PASSWORD_ADMIN], relationship: [Role.USER_ADMIN]},
    )
    # Taken out of Helpdesk as a partner admin does it: nothing of the team's stays.
    assert team_member_remove(partner_admin=padmin, team=team, user=tformer)
    # Another customer of the same partner, in which another team holds all that the
    # relationship grants: none of it may count in Contoso.
    second_customer = make_tenant(name="Woodgrove Bank")
    second_relationship = make_relationship(partner, second_customer, roles=[Role.GLOBAL_ADMIN])
    make_team(
        partner,
        "Escalations",
        members=[tother],
        assignments={second_relationship: [Role.GLOBAL_ADMIN]},
    )
    assert rights(tother, second_customer).has(Permission.MANAGE_DOMAINS)  # it holds it there
    make_team(partner, "Onboarding", members=[tbare])
    group = CustomerGroup.objects.create(partner=partner, name="EU customers")
    group.customers.add(customer)
    kwargs = {
        "tenant_id": customer.pk,
        "team_id": team.pk,
        "group_id": group.pk,
        "domain_id": domain.pk,
        "subscription_id": subscription.pk,
        "request_id": service_request.pk,
        "user_id": plain.pk,
        "relationship_id": relationship.pk,
        "staff_user_id": users["pnone"].pk,  # type: ignore[union-attr]
        "offer_id": offer.pk,
        "token": offer.token,
    }
    foreign_domain = Domain.objects.create(tenant=other_customer, name="extra.northwind.example")
    foreign_subscription = Subscription.objects.create(tenant=other_customer, plan="Basic", seats=2)
    foreign_request = make_service_request(other_customer, other, title="Printer")
    other_partner_admin = make_partner_user(other_partner, roles=[Role.GLOBAL_ADMIN])
    foreign_offer = Offer.objects.create(
        partner=other_partner, roles=[Role.GLOBAL_ADMIN], created_by=other_partner_admin
    )
    foreign_team = make_team(other_partner, "Helpdesk", members=[other_partner_admin])
    foreign_group = CustomerGroup.objects.create(partner=other_partner, name="EU customers")
    foreign_kwargs = {
        "team_id": foreign_team.pk,
        "group_id": foreign_group.pk,
        "user_id": other.pk,
        "staff_user_id": other_partner_admin.pk,
        "domain_id": foreign_domain.pk,
        "subscription_id": foreign_subscription.pk,
        "request_id": foreign_request.pk,
        "relationship_id": foreign_relationship.pk,
        "offer_id": foreign_offer.pk,
    }
    return World(customer, other_customer, users, kwargs, foreign_kwargs)


# Patterns whose object is not the customer's: which world object fills the kwarg.
KWARG_OVERRIDES: dict[str, dict[str, str]] = {
    "delegation:staff-edit": {"user_id": "staff_user_id"},
    "delegation:staff-disable": {"user_id": "staff_user_id"},
    "delegation:staff-enable": {"user_id": "staff_user_id"},
}


def url_for(name: str, kwargs: dict[str, Any]) -> str:
    keys = portal_url_patterns()[name]
    kwargs = {**kwargs, **{k: kwargs[v] for k, v in KWARG_OVERRIDES.get(name, {}).items()}}
    missing = [k for k in keys if k not in kwargs]
    assert not missing, f"The matrix world has no object for {missing} of {name}"
    return reverse(name, kwargs={k: kwargs[k] for k in keys})


def attempt(world: World, actor: str, method: str, url: str) -> Any:
    """One request by ``actor``, whose effects are rolled back so the next actor finds
    the world as it was."""
    client = Client()
    user = world.users[actor]
    with transaction.atomic():
        if user is not None:
            sign_in(client, user)
        response = client.generic(method, url)
        transaction.set_rollback(True)
    return response


def outcome(response: Any) -> str:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if location.startswith(reverse("account_login")) or "/accounts/login/" in location:
            return "login"
        return "ok"
    if response.status_code == 404:
        return "404"
    if response.status_code == 405:
        return "405"
    if 200 <= response.status_code < 300 or response.status_code == 400:
        return "ok"
    return str(response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("row", MATRIX, ids=lambda r: f"{r.url_name}-{r.method}")
def test_permission_matrix(world: World, row: Row):
    url = url_for(row.url_name, world.kwargs)
    failures = []
    for actor in ACTORS:
        response = attempt(world, actor, row.method, url)
        got = outcome(response)
        if got != row.expected[actor]:
            failures.append(
                f"{actor}: expected {row.expected[actor]}, got {got} ({response.status_code})"
            )
    assert not failures, f"{row.method} {url}:\n" + "\n".join(failures)


def actual_table(world: World, names: list[str], methods: tuple[str, ...] = ("GET", "POST")) -> str:
    """The outcomes as they are, in the matrix's format: a tool for writing new rows.

    Every row written from it must be read and judged, never pasted blindly.
    """
    lines = []
    for name in names:
        url = url_for(name, world.kwargs)
        for method in methods:
            got = []
            for actor in ACTORS:
                got.append(outcome(attempt(world, actor, method, url)))
            lines.append(f"{name:<34} {method:<7} " + " ".join(f"{g:<6}" for g in got))
    return "\n".join(lines)


OBJECT_KWARGS = {
    "team_id",
    "group_id",
    "user_id",
    "domain_id",
    "subscription_id",
    "request_id",
    "relationship_id",
    "offer_id",
}


def object_rows() -> list[Row]:
    """Rows whose pattern names an object, and in which somebody reaches it."""
    patterns = portal_url_patterns()
    return [
        row
        for row in MATRIX
        if OBJECT_KWARGS & set(patterns.get(row.url_name, ())) and "ok" in row.expected.values()
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("row", object_rows(), ids=lambda r: f"{r.url_name}-{r.method}")
def test_another_tenants_object_is_not_found(world: World, row: Row):
    """The same URL with another tenant's object in place of this one's: 404 for every
    actor who reaches this tenant's object."""
    foreign = {**world.kwargs, **world.foreign_kwargs}
    url = url_for(row.url_name, foreign)
    failures = []
    for actor in ACTORS:
        if row.expected[actor] != "ok":
            continue
        got = outcome(attempt(world, actor, row.method, url))
        if got != "404":
            failures.append(f"{actor}: expected 404, got {got}")
    assert not failures, f"{row.method} {url}:\n" + "\n".join(failures)
