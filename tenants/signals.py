"""Receivers of allauth's account signals; each one hands over to a service."""

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.dispatch import receiver

from .services import user_clear_must_change_password


@receiver(password_changed, dispatch_uid="tenants.password_changed.clear_flag")
@receiver(password_set, dispatch_uid="tenants.password_set.clear_flag")
@receiver(password_reset, dispatch_uid="tenants.password_reset.clear_flag")
def clear_must_change_password(sender: Any, user: Any = None, **kwargs: Any) -> None:
    """The user chose its own password: the temporary one is gone."""
    if user is not None:
        user_clear_must_change_password(user=user)
