"""Writes in the directory. Each service owns its transaction and takes keyword arguments."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.context import origin_withheld
from audit.services import audit_in, audit_record
from delegation.access import Rights, can_manage_user, can_reset_password, require

from .dns import DnsLookupFailedError, txt_records
from .mail import Mail, outbox_enqueue, outbox_enqueue_many
from .models import (
    Domain,
    RoleAssignment,
    ServiceRequest,
    ServiceRequestComment,
    ServiceRequestStatus,
    Subscription,
    SubscriptionStatus,
    Tenant,
    TenantKind,
    User,
)
from .roles import Permission, Role
from .selectors import enabled_global_admins, forget_roles, user_roles

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


DOMAIN_TAKEN = "This domain is already verified by another organisation on the portal."
DOMAIN_DUPLICATE = "This domain is already one of the organisation's domains."


def domain_is_taken(name: str, *, tenant: Tenant | None = None) -> bool:
    """Whether ``name`` is verified by an organisation, or already held (verified or not)
    by ``tenant``. An unverified claim of another organisation takes nothing."""
    held = Q(verified=True) | Q(tenant=tenant) if tenant is not None else Q(verified=True)
    return Domain.objects.filter(held, name=name.lower()).exists()


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
    """Create a tenant with its default domain; a domain created verified takes the
    name over from other organisations' unverified claims (``domain_take_over``)."""
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
    if domain_verified:
        domain_take_over(dom)
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


def user_end_sessions(user: User) -> int:
    """End every open session of ``user``; returns how many were ended.

    Not allauth's ``purge_and_list``: for a disabled user it drops only the tracking row,
    and the session would come back to life when the user is enabled again.
    """
    from allauth.usersessions.models import UserSession

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
def partner_create(
    *,
    name: str,
    domain: str,
    admin_email: str,
    contact_email: str = "",
    domain_verified: bool = False,
) -> User:
    """Create a partner tenant and its first admin (global admin, no password yet).

    Its domain stays unverified, and so speaks for nobody, until its TXT record is found
    or an operator vouches for it (``domain_verified``)."""
    tenant = tenant_create(
        kind=TenantKind.PARTNER,
        name=name,
        domain=domain,
        domain_verified=domain_verified,
        contact_email=contact_email or admin_email,
    )
    return user_create(tenant=tenant, email=admin_email, roles=[Role.GLOBAL_ADMIN])


