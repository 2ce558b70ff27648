"""The one authorisation rule: what a user may do in a tenant, and why.

At home a user holds its own directory roles; a partner's agent holds the roles of its
partner's effective relationship with a customer, narrowed by its level (Full or
Limited) or, in Teams mode, by the roles its teams hold there, less what acting on a
customer's behalf never allows. Views load a tenant through
``tenant_rights_or_404`` (a 404 whatever the reason) and services re-check with
``require``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from audit.services import audit_agent_entered_once
from partnerportal.refusals import Refused
from tenants.models import Tenant, TenantKind, User
from tenants.roles import ROLE_CODES, Permission, Role, permissions_for
from tenants.selectors import user_roles
from tenants.text import possessive

from .models import (
    AGENT_LEVELS,
    LEVEL_ROLE,
    AccessAssignment,
    AccessLevel,
    AgentAccess,
    Relationship,
)

LEVEL_CODES: frozenset[str] = frozenset(level.value for level in AccessLevel)

# Acting on a customer's behalf never allows these, whatever the relationship grants:
# an agent cannot change the customer's partner relationships nor its security settings.
AGENT_EXCLUDED: frozenset[Permission] = frozenset(
    {Permission.MANAGE_PARTNERS, Permission.MANAGE_SETTINGS}
)

# Roles whose holders a password reset without RESET_ADMIN_PASSWORDS may still reach:
# a password admin resets non-admins and other password admins, nobody else.
PASSWORD_RESETTABLE_ROLES: frozenset[Role] = frozenset({Role.PASSWORD_ADMIN})


@dataclass(frozen=True)
class Rights:
    """What a user may do in ``tenant``, and the path that granted it.

    Decide with ``permissions`` (or ``has``) only: for an agent, ``roles`` are what the
    relationship grants *before* the agent's level narrows them.
    """

    tenant: Tenant
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    roles: frozenset[Role] = field(default_factory=frozenset)
    via: str = "none"  # "home", "relationship" or "none"
    relationship: Relationship | None = None
    level: str = AccessLevel.NONE
    # In Teams mode: the names of the teams through which the agent holds something
    # here, sorted ("through Helpdesk"), and, per team in that order, the roles it holds
    # here (``roles_held``): "Password administrator, through Helpdesk".
    teams: tuple[str, ...] = ()
    held: tuple[tuple[str, tuple[Role, ...]], ...] = ()
    # In Teams mode, per team in ``teams``' order, the permissions it gives here; and the
    # permission a service asked for (``require``), so that the audit log names the
    # teams through which the agent acted (``acting_teams``).
    team_permissions: tuple[frozenset[Permission], ...] = ()
    exercised: Permission | None = None

    def __contains__(self, permission: object) -> bool:
        return permission in self.permissions

    def __bool__(self) -> bool:
        return bool(self.permissions)

    @property
    def is_agent(self) -> bool:
        return self.via == "relationship"

    @property
    def shows_details(self) -> bool:
        """Whether the tenant's contact details and subscriptions may be shown: at home,
        or through a relationship in force."""
        return self.via != "none"

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions

    def covers(self, roles: Iterable[Role]) -> bool:
        """Whether every permission of ``roles`` is one of these rights' own."""
        return permissions_for(roles) <= self.permissions

    def may_grant(self, role: Role) -> bool:
        """Whether these rights may assign ``role``, create a user with it or remove it:
        only with ``ASSIGN_ROLES``, and only a role whose every permission they hold
        themselves. Nobody grants what it could not do itself; an agent, denied
        ``AGENT_EXCLUDED``, never makes (or unmakes) a global administrator."""
        return self.has(Permission.ASSIGN_ROLES) and self.covers([role])

    @property
    def acting_teams(self) -> tuple[str, ...]:
        """The teams through which an act done with these rights is done: those that give
        the permission ``require`` checked (all of ``teams`` when none was checked)."""
        if self.exercised is None:
            return self.teams
        return tuple(
            name
            for name, given in zip(self.teams, self.team_permissions, strict=True)
            if self.exercised in given
        )


