"""Writes of delegated administration on the partner's side."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.actions import Action
from audit.services import audit_record
from tenants.models import User

from .models import AccessLevel, AgentAccess
from .selectors import is_partner_admin

# Higher is more access; a partner admin may lower its own level but never raise it.
LEVEL_RANK: dict[str, int] = {AccessLevel.NONE: 0, AccessLevel.LIMITED: 1, AccessLevel.FULL: 2}


def agent_access_check(*, actor: User, staff_user: User, old_level: str, new_level: str) -> None:
    """Raise ``ValidationError`` with a message for a change nobody may make.

    Shared by the service and by the forms that lead to it (Django admin included),
    so the same words reach the person whichever way it came.
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
        raise ValidationError(
            "You cannot raise your own delegated access. Ask another partner admin.",
            code="self_escalation",
        )


def _agent_access_write(*, actor: User, staff_user: User, level: str) -> AgentAccess:
    """Lock ``staff_user`` (there may be no access row to lock yet), apply ``level`` if it
    changes anything, and audit it once."""
    locked = User.objects.select_for_update().select_related("tenant").get(pk=staff_user.pk)
    access = AgentAccess.objects.filter(user=locked).first()
    old_level = str(access.level) if access else AccessLevel.NONE
    agent_access_check(actor=actor, staff_user=locked, old_level=old_level, new_level=level)
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
    # The caller's instance must not keep answering with the old level.
    staff_user._state.fields_cache.pop("agent_access", None)
    return access


@transaction.atomic
def agent_access_set(*, partner_admin: User, staff_user: User, level: str) -> AgentAccess:
    """Set a partner staff member's delegated access, as a global admin of its partner."""
    if not is_partner_admin(partner_admin) or partner_admin.tenant_id != staff_user.tenant_id:
        raise PermissionDenied("Only an admin of the same partner may change delegated access.")
    return _agent_access_write(actor=partner_admin, staff_user=staff_user, level=level)


@transaction.atomic
def agent_access_set_by_operator(*, operator: User, staff_user: User, level: str) -> AgentAccess:
    """Set a partner staff member's delegated access as a platform operator (superuser)."""
    if not (operator.is_active and operator.is_superuser):
        raise PermissionDenied("Only a platform operator may change this here.")
    return _agent_access_write(actor=operator, staff_user=staff_user, level=level)
