"""Reads of delegated administration: who administers the partner, and its customers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any, cast
from uuid import UUID

from django.db import connection
from django.db.models import JSONField, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date

from partnerportal.prepared import Prepared
from tenants.models import Domain, Subscription, SubscriptionStatus, Tenant, TenantKind, User
from tenants.roles import Permission
from tenants.selectors import (
    is_partner_admin,  # noqa: F401 - the partner pages use it from here
    json_rows,
    keyset_query,
    keyset_result,
)

from .access import Rights, agent_level, rights_via_relationship
from .models import AccessLevel, Relationship

LOOKUP_MAX_LENGTH = 254
# Each customer found is a card with its domains, relationship, contact details,
# subscriptions and actions: ten make a screenful or two, and a page that renders fast.
LOOKUP_PAGE_SIZE = 10
# A query without spaces made of DNS characters and at least one dot is a domain.
DOMAIN_SHAPE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]*)+$")


def has_agent_access(user: User | object) -> bool:
    """An enabled partner user whose delegated access level is Full or Limited."""
    return isinstance(user, User) and user.is_active and agent_level(user) != AccessLevel.NONE


def partner_staff(partner: Tenant) -> QuerySet[User]:
    """The partner's own users, with what the staff pages show of them, in two queries."""
    return (
        User.objects.filter(tenant=partner)
        .select_related("agent_access")
        .prefetch_related("role_assignments")
        .order_by("email")
    )


def partner_relationships(partner: Tenant) -> QuerySet[Relationship]:
    """Every relationship of ``partner``, any status, with its customer and domains."""
    return (
        Relationship.objects.filter(partner=partner)
        .select_related("customer", "accepted_by")
        .prefetch_related(
            Prefetch(
                "customer__domains",
                queryset=Domain.objects.filter(is_default=True),
                to_attr="default_domains",
            )
        )
        .order_by("customer__name", "-created")
    )


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


def customer_lookup(partner: Tenant, query: str) -> QuerySet[Tenant]:
    """The partner's customers matching ``query``, by the shape of the query.

    An address (contains ``@``) finds the tenant of the user with that email, exactly
    and in any case; a domain finds tenants with a domain equal to it or starting with
    it; anything else finds tenants whose name contains it, in any case. Only tenants
    with a relationship with ``partner``, in any status, are ever found, in the order of
    their names (any case) by the name index, so a page stops at its last row; each carries
    ``partner_relationships_here`` (newest first), and its domains and subscriptions as
    JSON (``domain_rows``, ``subscription_rows``: ``lookup_results`` reads them), so a
    page of results costs two queries whatever its length.
    """
    terms = _lookup_terms(query)
    if terms is None:
        return Tenant.objects.none()
    return (
        _customers_found(partner.pk, **terms)
        .order_by(Lower("name"), "pk")
        .prefetch_related(_relationships_of(partner))
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
    partner: Any, *, email: str | None, domain: str | None, name: str | None
) -> QuerySet[Tenant]:
    """The partner's customers with a user of ``email``, a domain starting with
    ``domain`` or a name containing ``name`` (one of them given), with their domains and
    subscriptions as JSON."""
    tenants = Tenant.objects.filter(
        kind=TenantKind.CUSTOMER,
        pk__in=Relationship.objects.filter(partner_id=partner).values("customer_id"),
    )
    if email is not None:
        tenants = tenants.filter(pk__in=User.objects.filter(email=email).values("tenant_id"))
    if domain is not None:
        tenants = tenants.filter(
            pk__in=Domain.objects.filter(name__startswith=domain).values("tenant_id")
        )
    if name is not None:
        tenants = tenants.filter(name__icontains=name)
    return tenants.annotate(
        domain_rows=json_rows(Domain, "tenant", name="name", default="is_default"),
        subscription_rows=json_rows(
            Subscription,
            "tenant",
            plan="plan",
            seats="seats",
            status="status",
            renews="renewal_date",
        ),
    )


def _relationships_of(partner: Tenant) -> Prefetch[Any]:
    return Prefetch(
        "partner_relationships",
        queryset=Relationship.objects.filter(partner=partner).order_by("-created"),
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
) -> LookupPage:
    """A page of ``customer_lookup`` by keyset on (name in any case, id): no COUNT and no
    OFFSET, so a page costs the same however many customers match. A cursor must be one
    of the partner's customers: another tenant's id finds nothing (and says nothing of
    where that tenant's name would sort). One query, prepared (one for each shape of
    search and cursor), with each customer's relationships with the partner."""
    terms = _lookup_terms(query)
    if terms is None:
        return LookupPage(tenants=[], next_after=None, previous_before=None)
    found = _lookup_page_query(size).all(
        partner=partner.pk,
        after=after if before is None else None,
        before=before,
        **terms,
    )
    tenants, next_after, previous_before = keyset_result(
        found, after=after is not None and before is None, before=before is not None, size=size
    )
    _attach_relationships(partner, tenants)
    return LookupPage(tenants=tenants, next_after=next_after, previous_before=previous_before)


# A relationship's columns, in this order, in a row of ``_relationship_rows``.
_RELATIONSHIP_FIELDS = tuple(Relationship._meta.concrete_fields)