def agent_level(user: User) -> str:
    """The delegated access level of a partner user (``none`` if unset or not a partner)."""
    if not user.tenant.is_partner:
        return AccessLevel.NONE
    try:
        access = user.agent_access  # type: ignore[attr-defined]
    except AgentAccess.DoesNotExist:
        return AccessLevel.NONE
    level = str(access.level)
    return level if level in LEVEL_CODES else AccessLevel.NONE


# What an agent in Teams mode holds, loaded once: (team name, relationship id or None for
# the team's default assignment, role codes).
TeamGrant = tuple[str, UUID | None, list[str]]


def assignments_of(user: User) -> QuerySet[AccessAssignment]:
    """The assignments of ``user``'s teams of its own partner: what the Teams path reads,
    here and where pages filter by it in SQL (``selectors.teams_hold_roles``)."""
    return AccessAssignment.objects.filter(
        team__memberships__user=user, team__partner_id=user.tenant_id
    )


def team_assignments_of(user: User, relationships: Iterable[Any] | None = None) -> list[TeamGrant]:
    """The assignments of ``user``'s teams (of its own partner), in one query whatever the
    number of teams, members and customers: every one, or only the default ones and those
    of ``relationships`` (ids or rows: a page of a list). Never remembered: a change of
    membership or assignment counts from the next request."""
    assignments = assignments_of(user)
    if relationships is not None:
        ids = [getattr(r, "pk", r) for r in relationships]
        assignments = assignments.filter(Q(relationship_id__in=ids) | Q(relationship__isnull=True))
    return [
        (name, relationship_id, roles)
        for name, relationship_id, roles in assignments.values_list(
            "team__name", "relationship_id", "roles"
        )
    ]


def _granted_roles(relationship: Relationship) -> frozenset[Role]:
    """The relationship's roles; a value outside the catalogue grants nothing."""
    return _role_codes(relationship.roles)


def _agent_rights(tenant: Tenant, relationship: Relationship, level: str) -> Rights:
    """The pure core of the agent path: relationship roles ∩ level, less the exclusions."""
    level_role = LEVEL_ROLE.get(level)
    if level_role is None:
        return Rights(tenant=tenant)
    roles = _granted_roles(relationship)
    return Rights(
        tenant=tenant,
        permissions=_agent_permissions(roles, level_role),
        roles=roles,
        via="relationship",
        relationship=relationship,
        level=level,
    )


@lru_cache(maxsize=256)
def _agent_permissions(roles: frozenset[Role], level_role: Role) -> frozenset[Permission]:
    """What a relationship's ``roles`` allow an agent of ``level_role``: a few
    combinations, read for every customer a lookup lists."""
    return (permissions_for(roles) & permissions_for([level_role])) - AGENT_EXCLUDED


def _role_codes(codes: Iterable[str] | None) -> frozenset[Role]:
    return frozenset(Role(c) for c in codes or [] if c in ROLE_CODES)


def _own(role: Role) -> frozenset[Permission]:
    return permissions_for([role]) - AGENT_EXCLUDED


@lru_cache(maxsize=256)
def roles_held(granted: frozenset[Role], assigned: frozenset[Role]) -> tuple[Role, ...]:
    """The roles, in catalogue order, that a team assigned ``assigned`` holds where a
    relationship grants ``granted``, for people to read: each role whose every
    permission (less ``AGENT_EXCLUDED``) the team holds there and that no other such
    role includes. Where the team holds only part of every role (an assignment that
    overlaps the grant without covering a role), its assigned roles that overlap it;
    nothing where it holds nothing."""
    held = (permissions_for(assigned) & permissions_for(granted)) - AGENT_EXCLUDED
    if not held:
        return ()
    fits = [role for role in Role if _own(role) and _own(role) <= held]
    whole = tuple(r for r in fits if not any(_own(r) < _own(other) for other in fits))
    return whole or tuple(role for role in Role if role in assigned and _own(role) & held)


