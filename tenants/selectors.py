"""Reads of the directory."""

from django.urls import reverse

from .models import TenantKind, User
from .roles import Role


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
