"""Writes of technician teams on the partner's side: teams, their members, the roles they
hold in customers (access assignments) and customer groups.

Only a partner admin acts, on its own partner's rows; each act is audited in the
partner's log and runs in one transaction under the partner's lock (``_lock_partner``),
so that the four-eyes rule counts admins that stay admins until the end. Repeating an
act (a double submit) changes and records nothing. What an agent may do follows from
these rows at its next request: ``delegation.access`` reads them each time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.actions import Action
from audit.services import audit_record
from tenants.models import Tenant, User
from tenants.roles import ROLE_CODES, ROLE_PERMISSIONS, Role, permissions_for
from tenants.selectors import enabled_global_admins

from .models import (
    AccessAssignment,
    CustomerGroup,
    Relationship,
    RelationshipStatus,
    Team,
    TeamMembership,
)
from .services import _lock_partner

EVERY_CUSTOMER = "every customer"


def _roles_in_order(roles: Iterable[str]) -> list[str]:
    """``roles`` as catalogue codes, each once, in catalogue order; an unknown code is
    refused."""
    codes = {str(r) for r in roles}
    unknown = codes - ROLE_CODES
    if unknown:
        raise ValidationError(f"Unknown role: {', '.join(sorted(unknown))}.", code="role")
    return [role.value for role in Role if role.value in codes]


def _granted(codes: list[str], granted: Iterable[str] | None) -> list[str]:
    """Those of ``codes`` the customer granted: a role it granted, or one whose every
    permission a granted role carries (a User administrator within a Global
    administrator's grant)."""
    allowed = permissions_for(Role(c) for c in granted or [] if c in ROLE_CODES)
    return [c for c in codes if ROLE_PERMISSIONS[Role(c)] <= allowed]


def _gives_more(new: Iterable[str], old: Iterable[str] | None) -> bool:
    """Whether roles ``new`` allow something roles ``old`` do not."""
    return not permissions_for(Role(c) for c in new) <= permissions_for(Role(c) for c in old or [])


def _own_team(partner: Tenant, team: Team) -> Team:
    """``team``, locked, if it is ``partner``'s (else refused as if it did not exist)."""
    locked = Team.objects.select_for_update().filter(pk=team.pk, partner=partner).first()
    if locked is None:
        raise PermissionDenied("No such team.")
    return locked


def _self_raise_check(
    *, actor: User, partner: Tenant, team: Team, reauthenticated: bool, adds_member: bool = False
) -> None:
    """Four eyes: an admin who is (or becomes) a member of ``team`` raises its own access
    by giving the team more; as for its own delegated access level, only the partner's
    only enabled admin may, after signing in again."""
    if not adds_member and not team.memberships.filter(user=actor).exists():
        return
    if enabled_global_admins(partner).exclude(pk=actor.pk).exists():
        raise ValidationError(
            "You cannot give yourself access through a team. Ask another partner admin.",
            code="self_escalation",
        )
    if not reauthenticated:
        raise ValidationError(
            "You cannot give yourself access through a team here. As your partner's only "
            "admin, sign in again first.",
            code="self_escalation_reauth",
        )


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("Give it a name.", code="name")
    return name


def _save_unique(instance: Team | CustomerGroup, message: str) -> None:
    """Validate and save ``instance``; a name taken at the same moment is refused too."""
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationError(message, code="taken") from exc


# --- Teams -----------------------------------------------------------------------------


@transaction.atomic
def team_create(*, partner_admin: User, name: str, description: str = "") -> Team:
    """A new team of the admin's partner; its name is unique in the partner, in any case."""
    partner = _lock_partner(partner_admin)
    team = Team(partner=partner, name=_clean_name(name), description=description.strip())
    _save_unique(team, "The partner already has a team of this name.")
    audit_record(
        tenant=partner,
        action=Action.TEAM_CREATED,
        acting_user=partner_admin,
        target=team,
        changes={"name": [None, team.name], "description": [None, team.description]},
    )
    return team


@transaction.atomic
def team_update(*, partner_admin: User, team: Team, name: str, description: str) -> Team:
    """Rename a team or change its description; records only what changed."""
    partner = _lock_partner(partner_admin)
    locked = _own_team(partner, team)
    new = {"name": _clean_name(name), "description": description.strip()}
    changes = {k: [getattr(locked, k), v] for k, v in new.items() if getattr(locked, k) != v}
    if not changes:
        return locked
    for field, (_old, value) in changes.items():
        setattr(locked, field, value)
    _save_unique(locked, "The partner already has a team of this name.")
    audit_record(
        tenant=partner,
        action=Action.TEAM_UPDATED,
        acting_user=partner_admin,
        target=locked,
        changes=changes,
    )
    return locked


@transaction.atomic
def team_delete(*, partner_admin: User, team: Team) -> bool:
    """Delete a team with its memberships and assignments: its members lose what it held
    at their next request. The event keeps who was in it and what it held; ``False``
    if it was gone already."""
    partner = _lock_partner(partner_admin)
    locked = Team.objects.select_for_update().filter(pk=team.pk).first()
    if locked is None:
        return False
    if locked.partner_id != partner.pk:
        raise PermissionDenied("No such team.")
    members = sorted(locked.memberships.values_list("user__email", flat=True))
    held = {_where(a): a.roles for a in locked.assignments.select_related("relationship__customer")}
    audit_record(
        tenant=partner,
        action=Action.TEAM_DELETED,
        acting_user=partner_admin,
        target=locked,
        changes={"name": [locked.name, None], "members": [members, None], "held": [held, None]},
    )
    locked.delete()
    return True


def _where(assignment: AccessAssignment) -> str:
    relationship = assignment.relationship
    return relationship.customer.name if relationship is not None else EVERY_CUSTOMER


# --- Members ---------------------------------------------------------------------------


@transaction.atomic
def team_member_add(
    *, partner_admin: User, team: Team, user: User, reauthenticated: bool = False
) -> bool:
    """Add a staff member of the team's partner to it; ``False`` if it was in already.
    An admin adding itself is held to the four-eyes rule."""
    partner = _lock_partner(partner_admin)
    locked = _own_team(partner, team)
    if user.tenant_id != partner.pk:
        raise ValidationError(
            "Only the partner's own staff can be members of its teams.", code="staff"
        )
    if TeamMembership.objects.filter(team=locked, user=user).exists():
        return False
    if user.pk == partner_admin.pk:
        _self_raise_check(
            actor=partner_admin,
            partner=partner,
            team=locked,
            reauthenticated=reauthenticated,
            adds_member=True,
        )
    membership = TeamMembership(team=locked, user=user)
    membership.full_clean()
    membership.save()
    audit_record(
        tenant=partner,
        action=Action.TEAM_MEMBER_ADDED,
        acting_user=partner_admin,
        target=user,
        changes={"team": [None, locked.name]},
    )
    return True


@transaction.atomic
def team_member_remove(*, partner_admin: User, team: Team, user: User) -> bool:
    """Take a staff member out of a team; ``False`` if it was not in it."""
    partner = _lock_partner(partner_admin)
    locked = _own_team(partner, team)
    deleted, _ = TeamMembership.objects.filter(team=locked, user=user).delete()
    if not deleted:
        return False
    audit_record(
        tenant=partner,
        action=Action.TEAM_MEMBER_REMOVED,
        acting_user=partner_admin,
        target=user,
        changes={"team": [locked.name, None]},
    )
    return True


# --- Access assignments ----------------------------------------------------------------


def _own_relationship(partner: Tenant, relationship: Relationship) -> Relationship:
    """``relationship``, with its customer, if it is ``partner``'s and active."""
    found = (
        Relationship.objects.filter(pk=relationship.pk, partner=partner)
        .select_related("customer")
        .first()
    )
    if found is None:
        raise PermissionDenied("No such relationship.")
    if found.status != RelationshipStatus.ACTIVE:
        raise ValidationError(
            f"The relationship with {found.customer.name} has ended: it grants nothing to "
            "give a team.",
            code="ended",
        )
    return found


@transaction.atomic
def assignment_set(
    *,
    partner_admin: User,
    team: Team,
    relationship: Relationship | None,
    roles: Iterable[str],
    reauthenticated: bool = False,
) -> AccessAssignment:
    """Give ``team`` exactly ``roles`` in the customer of ``relationship``, never a role
    the customer did not grant (``_granted``); with no relationship, the team's default
    assignment, in every customer now and later (any catalogue roles: in each customer
    the rule keeps only what that relationship grants)."""
    partner = _lock_partner(partner_admin)
    locked = _own_team(partner, team)
    codes = _roles_in_order(roles)
    if not codes:
        raise ValidationError(
            "Choose at least one role, or remove the team's assignment instead.", code="empty"
        )
    where = EVERY_CUSTOMER
    if relationship is not None:
        relationship = _own_relationship(partner, relationship)
        where = relationship.customer.name
        within = _granted(codes, relationship.roles)
        beyond = [c for c in codes if c not in within]
        if beyond:
            labels = ", ".join(str(Role(c).label) for c in beyond)
            raise ValidationError(
                f"{where} did not grant {labels}: a team can only hold roles the customer granted.",
                code="not_granted",
            )
    existing = AccessAssignment.objects.filter(team=locked, relationship=relationship).first()
    old = list(existing.roles) if existing else None
    if old == codes and existing is not None:
        return existing
    if _gives_more(codes, old):
        _self_raise_check(
            actor=partner_admin, partner=partner, team=locked, reauthenticated=reauthenticated
        )
    assignment = existing or AccessAssignment(team=locked, relationship=relationship)
    assignment.roles = codes
    assignment.save()
    audit_record(
        tenant=partner,
        action=Action.TEAM_ASSIGNMENT_SET,
        acting_user=partner_admin,
        target=locked,
        target_repr=f"{locked.name} in {where}",
        changes={"roles": [old, codes]},
    )
    return assignment


@transaction.atomic
def assignment_remove(
    *, partner_admin: User, team: Team, relationship: Relationship | None
) -> bool:
    """Take away what ``team`` holds in the customer of ``relationship`` (None: its
    default assignment); ``False`` if it held nothing there."""
    partner = _lock_partner(partner_admin)
    locked = _own_team(partner, team)
    found = (
        AccessAssignment.objects.filter(team=locked, relationship=relationship)
        .select_related("relationship__customer")
        .first()
    )
    if found is None:
        return False
    where = _where(found)
    old = list(found.roles)
    found.delete()
    audit_record(
        tenant=partner,
        action=Action.TEAM_ASSIGNMENT_REMOVED,
        acting_user=partner_admin,
        target=locked,
        target_repr=f"{locked.name} in {where}",
        changes={"roles": [old, None]},
    )
    return True


@transaction.atomic
def assignment_set_bulk(
    *,
    partner_admin: User,
    team: Team,
    roles: Iterable[str],
    relationships: QuerySet[Relationship],
    reauthenticated: bool = False,
) -> int:
    """Give ``team`` ``roles`` in each customer of ``relationships`` (a filter's or a
    customer group's), each clipped to what that relationship grants, skipping those
    where nothing remains and those not the partner's or not active; in a few queries
    whatever their number, and one event. Returns how many assignments changed."""
    partner = _lock_partner(partner_admin)
    locked = _own_team(partner, team)
    codes = _roles_in_order(roles)
    if not codes:
        raise ValidationError("Choose at least one role.", code="empty")
    targets = list(
        relationships.filter(partner=partner, status=RelationshipStatus.ACTIVE)
        .order_by()
        .values_list("pk", "roles", "customer__name")
    )
    before = dict(
        AccessAssignment.objects.filter(
            team=locked, relationship_id__in=[pk for pk, _, _ in targets]
        ).values_list("relationship_id", "roles")
    )
    now = timezone.now()
    rows: list[AccessAssignment] = []
    names: list[str] = []
    raises = False
    for pk, granted, customer in targets:
        clipped = _granted(codes, granted)
        if not clipped or before.get(pk) == clipped:
            continue
        raises = raises or _gives_more(clipped, before.get(pk))
        rows.append(
            AccessAssignment(
                team=locked, relationship_id=pk, roles=clipped, created=now, updated=now
            )
        )
        names.append(customer)
    if not rows:
        return 0
    if raises:
        _self_raise_check(
            actor=partner_admin, partner=partner, team=locked, reauthenticated=reauthenticated
        )
    AccessAssignment.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["team", "relationship"],
        update_fields=["roles", "updated"],
    )
    audit_record(
        tenant=partner,
        action=Action.TEAM_ASSIGNMENT_SET,
        acting_user=partner_admin,
        target=locked,
        target_repr=f"{locked.name} in {len(rows)} customers",
        changes={"roles": [None, codes], "customers": [None, sorted(names)]},
    )
    return len(rows)