def team_roles_here(relationship: Relationship, codes: Iterable[str]) -> tuple[Role, ...]:
    """The roles a team assigned the role ``codes`` holds in ``relationship``
    (``roles_held``): what the customer's Administrators page shows of each team."""
    return roles_held(_granted_roles(relationship), _role_codes(codes))


def level_acts_here(relationship: Relationship, level: str) -> bool:
    """Whether a staff member of the simple ``level`` (Full or Limited) holds any
    permission through ``relationship``, as ``_agent_rights`` decides."""
    level_role = LEVEL_ROLE.get(level)
    if level_role is None:
        return False
    return bool(_agent_permissions(_granted_roles(relationship), level_role))


def team_rights(
    tenant: Tenant, relationship: Relationship, assignments: Iterable[TeamGrant]
) -> Rights:
    """The pure core of the Teams path: the union of the roles of the assignments that
    apply to ``relationship`` (its own, or a team's default), each within what the
    relationship grants, less the exclusions; nothing, not even the tenant's details,
    where no team holds a role here."""
    roles = _granted_roles(relationship)
    granted = permissions_for(roles) - AGENT_EXCLUDED
    permissions: set[Permission] = set()
    teams: dict[str, set[Role]] = {}
    given: dict[str, set[Permission]] = {}
    for name, relationship_id, codes in assignments:
        if relationship_id is not None and relationship_id != relationship.pk:
            continue
        assigned = _role_codes(codes)
        held = permissions_for(assigned) & granted
        if held:
            permissions |= held
            teams.setdefault(name, set()).update(assigned)
            given.setdefault(name, set()).update(held)
    if not permissions:
        return Rights(tenant=tenant)
    names = sorted(teams)
    return Rights(
        tenant=tenant,
        permissions=frozenset(permissions),
        roles=roles,
        via="relationship",
        relationship=relationship,
        level=AccessLevel.TEAMS,
        teams=tuple(names),
        held=tuple((name, roles_held(roles, frozenset(teams[name]))) for name in names),
        team_permissions=tuple(frozenset(given[name]) for name in names),
    )


def _may_act_as_agent(user: User | object, tenant: Tenant) -> bool:
    return (
        isinstance(user, User)
        and user.is_active
        and user.tenant_id != tenant.pk
        and tenant.kind == TenantKind.CUSTOMER
    )


def rights(user: User | object, tenant: Tenant) -> Rights:
    """The permissions ``user`` holds in ``tenant``: its own roles at home; for a partner
    agent, its partner's effective relationship's roles intersected with its level (in
    Teams mode: with the union of its teams' roles there), less ``AGENT_EXCLUDED``; else
    nothing."""
    if not isinstance(user, User) or not user.is_active:
        return Rights(tenant=tenant)
    if user.tenant_id == tenant.pk:
        roles = user_roles(user)
        return Rights(tenant=tenant, permissions=permissions_for(roles), roles=roles, via="home")
    if not _may_act_as_agent(user, tenant):
        return Rights(tenant=tenant)
    level = agent_level(user)
    if level not in AGENT_LEVELS:
        return Rights(tenant=tenant)
    relationship = _effective_relationship(user, tenant.pk)
    if relationship is None:
        return Rights(tenant=tenant)
    if level == AccessLevel.TEAMS:
        return team_rights(tenant, relationship, team_assignments_of(user, [relationship.pk]))
    return _agent_rights(tenant, relationship, level)


def _effective_relationship(user: User, customer_id: Any) -> Relationship | None:
    """The effective relationship of the user's partner with the customer, with the
    customer, and the partner taken from the user."""
    relationship = (
        Relationship.objects.effective()
        .filter(partner_id=user.tenant_id, customer_id=customer_id)
        .select_related("customer")
        .order_by("pk")
        .first()
    )
    if relationship is not None:
        relationship.partner = user.tenant
    return relationship


