"""Test data, built through the services so it is shaped as the portal shapes it."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress

from tenants.models import Tenant, TenantKind, User
from tenants.roles import Role
from tenants.services import tenant_create, user_create

if TYPE_CHECKING:
    from django.test import Client

    from delegation.models import Relationship

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
    mfa: bool | None = None,
    **extra: object,
) -> User:
    """A user of ``tenant`` holding ``roles``.

    ``mfa=None`` enrols TOTP exactly when the portal requires MFA of the user (partner
    users; admins of a customer that requires it), so that signed-in tests get past
    the enforcement; pass ``mfa=False`` for a user that has not enrolled yet.
    """
    n = next(_counter)
    roles = tuple(roles)
    domain = tenant.domains.get(is_default=True).name
    user = user_create(
        tenant=tenant,
        email=email or f"user{n}@{domain}",
        password=password,
        roles=roles,
        **extra,  # type: ignore[arg-type]
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    if mfa is None:
        mfa = tenant.is_partner or (tenant.require_admin_mfa and bool(roles))
    if mfa:
        enrol_totp(user)
    return user


DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # a fixed base32 secret for tests only


def totp_code(secret: str = DEMO_TOTP_SECRET, *, at: float | None = None, digits: int = 6) -> str:
    """The RFC 6238 code (SHA-1, 30-second steps) for a base32 ``secret`` at time ``at``
    (now). For now, a code in the last two seconds of its step waits for the next step,
    so that it is still current when the request that carries it is served."""
    import base64
    import hashlib
    import hmac
    import struct
    import time

    if at is None and (left := 30 - time.time() % 30) < 2:
        time.sleep(left + 0.05)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**digits:0{digits}d}"


def fresh_totp_code(secret: str = DEMO_TOTP_SECRET) -> str:
    """A code with at least a few seconds of validity left, so it is not stale on arrival
    (the portal accepts the current step's code only): for a browser, which takes a
    second or more to submit it."""
    import time

    if 30 - time.time() % 30 < 4:
        time.sleep(30 - time.time() % 30 + 0.1)
    return totp_code(secret)


def enrol_totp(user: User, secret: str = DEMO_TOTP_SECRET) -> None:
    """Give ``user`` a TOTP authenticator, as if it had enrolled."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    Authenticator.objects.get_or_create(
        user=user,
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": get_adapter().encrypt(secret)}},
    )


def make_partner_user(
    partner: Tenant,
    *,
    level: str = "none",
    roles: Iterable[Role] = (),
    mfa: bool = True,
    **kwargs: object,
) -> User:
    """A partner staff member (or admin with ``roles``) with the delegated access ``level``.

    Partner users are enrolled in TOTP by default, as the portal requires of them.
    """
    from delegation.models import AgentAccess

    user = make_user(partner, roles=roles, mfa=mfa, **kwargs)  # type: ignore[arg-type]
    if level != "none":
        AgentAccess.objects.update_or_create(user=user, defaults={"level": level})
    return user


def make_relationship(
    partner: Tenant,
    customer: Tenant,
    *,
    roles: Iterable[Role] = (Role.GLOBAL_ADMIN,),
    days: int = 730,
    accepted_by: User | None = None,
    status: str = "active",
    starts: datetime | None = None,
) -> Relationship:
    """A relationship as an accepted offer leaves it."""
    from datetime import timedelta

    from django.utils import timezone

    from delegation.models import Relationship

    if accepted_by is None:
        accepted_by = customer.users.filter(
            role_assignments__role=Role.GLOBAL_ADMIN
        ).first() or make_user(customer, roles=[Role.GLOBAL_ADMIN])
    start = starts or timezone.now()
    return Relationship.objects.create(
        partner=partner,
        customer=customer,
        roles=[str(Role(r)) for r in roles],
        accepted_by=accepted_by,
        accepted_at=start,
        starts=start,
        duration_days=days,
        expires=start + timedelta(days=days),
        status=status,
    )


def sign_in(client: Client, user: User, *, mfa: bool = True) -> None:
    """Sign ``client`` in as ``user`` just now, with password (and second factor)."""
    import time

    client.force_login(user, backend="partnerportal.auth.ModelBackend")
    session = client.session
    now = time.time()
    # allauth counts only records marked ``reauthenticated`` as a recent sign-in.
    records: list[dict[str, object]] = [
        {"method": "password", "at": now, "email": user.email, "reauthenticated": True}
    ]
    if mfa:
        records.append({"method": "mfa", "at": now, "type": "totp", "reauthenticated": True})
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def age_sign_in(client: Client, seconds: int = 3600) -> None:
    """Make the client's sign-in ``seconds`` old, as if the session had sat idle."""
    import time

    from partnerportal.reauth import SIGNED_IN_AT_KEY

    session = client.session
    then = time.time() - seconds
    for record in session.get("account_authentication_methods", []):
        record["at"] = then
    if SIGNED_IN_AT_KEY in session:
        session[SIGNED_IN_AT_KEY] = then
    session.save()


def make_service_request(tenant: Tenant, by: User, *, title: str = "Mail is slow") -> Any:
    """A service request filed in ``tenant`` by ``by``, through the service."""
    from tenants.services import service_request_create

    return service_request_create(
        acting_user=by,
        tenant=tenant,
        title=title,
        description="Since this morning.",
        severity="normal",
        contact_name=by.get_full_name(),
        contact_email=by.email,
    )


def make_team(
    partner: Tenant,
    name: str,
    *,
    members: Iterable[User] = (),
    assignments: dict[Relationship | None, Iterable[Role]] | None = None,
) -> Any:
    """A team of ``partner`` with ``members``, holding roles per relationship (None: the
    team's default assignment, in every customer), stored as the services store them."""
    from delegation.models import AccessAssignment, Team, TeamMembership

    team = Team.objects.create(partner=partner, name=name)
    for user in members:
        TeamMembership.objects.create(team=team, user=user)
    for relationship, roles in (assignments or {}).items():
        AccessAssignment.objects.create(
            team=team, relationship=relationship, roles=[str(Role(r)) for r in roles]
        )
    return team
