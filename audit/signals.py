"""Account events in the audit log, and each new tenant's chain head.

A failed sign-in for an address that belongs to no user is not recorded: no tenant's log
could hold it, and writing it anywhere would let anyone fill a chain at will.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import post_save
from django.dispatch import receiver

from tenants.models import Tenant, User

from .actions import Action
from .models import AuditChainHead
from .services import audit_record

logger = logging.getLogger(__name__)

RECOVERY_CODES = "recovery_codes"


def _record_for(user: Any, action: Action, changes: dict[str, Any] | None = None) -> None:
    if not isinstance(user, User):
        return
    audit_record(tenant=user.tenant, action=action, acting_user=user, target=user, changes=changes)


def _recorder(action: Action) -> Callable[..., None]:
    def record(sender: Any, user: Any = None, **kwargs: Any) -> None:
        _record_for(user, action)

    return record


# Signals whose event says only who did what.
for signal, uid, action in [
    (account_signals.user_logged_in, "audit_sign_in", Action.SIGN_IN),
    (auth_signals.user_logged_out, "audit_sign_out", Action.SIGN_OUT),
    (account_signals.password_changed, "audit_password_changed", Action.PASSWORD_CHANGED),
    (account_signals.password_set, "audit_password_set", Action.PASSWORD_CHANGED),
    (account_signals.password_reset, "audit_password_reset", Action.PASSWORD_RESET_BY_EMAIL),
    (mfa_signals.authenticator_reset, "audit_mfa_reset", Action.MFA_RECOVERY_CODES_REGENERATED),
]:
    signal.connect(_recorder(action), dispatch_uid=uid, weak=False)


@receiver(auth_signals.user_login_failed, dispatch_uid="audit_sign_in_failed")
def on_sign_in_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    login = str(credentials.get("email") or credentials.get("username") or "").strip()
    user = User.objects.filter(email__iexact=login).select_related("tenant").first()
    if user is None:
        logger.info("Failed sign-in for an address that belongs to no user")
        return
    _record_for(user, Action.SIGN_IN_FAILED, {"step": "password"})


@receiver(mfa_signals.authentication_failed, dispatch_uid="audit_mfa_failed")
def on_second_factor_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _record_for(user, Action.SIGN_IN_FAILED, {"step": "second factor"})


@receiver(account_signals.user_signed_up, dispatch_uid="audit_signed_up")
def on_signed_up(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if isinstance(user, User):
        audit_record(
            tenant=user.tenant,
            action=Action.SIGNED_UP,
            acting_user=user,
            target=user.tenant,
            changes={"organisation": [None, user.tenant.name]},
        )


@receiver(mfa_signals.authenticator_added, dispatch_uid="audit_mfa_added")
def on_authenticator_added(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    # Recovery codes come with the first authenticator; that act is recorded once.
    if authenticator.type != RECOVERY_CODES:
        _record_for(user, Action.MFA_ENABLED, {"method": [None, str(authenticator.type)]})


@receiver(mfa_signals.authenticator_removed, dispatch_uid="audit_mfa_removed")
def on_authenticator_removed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    if authenticator.type != RECOVERY_CODES:
        _record_for(user, Action.MFA_DISABLED, {"method": [str(authenticator.type), None]})


@receiver(post_save, sender=Tenant, dispatch_uid="audit_chain_head")
def on_tenant_created(sender: Any, instance: Tenant, created: bool, **kwargs: Any) -> None:
    """Every tenant's chain starts with it: writers find a head to lock, never create one."""
    if created and not kwargs.get("raw"):
        AuditChainHead.objects.get_or_create(tenant_id=instance.pk)