def rights_via_relationship(
    user: User | object,
    relationship: Relationship,
    *,
    now: datetime | None = None,
    assignments: Iterable[TeamGrant] | None = None,
) -> Rights:
    """``rights(user, relationship.customer)`` on the agent path only, for a relationship
    already loaded (with its customer): no query per row of a list. In Teams mode, pass
    the agent's ``assignments`` loaded once for the list (``team_assignments_of``);
    without them they are read here, one query."""
    tenant = relationship.customer
    if not isinstance(user, User) or not _may_act_as_agent(user, tenant):
        return Rights(tenant=tenant)
    if relationship.partner_id != user.tenant_id or not relationship.is_effective(now):
        return Rights(tenant=tenant)
    level = agent_level(user)
    if level == AccessLevel.TEAMS:
        if assignments is None:
            assignments = team_assignments_of(user, [relationship.pk])
        return team_rights(tenant, relationship, assignments)
    return _agent_rights(tenant, relationship, level)


def require(user: User | object, tenant: Tenant, permission: Permission) -> Rights:
    """Re-check in a service: raises ``PermissionDenied`` when ``permission`` is missing.
    The rights returned remember ``permission``: the act's audit event names the teams
    that gave it (``Rights.acting_teams``)."""
    r = rights(user, tenant)
    if permission not in r:
        raise PermissionDenied(f"Missing permission {permission.value} in {tenant.pk}.")
    return replace(r, exercised=permission)


def grantable_roles(actor_rights: Rights) -> list[Role]:
    """The roles ``actor_rights`` may grant (``Rights.may_grant``), in catalogue order."""
    return [role for role in Role if actor_rights.may_grant(role)]


def can_reset_password(actor_rights: Rights, target_user: User) -> bool:
    """Whether the holder of ``actor_rights`` may reset ``target_user``'s password: with
    ``RESET_ADMIN_PASSWORDS`` anyone in the tenant whose roles it covers; with
    ``RESET_PASSWORDS`` only users holding no role but the password admin's.

    Taking over an account is holding its roles: nobody resets the password of a user
    holding a permission the actor lacks (an agent, a customer's global admin's)."""
    if target_user.tenant_id != actor_rights.tenant.pk:
        return False
    roles = user_roles(target_user)
    if not actor_rights.covers(roles):
        return False
    if actor_rights.has(Permission.RESET_ADMIN_PASSWORDS):
        return True
    if not actor_rights.has(Permission.RESET_PASSWORDS):
        return False
    return roles <= PASSWORD_RESETTABLE_ROLES


def can_manage_user(actor_rights: Rights, actor: User, target_user: User) -> bool:
    """Whether ``actor`` (holding ``actor_rights``) may edit, disable or enable
    ``target_user`` (never itself).

    Administrators other than password admins are managed only with
    ``RESET_ADMIN_PASSWORDS``, so that a user admin cannot take over an admin's account;
    and, as for a password reset, never a user holding a permission the actor lacks.
    """
    if actor.pk == target_user.pk or target_user.tenant_id != actor_rights.tenant.pk:
        return False
    if not actor_rights.has(Permission.MANAGE_USERS):
        return False
    roles = user_roles(target_user)
    if not actor_rights.covers(roles):
        return False
    if roles - PASSWORD_RESETTABLE_ROLES:
        return actor_rights.has(Permission.RESET_ADMIN_PASSWORDS)
    return True


def rights_in(user: User | object, tenant_id: UUID) -> Rights | None:
    """``rights(user, tenant)`` for the tenant with id ``tenant_id``, loaded on the way;
    None, or rights without a permission, where the user has no way in."""
    if not isinstance(user, User) or not user.is_active:
        return None
    if user.tenant_id == tenant_id:
        return rights(user, user.tenant)
    if agent_level(user) not in AGENT_LEVELS:
        return None  # no agent path: spare the query
    relationship = _effective_relationship(user, tenant_id)
    if relationship is None:
        return None
    return rights_via_relationship(user, relationship)


