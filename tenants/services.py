"""Writes in the directory. Each service owns its transaction and takes keyword arguments."""

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Domain, RoleAssignment, Tenant, TenantKind, User
from .roles import Role

DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?!-)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)


def normalize_domain(value: str) -> str:
    """Lower-case and validate a DNS name; raises ``ValidationError`` with a clear message."""
    name = (value or "").strip().lower().rstrip(".")
    if name.startswith(("http://", "https://")) or "/" in name or "@" in name:
        raise ValidationError("Enter a domain name only, such as contoso.com.", code="invalid")
    if not DOMAIN_RE.match(name):
        raise ValidationError("Enter a valid domain name, such as contoso.com.", code="invalid")
    return name


def domain_is_taken(name: str) -> bool:
    return Domain.objects.filter(name=name.lower()).exists()


@transaction.atomic
def tenant_create(
    *,
    kind: TenantKind,
    name: str,
    domain: str,
    domain_verified: bool = False,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    address: str = "",
    country: str = "",
) -> Tenant:
    """Create a tenant with its default domain."""
    tenant = Tenant(
        kind=kind,
        name=name.strip(),
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        address=address,
        country=country.upper(),
    )
    tenant.full_clean()
    tenant.save()
    dom = Domain(
        tenant=tenant, name=normalize_domain(domain), verified=domain_verified, is_default=True
    )
    dom.full_clean()
    dom.save()
    return tenant


@transaction.atomic
def user_create(
    *,
    tenant: Tenant,
    email: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[Role] = (),
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a user in ``tenant`` holding ``roles`` there."""
    user = User(
        tenant=tenant,
        email=email.strip().lower(),
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=Role(r)) for r in dict.fromkeys(roles)]
    )
    return user


def user_roles(user: User) -> frozenset[Role]:
    """The directory roles ``user`` holds in its home tenant (cached on the instance)."""
    cached = getattr(user, "_roles_cache", None)
    if cached is None:
        cached = frozenset(Role(r) for r in user.role_assignments.values_list("role", flat=True))
        user._roles_cache = cached  # type: ignore[attr-defined]
    return cached


def user_end_sessions(user: User) -> int:
    """End every open session of ``user``; returns how many were ended."""
    from allauth.usersessions.models import UserSession

    # Not purge_and_list(): once the user is disabled it would drop the tracking rows and
    # leave the sessions themselves in place, to come back to life if it is re-enabled.
    sessions = list(UserSession.objects.filter(user_id=user.pk))
    for session in sessions:
        session.end()
    return len(sessions)


@transaction.atomic
def user_set_enabled(*, user: User, enabled: bool) -> User:
    """Enable or disable ``user``; disabling ends its sessions at once."""
    user.is_active = enabled
    user.save(update_fields=["is_active"])
    if not enabled:
        transaction.on_commit(lambda: user_end_sessions(user))
    return user


@transaction.atomic
def partner_create(*, name: str, domain: str, admin_email: str, contact_email: str = "") -> User:
    """Create a partner tenant and its first admin (global admin, no password yet)."""
    tenant = tenant_create(
        kind=TenantKind.PARTNER,
        name=name,
        domain=domain,
        domain_verified=True,
        contact_email=contact_email or admin_email,
    )
    return user_create(tenant=tenant, email=admin_email, roles=[Role.GLOBAL_ADMIN])
