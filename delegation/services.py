"""Writes of delegated administration on the partner's side."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from audit.actions import Action
from audit.services import audit_record
from tenants.mail import outbox_enqueue
from tenants.models import Tenant, User
from tenants.selectors import enabled_global_admins

from .models import AccessLevel, AgentAccess
from .selectors import is_partner_admin

# Higher is more access; a partner admin may lower its own level but raise it only as the
# partner's only admin (else another admin does it: four eyes).
LEVEL_RANK: dict[str, int] = {AccessLevel.NONE: 0, AccessLevel.LIMITED: 1, AccessLevel.FULL: 2}


def agent_access_check(
    *,
    actor: User,
    staff_user: User,
    old_level: str,
    new_level: str,
    reauthenticated: bool = False,
) -> None:
    """Raise ``ValidationError`` with a message for a change nobody may make.

    Shared by the service and by the forms that lead to it (Django admin included),
    so the same words reach the person whichever way it came. Raising one's own access
    is allowed only to a partner's only enabled admin, and only where it has just signed
    in again (``reauthenticated``): with nobody to ask, it must not be stuck.
    """
    if new_level not in AccessLevel.values:
        raise ValidationError("Choose no access, Full administration or Limited administration.")
    if not staff_user.tenant.is_partner:
        raise ValidationError("Only staff of a partner can be given delegated access.")
    if (
        actor.pk == staff_user.pk
        and not actor.is_superuser
        and LEVEL_RANK[new_level] > LEVEL_RANK.get(old_level, 0)
    ):
        if enabled_global_admins(staff_user.tenant).exclude(pk=actor.pk).exists():
            raise ValidationError(
                "You cannot raise your own delegated access. Ask another partner admin.",
                code="self_escalation",
            )
        if not reauthenticated:
            raise ValidationError(
                "You cannot raise your own delegated access here. As your partner's only "
                "admin, raise it on the partner portal's Users page, after signing in again.",
                code="self_escalation_reauth",
            )


def _agent_access_write(
    *, actor: User, staff_user: User, level: str, reauthenticated: bool = False
) -> AgentAccess:
    """Lock ``staff_user`` (there may be no access row to lock yet), apply ``level`` if it
    changes anything, and audit it once."""
    locked = User.objects.select_for_update().select_related("tenant").get(pk=staff_user.pk)
    access = AgentAccess.objects.filter(user=locked).first()
    old_level = str(access.level) if access else AccessLevel.NONE
    agent_access_check(
        actor=actor,
        staff_user=locked,
        old_level=old_level,
        new_level=level,
        reauthenticated=reauthenticated,
    )
    if access is not None and old_level == level:
        return access  # a repeated submit: nothing changes, nothing is recorded
    if access is None:
        access = AgentAccess(user=locked, level=level)
        if level == AccessLevel.NONE:
            return access  # no row and no access: already so
    access.level = level
    access.full_clean()
    access.save()
    audit_record(
        tenant=locked.tenant,
        action=Action.AGENT_ACCESS_CHANGED,
        acting_user=actor,
        target=locked,
        changes={"level": [old_level, level]},
    )
    if actor.pk == locked.pk and LEVEL_RANK[level] > LEVEL_RANK[old_level]:
        _self_access_notify(partner=locked.tenant, admin=locked, access=access)
    # The caller's instance must not keep answering with the old level.
    staff_user._state.fields_cache.pop("agent_access", None)
    return access


def _self_access_notify(*, partner: Tenant, admin: User, access: AgentAccess) -> None:
    """Nobody else approved it: tell the partner's contact address and its admins."""
    admins = enabled_global_admins(partner).values_list("email", flat=True)
    outbox_enqueue(
        to=[e for e in (partner.contact_email, *admins) if e],
        template_prefix="emails/staff/self_access",
        context={
            "partner": partner,
            "actor": admin,
            "user": admin,
            "level": access.get_level_display(),
            "url": partner_portal_url("delegation:staff"),
        },
    )


def partner_portal_url(name: str) -> str:
    """The absolute address of one of the partner's pages, for a mail."""
    return f"{settings.PORTAL_BASE_URL}{reverse(name)}"


def _lock_partner(partner_admin: User, staff_user: User | None = None) -> Tenant:
    """Check that ``partner_admin`` administers its partner (and ``staff_user`` belongs to
    it), then lock the partner: the count of its admins holds until the end."""
    if not is_partner_admin(partner_admin) or (
        staff_user is not None and partner_admin.tenant_id != staff_user.tenant_id
    ):
        raise PermissionDenied("Only an admin of the same partner may do this.")
    return Tenant.objects.select_for_update().get(pk=partner_admin.tenant_id)


@transaction.atomic
def agent_access_set(
    *, partner_admin: User, staff_user: User, level: str, reauthenticated: bool = False
) -> AgentAccess:
    """Set a partner staff member's delegated access, as a global admin of its partner.

    ``reauthenticated``: the admin has just signed in again (the page asks for it), which
    an only admin needs to raise its own access.
    """
    _lock_partner(partner_admin, staff_user)
    return _agent_access_write(
        actor=partner_admin, staff_user=staff_user, level=level, reauthenticated=reauthenticated
    )


@transaction.atomic
def agent_access_set_by_operator(*, operator: User, staff_user: User, level: str) -> AgentAccess:
    """Set a partner staff member's delegated access as a platform operator (superuser)."""
    if not (operator.is_active and operator.is_superuser):
        raise PermissionDenied("Only a platform operator may change this here.")
    return _agent_access_write(actor=operator, staff_user=staff_user, level=level)
