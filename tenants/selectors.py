"""Reads of the directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from django.db import connection
from django.db.models import (
    CharField,
    Field,
    JSONField,
    Model,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.urls import reverse

from partnerportal.db import planned_each_run
from partnerportal.prepared import Prepared

from .models import Tenant, TenantKind, User, full_name
from .roles import ROLE_CODES, Role

if TYPE_CHECKING:
    from delegation.models import Relationship

ROLE_SEPARATOR = ","


def role_list() -> RawSQL:
    """For a query of users: each one's role codes in one column (``role_codes``),
    comma-separated in no given order, None for a user without a role.

    Written as SQL, like ``json_rows``: every request reads its user with it, and the
    ORM's aggregate subquery cost more to compile than to run. Names are the models'
    own, quoted; nothing comes from a request.
    """
    from .models import RoleAssignment

    qn = connection.ops.quote_name
    opts = RoleAssignment._meta
    role = qn(opts.get_field("role").column)
    link = qn(opts.get_field("user").column)
    user = f"{qn(User._meta.db_table)}.{qn(User._meta.pk.column)}"
    join = "STRING_AGG" if connection.vendor == "postgresql" else "GROUP_CONCAT"
    sql = (
        f"(SELECT {join}(r.{role}, '{ROLE_SEPARATOR}') "  # noqa: S608  # nosec B608
        f"FROM {qn(opts.db_table)} r WHERE r.{link} = {user})"
    )
    return RawSQL(sql, [], output_field=CharField())  # noqa: S611  # nosec B611


def json_rows(model: type[Model], link: str, **fields: str) -> RawSQL:
    """For a query of tenants: the rows of ``model`` whose ``link`` is each tenant, as one
    column holding a JSON array of objects of ``fields`` (key: field name), in no given
    order, or None where there are none. The rows come with their tenant, in its query,
    instead of in a query of their own (``prefetch_related``).

    Written as SQL: the ORM's aggregate subquery cost more to compile than the query it
    saved. Every name in it is the models' own, quoted; nothing comes from a request.
    """
    if not all(key.isidentifier() for key in fields):
        raise ValueError("json_rows keys must be identifiers.")
    qn = connection.ops.quote_name
    opts = model._meta

    def column(name: str) -> str:
        field = opts.get_field(name)
        if not isinstance(field, Field) or not field.column:
            raise ValueError(f"{model.__name__}.{name} is not a column.")
        return qn(field.column)

    pairs = ", ".join(f"'{key}', r.{column(name)}" for key, name in fields.items())
    if connection.vendor == "postgresql":
        rows = f"JSONB_AGG(JSONB_BUILD_OBJECT({pairs}))"
    else:
        rows = f"JSON_GROUP_ARRAY(JSON_OBJECT({pairs}))"
    tenant = f"{qn(Tenant._meta.db_table)}.{qn(Tenant._meta.pk.column)}"
    sql = f"(SELECT {rows} FROM {qn(opts.db_table)} r WHERE r.{column(link)} = {tenant})"  # noqa: S608  # nosec B608
    return RawSQL(sql, [], output_field=JSONField())  # noqa: S611  # nosec B611


def roles_of(listed: str | None) -> frozenset[Role]:
    """The roles in a ``role_list`` column (codes outside the catalogue are ignored)."""
    return frozenset(Role(c) for c in (listed or "").split(ROLE_SEPARATOR) if c in ROLE_CODES)


def landing_url(user: User) -> str:
    """Where a user's work is: partner overview, its admin center, or its profile."""
    from .services import user_roles

    if user.tenant.is_partner:
        return reverse("delegation:partner-overview")
    if user.tenant.kind == TenantKind.OPERATOR and user.is_staff:
        return reverse("admin:index")
    roles = user_roles(user)
    if roles:
        return reverse("tenants:admin-center", kwargs={"tenant_id": user.tenant_id})
    return reverse("tenants:profile")


def is_tenant_admin(user: User) -> bool:
    from .services import user_roles

    return bool(user_roles(user))


def is_global_admin(user: User) -> bool:
    from .services import user_roles

    return Role.GLOBAL_ADMIN in user_roles(user)


def is_partner_admin(user: User | object) -> bool:
    """A partner admin: an enabled user of a partner tenant holding global admin there."""
    from .services import user_roles

    return (
        isinstance(user, User)
        and user.is_active
        and user.tenant.is_partner
        and Role.GLOBAL_ADMIN in user_roles(user)
    )


# --- The admin center's reads ---------------------------------------------------------------

USERS_PAGE_SIZE = 50
# Above this many users the overview says "more than" instead of counting every row.
USER_COUNT_CAP = 10_000


def user_count_display(tenant: Tenant, cap: int = USER_COUNT_CAP) -> str:
    """How many users ``tenant`` has, for the overview: exact up to ``cap``, "more than
    <cap>" above it. Counts at most ``cap + 1`` index entries, so a tenant of a million
    users costs what one of ten thousand does."""
    # No order: any index on the tenant (an index-only scan where the table is vacuumed)
    # can stop after ``cap + 1`` entries; an order would let PostgreSQL fetch and sort
    # every user of the tenant first, when it guesses that cheaper than the index.
    counted = tenant.users.order_by().values("pk")[: cap + 1].count()
    return f"more than {cap:,}" if counted > cap else f"{counted:,}"


class UserRow(NamedTuple):
    """A user as a page of users lists it: a tuple, not a model instance (fifty a page)."""

    pk: UUID
    email: str
    first_name: str
    last_name: str
    is_active: bool
    role_codes: list[str]  # the codes of its roles, sorted

    def get_full_name(self) -> str:
        return full_name(self.first_name, self.last_name, self.email)