# --- Customer groups -------------------------------------------------------------------


def _own_customers(partner: Tenant, customers: Iterable[Tenant]) -> list[Tenant]:
    """``customers``, each a customer the partner has (or had) a relationship with."""
    wanted = {c.pk: c for c in customers}
    served = set(
        Relationship.objects.filter(partner=partner, customer_id__in=list(wanted)).values_list(
            "customer_id", flat=True
        )
    )
    if set(wanted) - served:
        raise ValidationError("A group holds only the partner's own customers.", code="customer")
    return list(wanted.values())


def _names(customers: Iterable[Tenant]) -> list[str]:
    return sorted(c.name for c in customers)


@transaction.atomic
def customer_group_create(
    *, partner_admin: User, name: str, customers: Iterable[Tenant] = ()
) -> CustomerGroup:
    """A new customer group of the admin's partner, holding ``customers``."""
    partner = _lock_partner(partner_admin)
    members = _own_customers(partner, customers)
    group = CustomerGroup(partner=partner, name=_clean_name(name))
    _save_unique(group, "The partner already has a customer group of this name.")
    group.customers.set(members)
    audit_record(
        tenant=partner,
        action=Action.CUSTOMER_GROUP_CREATED,
        acting_user=partner_admin,
        target=group,
        changes={"name": [None, group.name], "customers": [None, _names(members)]},
    )
    return group


