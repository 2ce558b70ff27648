"""Test data, built through the services so it is shaped as the portal shapes it."""

import itertools
from collections.abc import Iterable

from allauth.account.models import EmailAddress

from tenants.models import Tenant, TenantKind, User
from tenants.roles import Role
from tenants.services import tenant_create, user_create

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


def make_tenant(
    *, kind: TenantKind = TenantKind.CUSTOMER, name: str | None = None, domain: str | None = None
) -> Tenant:
    n = next(_counter)
    return tenant_create(
        kind=kind,
        name=name or f"Tenant {n}",
        domain=domain or f"tenant{n}.example",
        domain_verified=True,
        contact_email=f"contact@tenant{n}.example",
    )


def make_partner(**kwargs: object) -> Tenant:
    return make_tenant(kind=TenantKind.PARTNER, **kwargs)  # type: ignore[arg-type]


def make_user(
    tenant: Tenant,
    *,
    email: str | None = None,
    roles: Iterable[Role] = (),
    password: str = PASSWORD,
    verified: bool = True,
    **extra: object,
) -> User:
    n = next(_counter)
    domain = tenant.domains.get(is_default=True).name
    user = user_create(
        tenant=tenant,
        email=email or f"user{n}@{domain}",
        password=password,
        roles=roles,
        **extra,  # type: ignore[arg-type]
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    return user
