"""The one authorisation rule: what a user may do in a tenant, and why.

Every view asks ``rights``; querysets are narrowed with ``tenants_visible_to``;
services re-check with ``require``. Nothing here is cached beyond the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone

from tenants.models import Tenant, TenantKind, User
from tenants.roles import Permission, Role, permissions_for
from tenants.services import user_roles

from .models import LEVEL_ROLE, AccessLevel, AgentAccess, Relationship

# Acting on a customer's behalf never allows these, whatever the relationship grants.
AGENT_EXCLUDED: frozenset[Permission] = frozenset(
    {Permission.MANAGE_PARTNERS, Permission.MANAGE_SETTINGS}
)


@dataclass(frozen=True)
class Rights:
    """What ``user`` may do in ``tenant``, and the path that granted it."""

    tenant: Tenant
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    roles: frozenset[Role] = field(default_factory=frozenset)
    via: str = "none"  # "home", "relationship" or "none"
    relationship: Relationship | None = None
    level: str = AccessLevel.NONE

    def __contains__(self, permission: object) -> bool:
        return permission in self.permissions

    def __bool__(self) -> bool:
        return bool(self.permissions)

    @property
    def is_agent(self) -> bool:
        return self.via == "relationship"

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions


def agent_level(user: User) -> str:
    """The delegated access level of a partner user (``none`` if unset)."""
    if not user.tenant.is_partner:
        return AccessLevel.NONE
    try:
        access = user.agent_access  # type: ignore[attr-defined]
    except AgentAccess.DoesNotExist:
        return AccessLevel.NONE
    return str(access.level)


def rights(user: User | object, tenant: Tenant) -> Rights:
    """The permissions ``user`` holds in ``tenant``.

    At home: its own directory roles. Otherwise, for a partner agent: the roles of its
    partner's effective relationship with ``tenant`` intersected with its level. Else
    nothing.
    """
    if not isinstance(user, User) or not user.is_active:
        return Rights(tenant=tenant)
    if user.tenant_id == tenant.pk:
        roles = user_roles(user)
        return Rights(tenant=tenant, permissions=permissions_for(roles), roles=roles, via="home")
    if tenant.kind != TenantKind.CUSTOMER:
        return Rights(tenant=tenant)
    level = agent_level(user)
    level_role = LEVEL_ROLE.get(level)
    if level_role is None:
        return Rights(tenant=tenant)
    relationship = (
        Relationship.objects.effective(timezone.now())
        .filter(partner_id=user.tenant_id, customer=tenant)
        .first()
    )
    if relationship is None:
        return Rights(tenant=tenant)
    granted = permissions_for(relationship.role_list) & permissions_for([level_role])
    return Rights(
        tenant=tenant,
        permissions=granted - AGENT_EXCLUDED,
        roles=frozenset(relationship.role_list),
        via="relationship",
        relationship=relationship,
        level=level,
    )


def require(user: User | object, tenant: Tenant, permission: Permission) -> Rights:
    """Re-check in a service: raises ``PermissionDenied`` when ``permission`` is missing."""
    from django.core.exceptions import PermissionDenied

    r = rights(user, tenant)
    if permission not in r:
        raise PermissionDenied(f"Missing permission {permission.value} in {tenant.pk}.")
    return r


def tenant_rights_or_404(request: HttpRequest, tenant_id: Any) -> Rights:
    """Load a tenant the user may see, or 404 whether it exists or not."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        raise Http404("No such tenant.")
    r = rights(request.user, tenant)
    if Permission.VIEW_TENANT not in r:
        raise Http404("No such tenant.")
    from audit.services import audit_agent_entered_once

    audit_agent_entered_once(request, r)
    return r


def tenants_visible_to(user: User | object):  # type: ignore[no-untyped-def]
    """Tenants whose admin center ``user`` may open right now."""
    from django.db.models import Q

    if not isinstance(user, User) or not user.is_active:
        return Tenant.objects.none()
    q = Q(pk=user.tenant_id) if user_roles(user) else Q(pk__in=[])
    if LEVEL_ROLE.get(agent_level(user)) is not None:
        q |= Q(
            pk__in=Relationship.objects.effective()
            .filter(partner_id=user.tenant_id)
            .values("customer_id")
        )
    return Tenant.objects.filter(q)
