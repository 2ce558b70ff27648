"""Reads of the directory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import Aggregate, CharField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.urls import reverse

from partnerportal.db import planned_each_run

from .models import RoleAssignment, Tenant, TenantKind, User, full_name
from .roles import Role

if TYPE_CHECKING:
    from delegation.models import Relationship


class GroupConcat(Aggregate):
    """SQLite's GROUP_CONCAT (its values joined by commas), where PostgreSQL has ArrayAgg."""

    function = "GROUP_CONCAT"
    output_field = CharField()


def role_codes() -> dict[str, Subquery]:
    """The annotation ``role_codes``: the codes of each user's roles, in the users' own
    query (one subquery, run for the rows returned), read with ``codes_of``."""
    codes = ArrayAgg("role") if connection.vendor == "postgresql" else GroupConcat("role")
    rows = RoleAssignment.objects.filter(user=OuterRef("pk")).values("user")
    return {"role_codes": Subquery(rows.annotate(codes=codes).values("codes"))}


def codes_of(value: str | list[str] | None) -> list[str]:
    """The role codes a ``role_codes`` annotation holds, sorted."""
    if not value:
        return []
    return sorted(value.split(",") if isinstance(value, str) else value)


def user_roles(user: User) -> frozenset[Role]:
    """The directory roles ``user`` holds in its home tenant, kept on the instance; read
    from the ``role_codes`` annotation where the user was loaded with it."""
    cached = getattr(user, "_roles_cache", None)
    if cached is None:
        if hasattr(user, "role_codes"):
            cached = frozenset(Role(code) for code in codes_of(user.role_codes))
        else:
            codes = user.role_assignments.values_list("role", flat=True)
            cached = frozenset(Role(code) for code in codes)
        user._roles_cache = cached  # type: ignore[attr-defined]
    return cached


def forget_roles(user: User) -> None:
    """Drop the roles kept on ``user``, so that ``user_roles`` reads them again.

    ``delattr``, for the user of a request is a lazy proxy with a ``__dict__`` of its own.
    """
    for name in ("_roles_cache", "role_codes"):
        if hasattr(user, name):
            delattr(user, name)


def landing_url(user: User) -> str:
    """Where a user's work is: partner overview, its admin center, or its profile."""
    if user.tenant.is_partner:
        return reverse("delegation:partner-overview")
    if user.tenant.kind == TenantKind.OPERATOR and user.is_staff:
        return reverse("admin:index")
    if user_roles(user):
        return reverse("tenants:admin-center", kwargs={"tenant_id": user.tenant_id})
    return reverse("tenants:profile")


def enabled_global_admins(tenant: Tenant) -> QuerySet[User]:
    """The tenant's enabled global admins (a partner's: its partner admins)."""
    return tenant.users.filter(is_active=True, role_assignments__role=Role.GLOBAL_ADMIN)


def is_partner_admin(user: User | object) -> bool:
    """A partner admin: an enabled user of a partner tenant holding global admin there."""
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
    """How many users ``tenant`` has: exact up to ``cap``, "more than <cap>" above it.

    Unordered, so that an index scan can stop after ``cap + 1`` entries."""
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
    """A page of users by keyset on the (unique) email. Cursors are user ids, looked up
    within the tenant, so no address appears in a URL."""
    after = after if before is None else None  # ``before`` wins
    # The best plan depends on the tenant's size and the search words: never a generic one.
    with planned_each_run():
        found = list(_users_query(tenant.pk, q=q, after=after, before=before, size=size))
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
    qs = users_search(tenant, q).annotate(**role_codes()).values_list(*USER_ROW_FIELDS, named=True)
    mine = User.objects.filter(tenant=tenant)
    after_q = before_q = None
    if after is not None:
        after_q = Q(email__gt=Subquery(mine.filter(pk=after).values("email")[:1]))
    if before is not None:
        before_q = Q(email__lt=Subquery(mine.filter(pk=before).values("email")[:1]))
    return keyset_query(qs, ("email",), after=after_q, before=before_q, size=size)


