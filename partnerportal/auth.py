"""Loading the signed-in user with its tenant, roles, access level and second factor.

Every request asks for all of them; these backends load them in one statement, and
``user_roles`` and ``has_mfa`` read what was loaded. Code that changes a user's roles
forgets them on that instance (``tenants.services.forget_roles``).
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet

from tenants.models import User
from tenants.security import SECOND_FACTORS
from tenants.selectors import role_codes


def users_for_request() -> QuerySet[User]:
    """Users with their tenant, access level, roles (``role_codes``) and ``_has_mfa``."""
    from allauth.mfa.models import Authenticator

    second_factor = Authenticator.objects.filter(user=OuterRef("pk"), type__in=SECOND_FACTORS)
    return User.objects.select_related("tenant", "agent_access").annotate(
        **role_codes(), _has_mfa=Exists(second_factor)
    )


def load_for_request(user_id: Any) -> User | None:
    """The user ``user_id`` with everything a request asks of it, or None."""
    try:
        user = users_for_request().get(pk=user_id)
    except (User.DoesNotExist, ValueError, ValidationError):
        return None
    return user


class _LoadsForRequest:
    def get_user(self, user_id: Any) -> User | None:
        user = load_for_request(user_id)
        if user is None or not self.user_can_authenticate(user):  # type: ignore[attr-defined]
            return None
        return user


class ModelBackend(_LoadsForRequest, DjangoModelBackend):
    """Django's backend (Django admin's sign-in, ``force_login``), loading for a request."""


class AuthenticationBackend(_LoadsForRequest, AllauthBackend):
    """allauth's backend (sign-in by email), loading for a request."""