def tenant_rights_or_404(request: HttpRequest, tenant_id: Any) -> Rights:
    """Load a tenant the user may see, or 404 whether it exists or not."""
    try:
        tenant_pk = tenant_id if isinstance(tenant_id, UUID) else UUID(str(tenant_id))
    except ValueError:
        raise Http404("No such tenant.") from None
    r = rights_in(request.user, tenant_pk)
    if r is None or Permission.VIEW_TENANT not in r:
        raise refusal(request.user, tenant_pk)
    audit_agent_entered_once(request, r)
    return r


# --- Refusals that say why -------------------------------------------------------------


def refusal(user: User | object, tenant_pk: UUID) -> Http404:
    """Why ``user`` has no way into the tenant ``tenant_pk``, said only where the user
    knows the tenant already: its own organisation, or a customer its partner served.
    For anyone else a plain 404, the same whether the tenant exists or not."""
    if not isinstance(user, User) or not user.is_active:
        return Http404("No such tenant.")
    if user.tenant_id == tenant_pk:
        return Refused(
            f"The admin center of {user.tenant.name} is for its administrators, and you hold "
            "no administrator role there. If you need one, ask one of its global "
            "administrators."
        )
    if not user.tenant.is_partner:
        return Http404("No such tenant.")
    served = (
        Relationship.objects.filter(partner_id=user.tenant_id, customer_id=tenant_pk)
        .select_related("customer")
        .order_by("-created")
        .first()
    )
    if served is None:
        return Http404("No such tenant.")
    customer = served.customer.name
    level = agent_level(user)
    if level not in AGENT_LEVELS:
        return Refused(
            f"You have no delegated access to customers, so you cannot administer {customer}. "
            "Ask your partner admin to give you Full or Limited administration."
        )
    if level == AccessLevel.TEAMS and served.is_effective():
        return Refused(
            f"None of your teams holds a role in {customer}, so you cannot administer it. "
            "Ask your partner admin to add you to a team that does."
        )
    return Refused(
        f"{possessive(user.tenant.name)} delegated access to {customer} has ended "
        f"({served.get_display_status_display().lower()}). {customer} can give it again by "
        "accepting a new offer."
    )


def missing_permission(rights: Rights, permission: Permission) -> Refused:
    """Why the holder of ``rights`` (who may see the tenant) may not do this here."""
    tenant = rights.tenant.name
    if rights.is_agent:
        level = AccessLevel(rights.level).label if rights.level in LEVEL_CODES else ""
        if rights.teams:
            level = "through " + ", ".join(rights.teams)
        return Refused(
            f"Your delegated access to {tenant} ({level}) does not allow this: "
            f"“{permission.label}”."
        )
    return Refused(
        f"Your roles in {tenant} do not allow this: “{permission.label}”. One of its global "
        "administrators can give you a role that does."
    )


def user_refusal(
    actor_rights: Rights, actor: User, target_user: User, *, reset: bool, manage: bool
) -> str:
    """Why ``actor`` may not reset the password of (``reset``) or change (``manage``)
    ``target_user`` here, in words; "" when it may do all it is asked about."""
    if (reset or manage) and actor.pk == target_user.pk:
        return "You cannot do this to your own account here; use your profile page."
    acts = []
    if manage and not can_manage_user(actor_rights, actor, target_user):
        acts.append("change")
    if reset and not can_reset_password(actor_rights, target_user):
        acts.append("reset the password of")
    if not acts:
        return ""
    act = " or ".join(acts)
    held = sorted(user_roles(target_user), key=list(Role).index)
    beyond = [role for role in held if not actor_rights.covers([role])]
    if beyond:
        labels = ", ".join(str(role.label) for role in beyond)
        return (
            f"You cannot {act} {target_user.display_name}: they hold {labels}, which "
            "allows more than you may do here. Only someone who may do all of that can."
        )
    return (
        f"You cannot {act} {target_user.display_name}: they are an administrator, and "
        "that needs a role you do not hold here."
    )