USER_ROW_FIELDS = ("pk", "email", "first_name", "last_name", "is_active", "role_codes")


@dataclass(frozen=True)
class UsersPage:
    """One page of a tenant's users in email order, with the cursors of its neighbours."""

    users: list[UserRow]
    next_after: UUID | None
    previous_before: UUID | None


def users_search(tenant: Tenant | UUID, q: str = "") -> QuerySet[User]:
    """``tenant``'s users whose email or name contains every word of ``q``."""
    qs = User.objects.filter(tenant=tenant)
    for term in q.split():
        qs = qs.filter(
            Q(email__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term)
        )
    return qs


def users_page(
    tenant: Tenant,
    *,
    q: str = "",
    after: UUID | None = None,
    before: UUID | None = None,
    size: int = USERS_PAGE_SIZE,
) -> UsersPage:
    """A page of users by keyset on the (unique) email: no OFFSET and no COUNT, so a page
    costs the same however many users the tenant has. Cursors are user ids, looked up
    within the tenant, so no address appears in a URL. Each user carries ``role_codes``
    (its roles' codes, sorted), read in the same query. Without a search its query is
    prepared (one for each cursor given)."""
    after = after if before is None else None  # ``before`` wins
    # Whether to read a tenant's users in address order or to sort them depends on how
    # many it has (ten, or a hundred thousand): planned for the tenant each time. A
    # generic plan sorted all 10,000 of one tenant for its first page (5 ms, not 0.15).
    with planned_each_run():
        if q.split():
            found = list(_users_query(tenant.pk, q=q, after=after, before=before, size=size))
        else:
            found = _users_page_query(size).all(tenant=tenant.pk, after=after, before=before)
    rows, next_after, previous_before = keyset_result(
        found, after=after is not None, before=before is not None, size=size
    )
    return UsersPage(
        users=[_user_row(row) for row in rows],
        next_after=next_after,
        previous_before=previous_before,
    )


def _users_query(
    tenant: UUID, *, q: str, after: UUID | None, before: UUID | None, size: int
) -> QuerySet[Any]:
    """The query of ``users_page``: rows of ``USER_ROW_FIELDS``."""
    qs = (
        users_search(tenant, q)
        .annotate(role_codes=role_list())
        .values_list(*USER_ROW_FIELDS, named=True)
    )
    mine = User.objects.filter(tenant=tenant)
    after_q = before_q = None
    if after is not None:
        after_q = Q(email__gt=Subquery(mine.filter(pk=after).values("email")[:1]))
    if before is not None:
        before_q = Q(email__lt=Subquery(mine.filter(pk=before).values("email")[:1]))
    return keyset_query(qs, ("email",), after=after_q, before=before_q, size=size)


@lru_cache(maxsize=4)
def _users_page_query(size: int) -> Prepared:
    return Prepared(
        User,
        partial(_users_query, q="", size=size),
        tenant="tenant",
        after="id",
        before="id",
    )


def keyset_query(
    qs: QuerySet[Any],
    order: Sequence[str],
    *,
    after: Q | None = None,
    before: Q | None = None,
    size: int,
) -> QuerySet[Any]:
    """A page of ``qs`` in ``order`` (a unique order): one row more than a page, backwards
    with ``before``; ``keyset_result`` makes the page of its rows.

    ``after`` (the rows past the previous page's last one) or ``before`` (the rows short of
    the next page's first one; it wins when both are given) is the caller's condition for
    its cursor. No OFFSET and no COUNT: a page costs the same however deep it lies.
    """
    if before is not None:
        reverse = [o[1:] if o.startswith("-") else f"-{o}" for o in order]
        return qs.filter(before).order_by(*reverse)[: size + 1]
    if after is not None:
        qs = qs.filter(after)
    return qs.order_by(*order)[: size + 1]


def keyset_result(
    rows: list[Any], *, after: bool, before: bool, size: int
) -> tuple[list[Any], Any, Any]:
    """Up to ``size`` rows of those ``keyset_query`` gave (with the cursor conditions
    named), with the cursors of the pages beside them: ``(rows, next_after,
    previous_before)``, each cursor the primary key of the row at that end, or None where
    there is no page."""
    if before:
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        return (
            rows,
            rows[-1].pk if rows else None,
            rows[0].pk if rows and has_previous else None,
        )
    has_next = len(rows) > size
    rows = rows[:size]
    return (
        rows,
        rows[-1].pk if rows and has_next else None,
        rows[0].pk if rows and after else None,
    )


def uuid_or_none(value: str | None) -> UUID | None:
    """A page cursor from a query string: a UUID, or None for anything else."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def _user_row(row: Any) -> UserRow:
    """A row of ``USER_ROW_FIELDS``, its role codes (a ``role_list``) sorted."""
    codes = sorted(r.value for r in roles_of(row.role_codes))
    return UserRow(row.pk, row.email, row.first_name, row.last_name, row.is_active, codes)


def tenant_administrators(tenant: Tenant) -> QuerySet[User]:
    """``tenant``'s users holding any directory role, with their roles."""
    return (
        tenant.users.filter(role_assignments__isnull=False)
        .distinct()
        .prefetch_related("role_assignments")
        .order_by("email")
    )


def tenant_partner_relationships(tenant: Tenant) -> QuerySet[Relationship]:
    """The partners with delegated access to ``tenant`` right now."""
    from delegation.models import Relationship

    return (
        Relationship.objects.effective()
        .filter(customer=tenant)
        .select_related("partner")
        .order_by("partner__name")
    )
