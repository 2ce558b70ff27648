"""Who must use two-factor authentication, whether they do, and the tenant's setting for it.

Every partner user must have MFA; a customer tenant may require it of its administrators.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.actions import Action
from audit.services import audit_in
from tenants.models import Tenant, TenantKind, User
from tenants.roles import Permission
from tenants.services import user_roles

# Session key holding where a user was going when it was sent to enrol (a local path).
MFA_NEXT_SESSION_KEY = "security_mfa_next"
# What counts as a second factor: an authenticator app or a security key. Recovery codes
# alone do not: they only stand in for a lost authenticator.
SECOND_FACTORS = ("totp", "webauthn")


def mfa_required_for(user: User | Any) -> bool:
    """Whether ``user`` must have a second factor before it may use the portal."""
    if not isinstance(user, User) or not user.is_active:
        return False
    tenant = user.tenant
    # Partners and platform operators hold the keys to other organisations.
    if tenant.is_partner or tenant.kind == TenantKind.OPERATOR or user.is_staff:
        return True
    return bool(tenant.require_admin_mfa and user_roles(user))


def has_mfa(user: User | Any) -> bool:
    """Whether ``user`` has a second factor; a request's user has it loaded already."""
    from allauth.mfa.utils import is_mfa_enabled

    if not isinstance(user, User):
        return False
    loaded = getattr(user, "_has_mfa", None)
    if loaded is not None:
        return bool(loaded)
    return is_mfa_enabled(user, list(SECOND_FACTORS))


def tenant_set_require_admin_mfa(*, tenant: Tenant, acting_user: User, require: bool) -> Tenant:
    """Require (or stop requiring) MFA of ``tenant``'s administrators; a global admin of
    the tenant itself only. Partners always require it of everyone."""
    from delegation.access import require as require_permission

    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        rights = require_permission(acting_user, locked, Permission.MANAGE_SETTINGS)
        if locked.is_partner:
            raise ValidationError(
                "A partner organisation always requires two-factor authentication of everyone.",
                code="partner",
            )
        old = locked.require_admin_mfa
        if old != require:
            locked.require_admin_mfa = require
            locked.save(update_fields=["require_admin_mfa"])
            audit_in(
                rights,
                action=Action.TENANT_SETTINGS_CHANGED,
                acting_user=acting_user,
                target=locked,
                changes={"require_admin_mfa": [old, require]},
            )
    tenant.require_admin_mfa = locked.require_admin_mfa
    return locked