def _relationship_rows(partner: Any) -> RawSQL:
    """For a query of tenants: each one's relationships with ``partner``, as one column
    holding a JSON array of rows (arrays of ``_RELATIONSHIP_FIELDS``' columns), or None:
    in the tenants' own query, not a query of their own (``_attach_relationships`` makes
    them model instances). Written as SQL, as ``json_rows``; names are the model's own,
    ``partner`` a parameter."""
    qn = connection.ops.quote_name
    opts = Relationship._meta
    columns = ", ".join(f"r.{qn(f.column)}" for f in _RELATIONSHIP_FIELDS)
    if connection.vendor == "postgresql":
        rows = f"JSONB_AGG(JSONB_BUILD_ARRAY({columns}))"
    else:
        rows = f"JSON_GROUP_ARRAY(JSON_ARRAY({columns}))"
    tenant = f"{qn(Tenant._meta.db_table)}.{qn(Tenant._meta.pk.column)}"
    customer = qn(opts.get_field("customer").column)
    partner_column = qn(opts.get_field("partner").column)
    sql = (
        f"(SELECT {rows} FROM {qn(opts.db_table)} r "  # noqa: S608  # nosec B608
        f"WHERE r.{customer} = {tenant} AND r.{partner_column} = %s)"
    )
    value = opts.get_field("partner").get_db_prep_value(partner, connection)
    return RawSQL(sql, [value], output_field=JSONField())  # noqa: S611  # nosec B611


def _attach_relationships(partner: Tenant, tenants: list[Tenant]) -> None:
    """Give each tenant ``partner_relationships_here`` (newest first) from its
    ``relationship_rows``, as ``customer_lookup``'s prefetch does: the model instances a
    query of them gives, each with its customer."""
    using = partner._state.db or "default"
    names = [f.attname for f in _RELATIONSHIP_FIELDS]
    converters = _relationship_converters()
    for tenant in tenants:
        found = []
        for row in getattr(tenant, "relationship_rows", None) or []:
            values = [
                None if v is None else convert(v)
                for convert, v in zip(converters, row, strict=True)
            ]
            relationship = Relationship.from_db(using, names, values)
            relationship.customer = tenant
            found.append(relationship)
        found.sort(key=lambda r: r.pk)
        found.sort(key=lambda r: r.created, reverse=True)  # stable: by id within a moment
        tenant.partner_relationships_here = found  # type: ignore[attr-defined]


@cache
def _relationship_converters() -> tuple[Callable[[Any], Any], ...]:
    """For each of ``_RELATIONSHIP_FIELDS``: its value from JSON (not None) as the ORM
    gives it from the column; chosen once, not for each value."""
    return tuple(_from_json(field) for field in _RELATIONSHIP_FIELDS)


def _from_json(field: Any) -> Callable[[Any], Any]:
    """What makes a column's value as JSON gave it (PostgreSQL's types, SQLite's stored
    text) the value the ORM gives from the column itself."""
    kind = getattr(field, "target_field", field).get_internal_type()
    if kind == "UUIDField":
        return _uuid
    if kind == "DateTimeField":
        return _moment
    if kind == "JSONField":
        return _json
    return cast(Callable[[Any], Any], field.to_python)


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def _moment(value: str) -> datetime:
    """An aware datetime: PostgreSQL's JSON gives its offset, SQLite stores UTC without."""
    moment = datetime.fromisoformat(value)  # a ValueError for anything else
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@lru_cache(maxsize=4)
def _lookup_page_query(size: int) -> Prepared:
    def build(
        partner: Any,
        email: str | None,
        domain: str | None,
        name: str | None,
        after: UUID | None,
        before: UUID | None,
    ) -> QuerySet[Tenant]:
        qs = _customers_found(partner, email=email, domain=domain, name=name).annotate(
            sort_name=Lower("name"), relationship_rows=_relationship_rows(partner)
        )
        return keyset_query(
            qs,
            ("sort_name", "pk"),
            after=_beyond(partner, after, "gt") if after is not None else None,
            before=_beyond(partner, before, "lt") if before is not None else None,
            size=size,
        )

    return Prepared(
        Tenant,
        build,
        partner=Relationship._meta.get_field("partner"),
        email=User._meta.get_field("email"),
        domain=Domain._meta.get_field("name"),
        name="name",
        after="id",
        before="id",
    )


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
    agent may do there right now; its domains (the default first, then by name) and
    subscriptions (by plan)."""

    tenant: Tenant
    relationship: Relationship
    rights: Rights
    domains: list[DomainRow]
    subscriptions: list[SubscriptionRow]

    @property
    def is_active(self) -> bool:
        return self.relationship.display_status == "active"

    @property
    def shows_details(self) -> bool:
        """Whether the lookup shows the customer's contact details and subscriptions."""
        return self.is_active

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
    (the effective one, else the newest), the agent's rights there, its domains and its
    subscriptions; no queries."""
    now = timezone.now()
    results = []
    for tenant in tenants:
        relationships: list[Relationship] = getattr(tenant, "partner_relationships_here", [])
        if not relationships:
            continue
        current = next((r for r in relationships if r.is_effective(now)), relationships[0])
        current.customer = tenant  # already loaded: no query for it
        results.append(
            LookupResult(
                tenant=tenant,
                relationship=current,
                rights=rights_via_relationship(user, current, now=now),
                domains=_domains(getattr(tenant, "domain_rows", None)),
                subscriptions=_subscriptions(getattr(tenant, "subscription_rows", None)),
            )
        )
    return results


def _domains(rows: list[dict[str, Any]] | None) -> list[DomainRow]:
    # SQLite gives a boolean as 0 or 1.
    found = [DomainRow(name=r["name"], is_default=bool(r["default"])) for r in rows or []]
    return sorted(found, key=lambda d: (not d.is_default, d.name))


def _subscriptions(rows: list[dict[str, Any]] | None) -> list[SubscriptionRow]:
    found = [
        SubscriptionRow(
            plan=r["plan"],
            seats=r["seats"],
            status=r["status"],
            renewal_date=parse_date(r["renews"]) if r["renews"] else None,
        )
        for r in rows or []
    ]
    return sorted(found, key=lambda s: s.plan)
