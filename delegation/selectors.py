"""Reads of delegated administration: who administers the partner, and its customers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from partnerportal.db import planned_each_run
from tenants.models import Domain, Subscription, SubscriptionStatus, Tenant, TenantKind, User
from tenants.roles import Permission
from tenants.selectors import (
    is_partner_admin,  # noqa: F401 - the partner pages use it from here
    keyset_query,
    keyset_result,
)

from .access import (
    Rights,
    agent_level,
    assignments_of,
    rights_via_relationship,
    team_assignments_of,
)
from .models import AccessLevel, Relationship, RelationshipStatus, TeamMembership

LOOKUP_MAX_LENGTH = 254
# Each customer found is a card with its domains, relationship, contact details,
# subscriptions and actions: ten make a screenful or two, and a page that renders fast.
LOOKUP_PAGE_SIZE = 10
# A query without spaces made of DNS characters and at least one dot is a domain.
DOMAIN_SHAPE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]*)+$")


def has_agent_access(user: User | object) -> bool:
    """An enabled partner user with delegated access: Full, Limited or through teams."""
    return isinstance(user, User) and user.is_active and agent_level(user) != AccessLevel.NONE


def partner_staff(partner: Tenant) -> QuerySet[User]:
    """The partner's own users, with what the staff pages show of them (their roles, and
    their teams by name), in three queries."""
    return (
        User.objects.filter(tenant=partner)
        .select_related("agent_access")
        .prefetch_related(
            "role_assignments",
            Prefetch(
                "team_memberships",
                queryset=TeamMembership.objects.filter(team__partner=partner)
                .select_related("team")
                .order_by(Lower("team__name"), "team_id"),
            ),
        )
        .order_by("email")
    )


def is_teams_agent(user: User | object) -> bool:
    """Whether ``user`` reaches customers through its teams (Teams mode)."""
    return isinstance(user, User) and agent_level(user) == AccessLevel.TEAMS


def teams_hold_roles(agent: User, *, probe: bool = False) -> Q:
    """A condition on the agent's partner's relationships: one of ``agent``'s teams has an
    assignment there, or a default, naming at least one role, and the relationship
    grants at least one. A superset of where the agent holds a role (``team_rights``
    decides, in Python, whether those roles meet the grant), for pages to filter in SQL,
    whatever the number of teams: one uncorrelated EXISTS for a team's default and, for
    the relationship's own assignments, the list of those the agent's assignments name,
    hashed once (a page of every relationship: the customers list); with ``probe``, a
    correlated EXISTS, which PostgreSQL plans both ways and runs as a probe of the
    assignments' relationship index where it checks a few relationships (a lookup's
    matches). Costed as a probe, though, it turns a plan over every relationship away
    from a plain scan, hence the list there."""
    mine = assignments_of(agent).exclude(roles=[])
    if probe:
        named = Q(Exists(mine.filter(relationship_id=OuterRef("pk"))))
    else:
        named = Q(pk__in=mine.filter(relationship__isnull=False).values("relationship_id"))
    return ~Q(roles=[]) & (named | Q(Exists(mine.filter(relationship__isnull=True))))


def partner_relationships(partner: Tenant, agent: User | None = None) -> QuerySet[Relationship]:
    """Every relationship of ``partner``, any status, with its customer and domains; for
    an ``agent`` in Teams mode, of those in force only the ones where its teams hold
    roles (``teams_hold_roles``; the ended ones stay, as history)."""
    relationships = Relationship.objects.filter(partner=partner)
    if agent is not None and is_teams_agent(agent):
        now = timezone.now()
        in_force = Q(status=RelationshipStatus.ACTIVE, starts__lte=now, expires__gt=now)
        relationships = relationships.filter(~in_force | teams_hold_roles(agent))
    return (
        relationships.select_related("customer", "accepted_by")
        .prefetch_related(
            Prefetch(
                "customer__domains",
                queryset=Domain.objects.filter(is_default=True),
                to_attr="default_domains",
            )
        )
        .order_by("customer__name", "-created")
    )


def customer_rows(
    agent: User, relationships: Iterable[Relationship]
) -> list[tuple[Relationship, Rights]]:
    """Each of a page of ``partner_relationships`` (with their customers) with what
    ``agent`` may do there now, in one query at most (its teams' assignments, in Teams
    mode). In Teams mode a relationship in force where its teams' roles all fall outside
    the grant is left out, so such a page may show fewer rows than its size."""
    now = timezone.now()
    relationships = list(relationships)
    assignments = (
        team_assignments_of(agent, relationships)
        if relationships and is_teams_agent(agent)
        else None
    )
    rows = []
    for relationship in relationships:
        rights = rights_via_relationship(agent, relationship, now=now, assignments=assignments)
        if assignments is not None and not rights and relationship.is_effective(now):
            continue
        rows.append((relationship, rights))
    return rows


def lookup_kind(query: str) -> str:
    """How ``query`` is searched: ``email``, ``domain`` or ``name`` (empty: ``none``)."""
    q = query.strip().lower()
    if not q:
        return "none"
    if "@" in q:
        return "email"
    if DOMAIN_SHAPE.match(q):
        return "domain"
    return "name"


def customer_lookup(partner: Tenant, query: str, agent: User | None = None) -> QuerySet[Tenant]:
    """The partner's customers matching ``query``, by the shape of the query.

    An address (contains ``@``) finds the tenant of the user with that email, exactly
    and in any case; a domain finds tenants with a domain equal to it or starting with
    it, verified or only claimed (a customer signs up with an unverified domain; the
    card says which are verified); anything else finds tenants whose name contains it,
    in any case. An address or a domain reads the customer's directory, so it finds only
    customers whose relationship with ``partner`` is in force: once it has ended, the
    lookup no longer says whether an address belongs to the former customer nor which
    domains it has now. A name finds customers with a relationship in any status, in
    the order of
    their names (any case) by the name index, so a page stops at its last row; each carries
    ``partner_relationships_here`` (newest first), its domains and its subscriptions,
    prefetched, so a page of results costs the same queries whatever its length.

    For an ``agent`` in Teams mode, a customer whose relationship is in force is found
    only where its teams hold roles (``teams_hold_roles``); a former customer
    found by its name stays found, shown ended.
    """
    terms = _lookup_terms(query)
    if terms is None:
        return Tenant.objects.none()
    return (
        _customers_found(partner.pk, **terms, agent=agent)
        .order_by(Lower("name"), "pk")
        .prefetch_related(_relationships_of(partner), "domains", "subscriptions")
    )


def _lookup_terms(query: str) -> dict[str, str | None] | None:
    """``query`` as the one term of ``_customers_found`` its shape asks for (None: no
    search)."""
    query = query.strip()[:LOOKUP_MAX_LENGTH]
    kind = lookup_kind(query)
    if kind == "none":
        return None
    terms: dict[str, str | None] = dict.fromkeys(("email", "domain", "name"))
    terms[kind] = query if kind == "name" else query.lower()
    return terms


def _customers_found(
    partner: Any,
    *,
    email: str | None,
    domain: str | None,
    name: str | None,
    agent: User | None = None,
) -> QuerySet[Tenant]:
    """The partner's customers with a user of ``email``, a domain starting with
    ``domain`` (both: through a relationship in force) or a name containing ``name``
    (through a relationship in any status); one of them given. For an ``agent`` in Teams
    mode, a customer whose relationship is in force only where its teams hold roles."""
    teams_agent = agent if agent is not None and is_teams_agent(agent) else None
    relationships = Relationship.objects.filter(partner_id=partner)
    if name is None:
        relationships = relationships.effective()
        if teams_agent is not None:
            relationships = relationships.filter(teams_hold_roles(teams_agent, probe=True))
    tenants = Tenant.objects.filter(
        kind=TenantKind.CUSTOMER, pk__in=relationships.values("customer_id")
    )
    if teams_agent is not None and name is not None:
        # Held, or a former customer (nothing in force), found by its name and shown
        # ended: no relationship in force that its teams do not hold (a customer has at
        # most one, ``relationship_one_active_per_pair``). Said as NOT EXISTS, the search
        # walks the name index and checks only the customers of the page, instead of
        # listing every relationship in force first.
        not_held = (
            Relationship.objects.filter(partner_id=partner, customer_id=OuterRef("pk"))
            .effective()
            .exclude(teams_hold_roles(teams_agent, probe=True))
        )
        tenants = tenants.filter(~Exists(not_held))
    if email is not None:
        tenants = tenants.filter(pk__in=User.objects.filter(email=email).values("tenant_id"))
    if domain is not None:
        tenants = tenants.filter(
            pk__in=Domain.objects.filter(name__startswith=domain).values("tenant_id")
        )
    if name is not None:
        tenants = tenants.filter(name__icontains=name)
    return tenants


def _relationships_of(partner: Tenant) -> Prefetch[Any]:
    return Prefetch(
        "partner_relationships",
        queryset=Relationship.objects.filter(partner=partner).order_by("-created", "pk"),
        to_attr="partner_relationships_here",
    )


@dataclass(frozen=True)
class LookupPage:
    """One page of a lookup, with the cursors (tenant ids) of its neighbours."""

    tenants: list[Tenant]
    next_after: UUID | None
    previous_before: UUID | None

    @property
    def is_only_page(self) -> bool:
        return self.next_after is None and self.previous_before is None


def customer_lookup_page(
    partner: Tenant,
    query: str,
    *,
    after: UUID | None = None,
    before: UUID | None = None,
    size: int = LOOKUP_PAGE_SIZE,
    agent: User | None = None,
) -> LookupPage:
    """A page of ``customer_lookup`` by keyset on (name in any case, id): no COUNT and no
    OFFSET, so a page costs the same however many customers match. A cursor must be one
    of the partner's customers: another tenant's id finds nothing (and says nothing of
    where that tenant's name would sort). A LIKE pattern's best plan depends on it: each
    page is planned for its search.

    For an ``agent`` in Teams mode, only customers where its teams hold roles (and
    former customers, by name), filtered in SQL. ``lookup_results`` still drops a
    customer whose teams' roles all fall outside what its relationship grants, so such
    a page may show fewer customers than ``size``."""
    terms = _lookup_terms(query)
    if terms is None:
        return LookupPage(tenants=[], next_after=None, previous_before=None)
    after = after if before is None else None  # ``before`` wins
    qs = (
        _customers_found(partner.pk, **terms, agent=agent)
        .annotate(sort_name=Lower("name"))
        .prefetch_related(_relationships_of(partner), "domains", "subscriptions")
    )
    page = keyset_query(
        qs,
        ("sort_name", "pk"),
        after=_beyond(partner.pk, after, "gt") if after is not None else None,
        before=_beyond(partner.pk, before, "lt") if before is not None else None,
        size=size,
    )
    with planned_each_run():
        found = list(page)
    tenants, next_after, previous_before = keyset_result(
        found, after=after is not None, before=before is not None, size=size
    )
    return LookupPage(tenants=tenants, next_after=next_after, previous_before=previous_before)


def _beyond(partner: Any, cursor: UUID, way: str) -> Q:
    """Past the customer ``cursor`` in (name, id) order; ``way`` is "gt" or "lt"."""
    pivot = Subquery(
        Tenant.objects.filter(
            pk=cursor,
            pk__in=Relationship.objects.filter(partner_id=partner).values("customer_id"),
        )
        .annotate(n=Lower("name"))
        .values("n")[:1]
    )
    # The inclusive bound lets the name index start at the cursor; the rest breaks ties.
    return Q(**{f"sort_name__{way}e": pivot}) & (
        Q(**{f"sort_name__{way}": pivot}) | Q(**{f"pk__{way}": cursor})
    )


@dataclass(frozen=True)
class DomainRow:
    name: str
    is_default: bool
    verified: bool


@dataclass(frozen=True)
class SubscriptionRow:
    plan: str
    seats: int
    status: str
    renewal_date: date | None

    @property
    def status_label(self) -> str:
        return _SUBSCRIPTION_STATUS_LABELS.get(self.status, self.status)


_SUBSCRIPTION_STATUS_LABELS = {code: str(label) for code, label in SubscriptionStatus.choices}


@dataclass(frozen=True)
class LookupResult:
    """One found customer, its current relationship with the partner, and what the
    agent may do there right now; while the relationship is in force, its domains (the
    default first, then by name) and subscriptions (by plan), else none of them."""

    tenant: Tenant
    relationship: Relationship
    rights: Rights
    domains: list[DomainRow]
    subscriptions: list[SubscriptionRow]

    @property
    def shows_details(self) -> bool:
        """Whether the card shows contact details and subscriptions: ``rights()`` decides."""
        return self.rights.shows_details

    @property
    def is_active(self) -> bool:
        return self.relationship.display_status == "active"

    @property
    def can_administer(self) -> bool:
        return self.rights.has(Permission.VIEW_TENANT)

    @property
    def can_request_service(self) -> bool:
        return self.rights.has(Permission.MANAGE_SERVICE_REQUESTS)

    @property
    def can_list_administrators(self) -> bool:
        return self.rights.has(Permission.VIEW_ADMINISTRATORS)


def lookup_results(user: User, tenants: list[Tenant]) -> list[LookupResult]:
    """Pair each tenant of a ``customer_lookup`` page with its current relationship
    (the effective one, else the newest), the agent's rights there and, where ``rights()``
    lets the card show details, its domains and its subscriptions (prefetched: no
    queries). A customer whose relationship has ended keeps its name and nothing of its
    directory.

    For an agent in Teams mode, a customer whose relationship is in force but where it
    holds no role now is left out, and each result's ``rights.held`` says which roles it
    holds there through which team."""
    now = timezone.now()
    currents: list[tuple[Tenant, Relationship]] = []
    for tenant in tenants:
        relationships: list[Relationship] = getattr(tenant, "partner_relationships_here", [])
        if not relationships:
            continue
        current = next((r for r in relationships if r.is_effective(now)), relationships[0])
        current.customer = tenant  # already loaded: no query for it
        currents.append((tenant, current))
    # In Teams mode, the agent's assignments for the whole page: one query.
    assignments = (
        team_assignments_of(user, [r.pk for _, r in currents])
        if currents and agent_level(user) == AccessLevel.TEAMS
        else None
    )
    results = []
    for tenant, current in currents:
        rights = rights_via_relationship(user, current, now=now, assignments=assignments)
        if assignments is not None and not rights and current.is_effective(now):
            continue  # in Teams mode, no role here now
        shown = rights.shows_details
        results.append(
            LookupResult(
                tenant=tenant,
                relationship=current,
                rights=rights,
                domains=_domains(tenant.domains.all()) if shown else [],
                subscriptions=_subscriptions(tenant.subscriptions.all()) if shown else [],
            )
        )
    return results


def _domains(domains: Iterable[Domain]) -> list[DomainRow]:
    found = [DomainRow(name=d.name, is_default=d.is_default, verified=d.verified) for d in domains]
    return sorted(found, key=lambda d: (not d.is_default, d.name))


def _subscriptions(subscriptions: Iterable[Subscription]) -> list[SubscriptionRow]:
    found = [
        SubscriptionRow(plan=s.plan, seats=s.seats, status=s.status, renewal_date=s.renewal_date)
        for s in subscriptions
    ]
    return sorted(found, key=lambda s: s.plan)