def password_set_url(user: User, *, next_url: str = "") -> str:
    """An absolute link at which ``user`` chooses its password, then goes to ``next_url``.

    allauth's password reset key: single-use (it hashes the current password, so it dies
    once a password is set) and valid for ``PASSWORD_RESET_TIMEOUT``. Make it after the
    user's ``EmailAddress`` rows exist: the key covers them too.
    """
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    kwargs = {"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)}
    path = reverse("account_reset_password_from_key", kwargs=kwargs)
    if next_url:
        path += "?" + urlencode({"next": next_url})
    return f"{settings.PORTAL_BASE_URL}{path}"


# --- The admin center: acts in a tenant, each one permission-checked and audited ---

# Letters and digits that cannot be mistaken for one another when read out or retyped.
TEMP_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105

# The same service request or comment sent again within this time is the same one.
RESUBMIT_WINDOW = timedelta(minutes=2)


def _lock_tenant(tenant: Tenant) -> Tenant:
    """Lock the tenant row: writers of tenant-wide invariants (the last global admin, the
    default domain, request numbers) queue up behind it."""
    return Tenant.objects.select_for_update().get(pk=tenant.pk)


def _require_under_lock(acting_user: User, tenant: Tenant, permission: Permission) -> Rights:
    """Check ``permission``, lock the tenant, then check again with the roles read afresh:
    a writer that waited for the lock may have lost its rights meanwhile."""
    require(acting_user, tenant, permission)
    _lock_tenant(tenant)
    forget_roles(acting_user)
    return require(acting_user, tenant, permission)


def _excerpt(text: str, limit: int = 500) -> str:
    """What a comment said, for the audit log: its first ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _change(rights: Rights, acting_user: User, obj: Any, action: Action, **values: Any) -> None:
    """Save ``values`` on ``obj`` and audit the change of each."""
    changes = {name: [getattr(obj, name), value] for name, value in values.items()}
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(values))
    audit_in(rights, action=action, acting_user=acting_user, target=obj, changes=changes)


def _lock_user(tenant: Tenant, user: User) -> User:
    """``user`` locked, looked up among ``tenant``'s users only."""
    return tenant.users.select_for_update().get(pk=user.pk)


def temporary_password() -> str:
    """A strong one-time password: four groups of four unambiguous characters (~92 bits)."""
    groups = ["".join(secrets.choice(TEMP_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)


def password_reset_allowed(*, rights: Rights, actor: User, target: User) -> bool:
    """Whether ``actor`` (holding ``rights``) may reset ``target``'s password here; its
    own is changed on the change-password page."""
    return actor.pk != target.pk and can_reset_password(rights, target)


def user_manage_allowed(*, rights: Rights, actor: User, target: User) -> bool:
    """Whether ``actor`` may edit, disable or enable ``target``: ``can_manage_user``."""
    return can_manage_user(rights, actor, target)


def user_address_check(*, tenant: Tenant, email: str) -> None:
    """Raise ``ValidationError`` unless ``email`` (normalised) is free and in one of
    ``tenant``'s verified domains: a new user's address must be the organisation's own."""
    domain = email.rpartition("@")[2]
    if not tenant.domains.filter(name=domain, verified=True).exists():
        raise ValidationError(
            "The address must be in one of the organisation's verified domains.",
            code="domain",
        )
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError("A user with this email address already exists.", code="taken")


NOT_GRANTABLE_MESSAGE = (
    "You cannot grant or remove the role {role}: it carries permissions you do not "
    "hold yourself here."
)


def _require_grant(rights: Rights, roles: Iterable[Role]) -> None:
    """Refuse, with a clear message and before anything is written, a role ``rights``
    may not grant (``Rights.may_grant``)."""
    for role in roles:
        if not rights.may_grant(role):
            raise ValidationError(
                NOT_GRANTABLE_MESSAGE.format(role=role.label), code="not_grantable"
            )


def _notify_admins_of_agent_grant(
    rights: Rights, acting_user: User, target: User, roles: list[Role], *, created: bool
) -> None:
    """Tell the customer's global admins that a partner's technician made ``target`` an
    administrator (mail on commit, through the outbox)."""
    if not rights.is_agent or rights.relationship is None or not roles:
        return
    recipients = list(
        enabled_global_admins(rights.tenant)
        .exclude(pk=target.pk)
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    outbox_enqueue(
        to=recipients,
        template_prefix="emails/tenants/admin_role_granted",
        context={
            "tenant": rights.tenant,
            "partner": rights.relationship.partner,
            "agent": acting_user,
            "user": target,
            "roles": [role.label for role in roles],
            "created": created,
            "path": reverse(
                "tenants:user-detail", kwargs={"tenant_id": rights.tenant.pk, "user_id": target.pk}
            ),
        },
    )


def _assign_roles(rights: Rights, acting_user: User, target: User, roles: list[Role]) -> None:
    """Write and audit ``roles`` for ``target`` (checked and new to it already)."""
    RoleAssignment.objects.bulk_create([RoleAssignment(user=target, role=role) for role in roles])
    for role in roles:
        audit_in(
            rights,
            action=Action.ROLE_ASSIGNED,
            acting_user=acting_user,
            target=target,
            changes={"role": [None, str(role)]},
        )


def user_add(
    *,
    acting_user: User,
    tenant: Tenant,
    email: str,
    first_name: str = "",
    last_name: str = "",
    job_title: str = "",
    roles: Iterable[Role] = (),
) -> tuple[User, str]:
    """Create a user, in one of ``tenant``'s verified domains, with a temporary password
    it must change at first sign-in, holding ``roles`` (each one the actor may grant);
    returns the user and that password (shown once)."""
    from allauth.account.models import EmailAddress

    email = email.strip().lower()
    roles = [Role(role) for role in dict.fromkeys(roles)]
    password = temporary_password()
    with transaction.atomic():
        rights = _require_under_lock(acting_user, tenant, Permission.MANAGE_USERS)
        _require_grant(rights, roles)
        user_address_check(tenant=tenant, email=email)
        user = User(
            tenant=tenant,
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            job_title=job_title.strip(),
            must_change_password=True,
        )
        user.set_password(password)
        user.full_clean(exclude=["password"])
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError as exc:  # the same address was added at the same moment
            raise ValidationError(
                "A user with this email address already exists.", code="taken"
            ) from exc
        # The tenant has verified the domain, so the address counts as verified.
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        audit_in(
            rights,
            action=Action.USER_CREATED,
            acting_user=acting_user,
            target=user,
            changes={
                "email": [None, email],
                "first_name": [None, user.first_name],
                "last_name": [None, user.last_name],
                "job_title": [None, user.job_title],
            },
        )
        _assign_roles(rights, acting_user, user, roles)
        _notify_admins_of_agent_grant(rights, acting_user, user, roles, created=True)
    return user, password


@transaction.atomic
def user_update(
    *,
    acting_user: User,
    tenant: Tenant,
    user: User,
    first_name: str,
    last_name: str,
    job_title: str,
) -> User:
    """Change a user's name and job title; records only what changed."""
    rights = require(acting_user, tenant, Permission.MANAGE_USERS)
    target = _lock_user(tenant, user)
    if not user_manage_allowed(rights=rights, actor=acting_user, target=target):
        raise PermissionDenied("This user cannot be edited by you.")
    new = {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "job_title": job_title.strip(),
    }
    changes = {
        name: [getattr(target, name), value]
        for name, value in new.items()
        if getattr(target, name) != value
    }
    if not changes:
        return target
    for name, (_old, value) in changes.items():
        setattr(target, name, value)
    target.full_clean(exclude=["password"])
    target.save(update_fields=list(changes))
    audit_in(
        rights, action=Action.USER_UPDATED, acting_user=acting_user, target=target, changes=changes
    )
    return target


def _user_set_enabled_audited(
    *, acting_user: User, tenant: Tenant, user: User, enabled: bool
) -> bool:
    with transaction.atomic():
        rights = _require_under_lock(acting_user, tenant, Permission.MANAGE_USERS)
        target = _lock_user(tenant, user)
        if not user_manage_allowed(rights=rights, actor=acting_user, target=target):
            raise PermissionDenied("This user cannot be disabled or enabled by you.")
        if target.is_active == enabled:
            return False
        if (
            not enabled
            and Role.GLOBAL_ADMIN in user_roles(target)
            and not enabled_global_admins(tenant).exclude(pk=target.pk).exists()
        ):
            raise ValidationError(
                "This is the organisation's last enabled global administrator; "
                "make someone else a global administrator first.",
                code="last_global_admin",
            )
        user_set_enabled(user=target, enabled=enabled)
        audit_in(
            rights,
            action=Action.USER_ENABLED if enabled else Action.USER_DISABLED,
            acting_user=acting_user,
            target=target,
            changes={"is_active": [not enabled, enabled]},
        )
    return True


def user_disable(*, acting_user: User, tenant: Tenant, user: User) -> bool:
    """Disable a user and end its sessions; ``False`` if it was disabled already."""
    return _user_set_enabled_audited(
        acting_user=acting_user, tenant=tenant, user=user, enabled=False
    )


def user_enable(*, acting_user: User, tenant: Tenant, user: User) -> bool:
    """Enable a disabled user; ``False`` if it was enabled already."""
    return _user_set_enabled_audited(
        acting_user=acting_user, tenant=tenant, user=user, enabled=True
    )


def user_password_reset(*, acting_user: User, tenant: Tenant, user: User) -> str:
    """Give ``user`` a new temporary password it must change at its next sign-in, and end
    its sessions. Returns the password, to be shown once; it is never audited."""
    password = temporary_password()
    with transaction.atomic():
        rights = require(acting_user, tenant, Permission.RESET_PASSWORDS)
        target = _lock_user(tenant, user)
        if not password_reset_allowed(rights=rights, actor=acting_user, target=target):
            raise PermissionDenied("This user's password cannot be reset by you.")
        previously_flagged = target.must_change_password
        target.set_password(password)
        target.must_change_password = True
        target.save(update_fields=["password", "must_change_password"])
        audit_in(
            rights,
            action=Action.USER_PASSWORD_RESET,
            acting_user=acting_user,
            target=target,
            changes={"must_change_at_next_sign_in": [previously_flagged, True]},
        )
        transaction.on_commit(lambda: user_end_sessions(target))
    return password


@transaction.atomic
def user_role_assign(*, acting_user: User, tenant: Tenant, user: User, role: Role) -> bool:
    """Give ``user`` (a user of ``tenant``) a directory role the actor may grant;
    ``False`` if it held it. An agent's grant is mailed to the customer's global admins."""
    role = Role(role)
    rights = _require_under_lock(acting_user, tenant, Permission.ASSIGN_ROLES)
    _require_grant(rights, [role])
    target = _lock_user(tenant, user)
    if RoleAssignment.objects.filter(user=target, role=role).exists():
        return False
    _assign_roles(rights, acting_user, target, [role])
    _notify_admins_of_agent_grant(rights, acting_user, target, [role], created=False)
    return True


@transaction.atomic
def user_role_remove(*, acting_user: User, tenant: Tenant, user: User, role: Role) -> bool:
    """Take a directory role the actor may grant from ``user``; ``False`` if it did not
    hold it.

    The last enabled global admin of a tenant keeps its role.
    """
    role = Role(role)
    rights = _require_under_lock(acting_user, tenant, Permission.ASSIGN_ROLES)
    _require_grant(rights, [role])
    target = _lock_user(tenant, user)
    assignment = RoleAssignment.objects.filter(user=target, role=role).first()
    if assignment is None:
        return False
    if (
        role == Role.GLOBAL_ADMIN
        and not enabled_global_admins(tenant).exclude(pk=target.pk).exists()
    ):
        raise ValidationError(
            "This is the organisation's last global administrator; "
            "make someone else a global administrator first.",
            code="last_global_admin",
        )
    assignment.delete()
    audit_in(
        rights,
        action=Action.ROLE_REMOVED,
        acting_user=acting_user,
        target=target,
        changes={"role": [str(role), None]},
    )
    return True


@transaction.atomic
def user_clear_must_change_password(*, user: User) -> None:
    """The user has chosen its own password: stop sending it to the change page."""
    User.objects.filter(pk=user.pk, must_change_password=True).update(must_change_password=False)
    user.must_change_password = False


@transaction.atomic
def domain_add(*, acting_user: User, tenant: Tenant, name: str) -> Domain:
    """Add an unverified domain to ``tenant``, with its own token for the TXT record.

    Another organisation's unverified claim of the name does not stand in the way; one
    that has verified it does."""
    rights = require(acting_user, tenant, Permission.MANAGE_DOMAINS)
    name = normalize_domain(name)
    if tenant.domains.filter(name=name).exists():
        raise ValidationError(DOMAIN_DUPLICATE, code="duplicate")
    if domain_is_taken(name):
        raise ValidationError(DOMAIN_TAKEN, code="taken")
    domain = Domain(tenant=tenant, name=name)
    domain.full_clean()
    try:
        with transaction.atomic():
            domain.save(force_insert=True)
    except IntegrityError as exc:
        # The same name added to this tenant at the same time.
        raise ValidationError(DOMAIN_DUPLICATE, code="duplicate") from exc
    audit_in(
        rights,
        action=Action.DOMAIN_ADDED,
        acting_user=acting_user,
        target=domain,
        changes={"name": [None, name]},
    )
    return domain


def _lock_domain(tenant: Tenant, domain: Domain) -> Domain:
    return tenant.domains.select_for_update().get(pk=domain.pk)


def domain_verify(*, acting_user: User, tenant: Tenant, domain: Domain) -> bool:
    """Verify a domain by its TXT record; ``False`` if it was verified already.

    The record must hold ``domain.txt_record`` exactly. The lookup (a few seconds at
    most) runs before any transaction is opened or any row locked; then the write, the
    take-over of other organisations' claims and the audit happen in one transaction.
    Raises ``ValidationError`` with code ``not_found`` (no such record yet),
    ``dns_failed`` (DNS could not be asked), ``taken`` (verified elsewhere) or ``gone``
    (the claim was lost or removed meanwhile); the last two without asking DNS.
    """
    require(acting_user, tenant, Permission.MANAGE_DOMAINS)
    current = tenant.domains.filter(pk=domain.pk).first()
    if current is None:
        raise _domain_gone(domain)
    if current.verified:
        return False
    if domain_is_taken(current.name):
        raise ValidationError(DOMAIN_TAKEN, code="taken")
    try:
        records = txt_records(current.name)
    except DnsLookupFailedError as exc:
        raise ValidationError(
            f"We could not reach DNS to look up {current.name}. Try again in a few minutes.",
            code="dns_failed",
        ) from exc
    if current.txt_record not in records:
        raise ValidationError(
            f"We could not find the TXT record {current.txt_record} at {current.name}. "
            "DNS changes can take time to appear, from a few minutes to a few hours: "
            "check the record at your DNS host and try again later.",
            code="not_found",
        )
    with transaction.atomic():
        rights = require(acting_user, tenant, Permission.MANAGE_DOMAINS)
        return _domain_mark_verified(
            tenant,
            current,
            lambda locked: _change(
                rights, acting_user, locked, Action.DOMAIN_VERIFIED, verified=True
            ),
        )


@transaction.atomic
def domain_verify_by_operator(*, operator: User, domain: Domain) -> bool:
    """A platform operator vouches for a domain without DNS (Django admin); audited in the
    domain's tenant. ``False`` if it was verified already."""
    if not (operator.is_active and operator.is_superuser):
        raise PermissionDenied("Only platform operators verify domains by hand.")

    def mark(locked: Domain) -> None:
        locked.verified = True
        locked.save(update_fields=["verified"])
        audit_record(
            tenant=locked.tenant,
            action=Action.DOMAIN_VERIFIED,
            acting_user=operator,
            target=locked,
            changes={"verified": [False, True], "by_operator": [None, True]},
        )

    return _domain_mark_verified(domain.tenant, domain, mark)


def _domain_gone(domain: Domain) -> ValidationError:
    """Another organisation proved the name meanwhile, or it was removed."""
    return ValidationError(
        f"{domain.name} is no longer one of the organisation's domains.", code="gone"
    )


def _domain_mark_verified(tenant: Tenant, domain: Domain, mark: Callable[[Domain], None]) -> bool:
    """In the caller's transaction: lock every row of the name (in one order, so two
    organisations verifying it at once queue up), ``mark`` this tenant's row verified
    and take the name over from the others' claims. ``False`` if it was already."""
    rows = list(Domain.objects.select_for_update().filter(name=domain.name).order_by("pk"))
    own = next((row for row in rows if row.pk == domain.pk and row.tenant_id == tenant.pk), None)
    if own is None:
        raise _domain_gone(domain)
    if own.verified:
        return False
    if any(row.verified for row in rows):
        raise ValidationError(DOMAIN_TAKEN, code="taken")
    own.tenant = tenant
    try:
        with transaction.atomic():
            mark(own)
    except IntegrityError as exc:  # verified elsewhere by a writer that locked nothing
        raise ValidationError(DOMAIN_TAKEN, code="taken") from exc
    domain_take_over(own)
    return True


def domain_take_over(domain: Domain) -> list[str]:
    """``domain`` is now verified: remove other organisations' unverified claims of its
    name, in the caller's transaction; returns the names of the tenants that lost it.

    The proof moves the name to the organisation that gave it. Each loser keeps its
    tenant, its users (even those whose addresses are in the name) and its other
    domains; its row of the name is deleted, the deletion is audited in its own tenant
    (with no acting user: nobody of the loser acted) and its enabled global admins are
    mailed, without naming the organisation that proved the name. If the lost name was
    the loser's default domain, its oldest remaining verified domain becomes the
    default; with none, the loser has no default until it verifies one and makes it so
    (an unverified domain never becomes a default).
    """
    losers = list(
        Domain.objects.select_for_update()
        .filter(name=domain.name, verified=False)
        .exclude(tenant_id=domain.tenant_id)
        .order_by("pk")
    )
    if not losers:
        return []
    tenants = {t.pk: t for t in Tenant.objects.filter(pk__in={d.tenant_id for d in losers})}
    lost: list[str] = []
    mails: list[Mail] = []
    for claim in losers:
        loser = tenants[claim.tenant_id]
        changes: dict[str, Any] = {"name": [claim.name, None]}
        target = {"target_type": "domain", "target_id": str(claim.pk), "target_repr": claim.name}
        claim.delete()
        new_default: Domain | None = None
        if claim.is_default:
            new_default = loser.domains.filter(verified=True).order_by("created", "name").first()
            if new_default is not None:
                new_default.is_default = True
                new_default.save(update_fields=["is_default"])
            changes["default_domain"] = [claim.name, new_default.name if new_default else None]
        with origin_withheld():
            audit_record(tenant=loser, action=Action.DOMAIN_LOST, changes=changes, **target)
        mails.append(
            Mail(
                to=list(enabled_global_admins(loser).values_list("email", flat=True)),
                template_prefix="emails/domains/lost",
                context={
                    "tenant": loser,
                    "domain": claim.name,
                    "was_default": claim.is_default,
                    "new_default": new_default.name if new_default else "",
                },
            )
        )
        lost.append(loser.name)
    outbox_enqueue_many(mails)
    return lost


@transaction.atomic
def domain_make_default(*, acting_user: User, tenant: Tenant, domain: Domain) -> bool:
    """Make a verified domain the tenant's default; ``False`` if it was already."""
    rights = require(acting_user, tenant, Permission.MANAGE_DOMAINS)
    _lock_tenant(tenant)
    locked = _lock_domain(tenant, domain)
    if locked.is_default:
        return False
    if not locked.verified:
        raise ValidationError("Verify the domain before making it the default.", code="unverified")
    previous = tenant.domains.filter(is_default=True).first()
    # Clear the old default first: at most one default per tenant, in the database.
    tenant.domains.filter(is_default=True).update(is_default=False)
    locked.is_default = True
    locked.save(update_fields=["is_default"])
    audit_in(
        rights,
        action=Action.DOMAIN_DEFAULT_SET,
        acting_user=acting_user,
        target=locked,
        changes={"default_domain": [previous.name if previous else None, locked.name]},
    )
    return True


@transaction.atomic
def domain_remove(*, acting_user: User, tenant: Tenant, domain: Domain) -> None:
    """Remove a domain that is neither the default nor used by any user's address."""
    rights = require(acting_user, tenant, Permission.MANAGE_DOMAINS)
    _lock_tenant(tenant)
    locked = _lock_domain(tenant, domain)
    if locked.is_default:
        raise ValidationError(
            "The default domain cannot be removed; make another domain the default first.",
            code="default",
        )
    if tenant.users.filter(email__iendswith=f"@{locked.name}").exists():
        raise ValidationError(
            "Users still have addresses in this domain; change or remove them first.",
            code="in_use",
        )
    audit_in(
        rights,
        action=Action.DOMAIN_REMOVED,
        acting_user=acting_user,
        target=locked,
        changes={"name": [locked.name, None]},
    )
    locked.delete()


def _lock_subscription(tenant: Tenant, subscription: Subscription) -> Subscription:
    return tenant.subscriptions.select_for_update().get(pk=subscription.pk)


@transaction.atomic
def subscription_change_seats(
    *, acting_user: User, tenant: Tenant, subscription: Subscription, seats: int
) -> bool:
    """Change the number of seats of an active subscription; ``False`` if unchanged."""
    rights = require(acting_user, tenant, Permission.MANAGE_BILLING)
    locked = _lock_subscription(tenant, subscription)
    if locked.status != SubscriptionStatus.ACTIVE:
        raise ValidationError("Only an active subscription's seats can change.", code="inactive")
    if seats < 1:
        raise ValidationError("A subscription needs at least one seat.", code="min")
    if locked.seats == seats:
        return False
    _change(rights, acting_user, locked, Action.SUBSCRIPTION_SEATS_CHANGED, seats=seats)
    return True


@transaction.atomic
def subscription_cancel(*, acting_user: User, tenant: Tenant, subscription: Subscription) -> bool:
    """Cancel a subscription; ``False`` if it was cancelled already."""
    rights = require(acting_user, tenant, Permission.MANAGE_BILLING)
    locked = _lock_subscription(tenant, subscription)
    if locked.status == SubscriptionStatus.CANCELLED:
        return False
    status = SubscriptionStatus.CANCELLED
    _change(rights, acting_user, locked, Action.SUBSCRIPTION_CANCELLED, status=status)
    return True


@transaction.atomic
def service_request_create(
    *,
    acting_user: User,
    tenant: Tenant,
    title: str,
    description: str,
    severity: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
) -> ServiceRequest:
    """File a service request in ``tenant`` (by an agent: with its partner and relationship)."""
    rights = require(acting_user, tenant, Permission.MANAGE_SERVICE_REQUESTS)
    _lock_tenant(tenant)
    repeated = tenant.service_requests.filter(
        created_by=acting_user,
        title=title.strip(),
        description=description.strip(),
        created__gte=timezone.now() - RESUBMIT_WINDOW,
    ).first()
    if repeated is not None:  # the same form sent twice: one request
        return repeated
    last = tenant.service_requests.aggregate(n=Max("number"))["n"] or 0
    request = ServiceRequest(
        tenant=tenant,
        number=last + 1,
        title=title.strip(),
        description=description.strip(),
        severity=severity,
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip().lower(),
        contact_phone=contact_phone.strip(),
        created_by=acting_user,
        filed_on_behalf_by_partner_id=(
            rights.relationship.partner_id if rights.is_agent and rights.relationship else None
        ),
        relationship=rights.relationship if rights.is_agent else None,
    )
    request.full_clean()
    request.save(force_insert=True)
    audit_in(
        rights,
        action=Action.SERVICE_REQUEST_CREATED,
        acting_user=acting_user,
        target=request,
        changes={"title": [None, request.title], "severity": [None, request.severity]},
    )
    return request


def _lock_service_request(rights: Rights, service_request: ServiceRequest) -> ServiceRequest:
    return ServiceRequest.objects.visible_in(rights).select_for_update().get(pk=service_request.pk)


@transaction.atomic
def service_request_comment(
    *, acting_user: User, tenant: Tenant, service_request: ServiceRequest, body: str
) -> ServiceRequestComment:
    """Add the requester side's comment to an open request."""
    rights = require(acting_user, tenant, Permission.MANAGE_SERVICE_REQUESTS)
    locked = _lock_service_request(rights, service_request)
    if locked.is_closed:
        raise ValidationError("This request is closed; file a new one.", code="closed")
    body = body.strip()
    if not body:
        raise ValidationError("Write a comment first.", code="empty")
    repeated = locked.comments.filter(
        author=acting_user, body=body, created__gte=timezone.now() - RESUBMIT_WINDOW
    ).first()
    if repeated is not None:  # the same comment sent twice: one comment
        return repeated
    comment = ServiceRequestComment.objects.create(request=locked, author=acting_user, body=body)
    locked.save(update_fields=["updated"])
    audit_in(
        rights,
        action=Action.SERVICE_REQUEST_COMMENTED,
        acting_user=acting_user,
        target=locked,
        changes={"comment": [None, _excerpt(comment.body)]},
    )
    return comment


@transaction.atomic
def service_request_close(
    *, acting_user: User, tenant: Tenant, service_request: ServiceRequest
) -> bool:
    """Close a request from the requester's side; ``False`` if it was closed already."""
    rights = require(acting_user, tenant, Permission.MANAGE_SERVICE_REQUESTS)
    locked = _lock_service_request(rights, service_request)
    if locked.is_closed:
        return False
    old = locked.status
    locked.status = ServiceRequestStatus.CLOSED
    locked.save(update_fields=["status", "updated"])
    audit_in(
        rights,
        action=Action.SERVICE_REQUEST_CLOSED,
        acting_user=acting_user,
        target=locked,
        changes={"status": [old, str(ServiceRequestStatus.CLOSED)]},
    )
    return True


def _require_operator(operator: User) -> None:
    if not (operator.is_active and operator.is_staff):
        raise PermissionDenied("Only platform operators answer service requests.")


def _notify_requester(service_request: ServiceRequest, *, update: str, comment: str = "") -> None:
    outbox_enqueue(
        to=[service_request.created_by.email, service_request.contact_email],
        template_prefix="emails/service_requests/updated",
        context={
            "service_request": service_request,
            "tenant": service_request.tenant,
            "update": update,
            "comment": comment,
            "path": reverse(
                "tenants:service-request-detail",
                kwargs={"tenant_id": service_request.tenant_id, "request_id": service_request.pk},
            ),
        },
    )


@transaction.atomic
def service_request_set_status(
    *, operator: User, service_request: ServiceRequest, status: str
) -> bool:
    """A platform operator changes a request's status and the requester is emailed;
    ``False`` if the status was already ``status``."""
    _require_operator(operator)
    status = ServiceRequestStatus(status)
    locked = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
    if locked.status == status:
        return False
    old = locked.status
    locked.status = status
    locked.save(update_fields=["status", "updated"])
    audit_record(
        tenant=locked.tenant,
        action=Action.SERVICE_REQUEST_UPDATED,
        acting_user=operator,
        target=locked,
        changes={"status": [old, str(status)]},
    )
    _notify_requester(locked, update=f"Its status is now: {status.label}.")
    return True


@transaction.atomic
def service_request_answer(
    *, operator: User, service_request: ServiceRequest, body: str
) -> ServiceRequestComment:
    """A platform operator answers a request with a comment; the requester is emailed."""
    _require_operator(operator)
    body = body.strip()
    if not body:
        raise ValidationError("Write an answer first.", code="empty")
    locked = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
    comment = ServiceRequestComment.objects.create(
        request=locked, author=operator, body=body, by_support=True
    )
    locked.save(update_fields=["updated"])
    audit_record(
        tenant=locked.tenant,
        action=Action.SERVICE_REQUEST_COMMENTED,
        acting_user=operator,
        target=locked,
        changes={"comment": [None, _excerpt(comment.body)]},
    )
    _notify_requester(locked, update="Support has answered it.", comment=body)
    return comment