def keyset_query(
    qs: QuerySet[Any],
    order: Sequence[str],
    *,
    after: Q | None = None,
    before: Q | None = None,
    size: int,
) -> QuerySet[Any]:
    """A page of ``qs`` in ``order`` (a unique order) plus one row, backwards with
    ``before`` (which wins over ``after``); ``keyset_result`` makes the page of its rows.
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
    """``(rows, next_after, previous_before)`` of the rows ``keyset_query`` gave: each
    cursor the primary key of the row at that end, or None where there is no page."""
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
    """A row of ``USER_ROW_FIELDS``, its role codes sorted."""
    codes = codes_of(row.role_codes)
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
    """The partners with delegated access to ``tenant`` right now, each with the staff
    who may act through it, prefetched (``tenant_partner_access``)."""
    from delegation.models import (
        AccessAssignment,
        AccessLevel,
        Relationship,
        Team,
        TeamMembership,
    )

    here = Q(relationship__customer=tenant) | Q(relationship__isnull=True)
    return (
        Relationship.objects.effective()
        .filter(customer=tenant)
        .select_related("partner")
        .prefetch_related(
            Prefetch(
                "partner__users",
                queryset=User.objects.filter(
                    is_active=True,
                    agent_access__level__in=[AccessLevel.FULL, AccessLevel.LIMITED],
                )
                .select_related("agent_access")
                .order_by("last_name", "first_name", "email"),
                to_attr="simple_agents",
            ),
            Prefetch(
                "partner__teams",
                queryset=Team.objects.filter(
                    pk__in=AccessAssignment.objects.filter(here).values("team_id")
                )
                .order_by(Lower("name"), "pk")
                .prefetch_related(
                    Prefetch(
                        "assignments",
                        queryset=AccessAssignment.objects.filter(here),
                        to_attr="assignments_here",
                    ),
                    Prefetch(
                        "memberships",
                        queryset=TeamMembership.objects.filter(
                            user__is_active=True, user__agent_access__level=AccessLevel.TEAMS
                        )
                        .select_related("user")
                        .order_by("user__last_name", "user__first_name", "user__email"),
                        to_attr="current_members",
                    ),
                ),
                to_attr="teams_here",
            ),
        )
        .order_by("partner__name")
    )


@dataclass(frozen=True)
class TeamHere:
    """A partner's team as a customer sees it: the roles it holds in the customer and
    the staff through whom it acts."""

    name: str
    roles: tuple[Role, ...]
    members: list[User]


@dataclass(frozen=True)
class PartnerAccess:
    """A partner relationship in force and every technician who may act through it:
    its teams holding roles here (for staff in Teams mode) and its staff of the simple
    modes, Full or Limited, who hold something here."""

    relationship: Relationship
    teams: list[TeamHere]
    staff: list[User]


def tenant_partner_access(tenant: Tenant) -> list[PartnerAccess]:
    """Who, at each partner with delegated access to ``tenant`` right now, may act in it:
    the teams whose assignments (this relationship's own, or the team's default) hold
    roles within the grant, with their enabled members in Teams mode, and the enabled
    staff in Full or Limited mode. Only the relationship's own partner's teams and staff;
    six queries whatever the number of partners, teams, members and staff."""
    from delegation.access import level_acts_here, team_roles_here

    found = []
    for relationship in tenant_partner_relationships(tenant):
        partner = relationship.partner
        teams = []
        for team in partner.teams_here:  # type: ignore[attr-defined]
            codes = {
                code
                for assignment in team.assignments_here
                if assignment.relationship_id in (None, relationship.pk)
                for code in assignment.roles or []
            }
            roles = team_roles_here(relationship, codes)
            if roles:
                members = [m.user for m in team.current_members]
                teams.append(TeamHere(name=team.name, roles=roles, members=members))
        staff = [
            user
            for user in partner.simple_agents  # type: ignore[attr-defined]
            if level_acts_here(relationship, user.agent_access.level)
        ]
        found.append(PartnerAccess(relationship=relationship, teams=teams, staff=staff))
    return found