def _own_group(partner: Tenant, group: CustomerGroup) -> CustomerGroup:
    locked = CustomerGroup.objects.select_for_update().filter(pk=group.pk, partner=partner).first()
    if locked is None:
        raise PermissionDenied("No such customer group.")
    return locked


@transaction.atomic
def customer_group_update(
    *,
    partner_admin: User,
    group: CustomerGroup,
    name: str | None = None,
    customers: Iterable[Tenant] | None = None,
    within: Iterable[Tenant] | None = None,
) -> CustomerGroup:
    """Rename a group or change its customers; records only what changed.

    With ``within`` (the customers a page of the group's editor showed), only those
    change: the group then holds its customers outside ``within``, and ``customers``.
    Without it, the group holds exactly ``customers``. The event names the customers
    added and removed, never the whole group, which may be thousands."""
    partner = _lock_partner(partner_admin)
    locked = _own_group(partner, group)
    changes: dict[str, Any] = {}
    if name is not None and _clean_name(name) != locked.name:
        changes["name"] = [locked.name, _clean_name(name)]
        locked.name = _clean_name(name)
        _save_unique(locked, "The partner already has a customer group of this name.")
    if customers is not None:
        wanted = {c.pk: c for c in customers}
        shown = None if within is None else list(within)
        scope = None if shown is None else {c.pk for c in shown} | set(wanted)
        _own_customers(partner, [*wanted.values(), *(shown or ())])
        current = locked.customers.all()
        if scope is not None:
            current = current.filter(pk__in=scope)
        held = {c.pk: c for c in current.only("pk", "name")}
        removed = [c for pk, c in held.items() if pk not in wanted]
        added = [c for pk, c in wanted.items() if pk not in held]
        if added:
            locked.customers.add(*added)
            changes["customers_added"] = [None, _names(added)]
        if removed:
            locked.customers.remove(*removed)
            changes["customers_removed"] = [None, _names(removed)]
    if changes:
        audit_record(
            tenant=partner,
            action=Action.CUSTOMER_GROUP_UPDATED,
            acting_user=partner_admin,
            target=locked,
            changes=changes,
        )
    return locked


@transaction.atomic
def customer_group_delete(*, partner_admin: User, group: CustomerGroup) -> bool:
    """Delete a group (its customers and their relationships stay); ``False`` if gone."""
    partner = _lock_partner(partner_admin)
    locked = CustomerGroup.objects.select_for_update().filter(pk=group.pk).first()
    if locked is None:
        return False
    if locked.partner_id != partner.pk:
        raise PermissionDenied("No such customer group.")
    audit_record(
        tenant=partner,
        action=Action.CUSTOMER_GROUP_DELETED,
        acting_user=partner_admin,
        target=locked,
        changes={"name": [locked.name, None]},
    )
    locked.delete()
    return True


def customer_group_relationships(group: CustomerGroup) -> QuerySet[Relationship]:
    """The active relationships of the group's partner with the group's customers: what
    ``assignment_set_bulk`` takes for "every customer of this group"."""
    return Relationship.objects.filter(
        partner_id=group.partner_id,
        customer__in=group.customers.all(),
        status=RelationshipStatus.ACTIVE,
    )
