"""Writes of delegated administration on the partner's side: its staff and their access."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.actions import Action
from audit.services import audit_record
from tenants.mail import outbox_enqueue
from tenants.models import Tenant, User
from tenants.selectors import enabled_global_admins
from tenants.services import (
    password_set_url,
    user_address_check,
    user_create,
    user_disable,
    user_enable,
)

from .models import AccessLevel, AgentAccess
from .selectors import is_partner_admin

# Higher is more access; a partner admin may lower its own level but raise it only as the
# partner's only admin (else another admin does it: four eyes). Teams mode may hold more
# than Limited (what its teams hold) and never more than Full: Limited → Teams is a raise.
LEVEL_RANK: dict[str, int] = {
    AccessLevel.NONE: 0,
    AccessLevel.LIMITED: 1,
    AccessLevel.TEAMS: 2,
    AccessLevel.FULL: 3,
}


def agent_access_check(
    *,
    actor: User,
    staff_user: User,
    old_level: str,
    new_level: str,
    reauthenticated: bool = False,
) -> None:
    """Raise ``ValidationError`` with a message for a change nobody may make.

    Shared by the service and by the forms that lead to it (Django admin included),
    so the same words reach the person whichever way it came. Raising one's own access
    is allowed only to a partner's only enabled admin, and only where it has just signed
    in again (``reauthenticated``): with nobody to ask, it must not be stuck.
    """
    if new_level not in AccessLevel.values:
        raise ValidationError(
            "Choose no access, Full administration, Limited administration or access through teams."
        )
    if not staff_user.tenant.is_partner:
        raise ValidationError("Only staff of a partner can be given delegated access.")
    if (
        actor.pk == staff_user.pk
        and not actor.is_superuser
        and LEVEL_RANK[new_level] > LEVEL_RANK.get(old_level, 0)
    ):
        if enabled_global_admins(staff_user.tenant).exclude(pk=actor.pk).exists():
            raise ValidationError(
                "You cannot raise your own delegated access. Ask another partner admin.",
                code="self_escalation",
            )
        if not reauthenticated:
            raise ValidationError(
                "You cannot raise your own delegated access here. As your partner's only "
                "admin, raise it on the partner portal's Users page, after signing in again.",
                code="self_escalation_reauth",
            )


def _agent_access_write(
    *, actor: User, staff_user: User, level: str, reauthenticated: bool = False
) -> AgentAccess:
    """Lock ``staff_user`` (there may be no access row to lock yet), apply ``level`` if it
    changes anything, and audit it once."""
    locked = User.objects.select_for_update().select_related("tenant").get(pk=staff_user.pk)
    access = AgentAccess.objects.filter(user=locked).first()
    old_level = str(access.level) if access else AccessLevel.NONE
    agent_access_check(
        actor=actor,
        staff_user=locked,
        old_level=old_level,
        new_level=level,
        reauthenticated=reauthenticated,
    )
    if access is not None and old_level == level:
        return access  # a repeated submit: nothing changes, nothing is recorded
    if access is None:
        access = AgentAccess(user=locked, level=level)
        if level == AccessLevel.NONE:
            return access  # no row and no access: already so
    access.level = level
    access.full_clean()
    access.save()
    audit_record(
        tenant=locked.tenant,
        action=Action.AGENT_ACCESS_CHANGED,
        acting_user=actor,
        target=locked,
        changes={"level": [old_level, level]},
    )
    if actor.pk == locked.pk and LEVEL_RANK[level] > LEVEL_RANK[old_level]:
        _self_access_notify(partner=locked.tenant, admin=locked, access=access)
    # The caller's instance must not keep answering with the old level.
    staff_user._state.fields_cache.pop("agent_access", None)
    return access


def _self_access_notify(*, partner: Tenant, admin: User, access: AgentAccess) -> None:
    """Nobody else approved it: tell the partner's contact address and its admins."""
    admins = enabled_global_admins(partner).values_list("email", flat=True)
    outbox_enqueue(
        to=[e for e in (partner.contact_email, *admins) if e],
        template_prefix="emails/staff/self_access",
        context={
            "partner": partner,
            "actor": admin,
            "user": admin,
            "level": access.get_level_display(),
            "url": partner_portal_url("delegation:staff"),
        },
    )


def partner_portal_url(name: str) -> str:
    """The absolute address of one of the partner's pages, for a mail."""
    return f"{settings.PORTAL_BASE_URL}{reverse(name)}"


def _lock_partner(partner_admin: User, staff_user: User | None = None) -> Tenant:
    """Check that ``partner_admin`` administers its partner (and ``staff_user`` belongs to
    it), then lock the partner: the count of its admins holds until the end."""
    if not is_partner_admin(partner_admin) or (
        staff_user is not None and partner_admin.tenant_id != staff_user.tenant_id
    ):
        raise PermissionDenied("Only an admin of the same partner may do this.")
    return Tenant.objects.select_for_update().get(pk=partner_admin.tenant_id)


@transaction.atomic
def agent_access_set(
    *, partner_admin: User, staff_user: User, level: str, reauthenticated: bool = False
) -> AgentAccess:
    """Set a partner staff member's delegated access (its mode: none, Full, Limited or
    through its teams), as a global admin of its partner.

    ``reauthenticated``: the admin has just signed in again (the page asks for it), which
    an only admin needs to raise its own access.
    """
    _lock_partner(partner_admin, staff_user)
    return _agent_access_write(
        actor=partner_admin, staff_user=staff_user, level=level, reauthenticated=reauthenticated
    )


@transaction.atomic
def agent_access_set_by_operator(*, operator: User, staff_user: User, level: str) -> AgentAccess:
    """Set a partner staff member's delegated access as a platform operator (superuser)."""
    if not (operator.is_active and operator.is_superuser):
        raise PermissionDenied("Only a platform operator may change this here.")
    return _agent_access_write(actor=operator, staff_user=staff_user, level=level)


@transaction.atomic
def staff_add(
    *,
    partner_admin: User,
    email: str,
    first_name: str,
    last_name: str,
    level: str = AccessLevel.NONE,
) -> User:
    """Add a staff member to the admin's partner, with ``level`` of delegated access, and
    mail it an invitation to choose its password (then enrol MFA, as partner users must).

    The address must be free and in one of the partner's verified domains.
    """
    from allauth.account.models import EmailAddress

    partner = _lock_partner(partner_admin)
    email = email.strip().lower()
    user_address_check(tenant=partner, email=email)
    try:
        with transaction.atomic():
            user = user_create(
                tenant=partner,
                email=email,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
            )
    except IntegrityError as exc:  # the same address was added at the same moment
        raise ValidationError(
            "A user with this email address already exists.", code="taken"
        ) from exc
    # The partner has verified the domain, so the address counts as verified.
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    audit_record(
        tenant=partner,
        action=Action.USER_CREATED,
        acting_user=partner_admin,
        target=user,
        changes={
            "email": [None, email],
            "first_name": [None, user.first_name],
            "last_name": [None, user.last_name],
        },
    )
    if level != AccessLevel.NONE:
        _agent_access_write(actor=partner_admin, staff_user=user, level=level)
    outbox_enqueue(
        to=[email],
        template_prefix="emails/staff/invitation",
        context={
            "partner": partner,
            "user": user,
            "actor": partner_admin,
            "url": password_set_url(user, next_url=reverse("delegation:partner-overview")),
        },
    )
    return user


@transaction.atomic
def staff_update(
    *,
    partner_admin: User,
    staff_user: User,
    first_name: str,
    last_name: str,
    level: str,
    reauthenticated: bool = False,
) -> User:
    """Change a staff member's name and delegated access; records only what changed."""
    _lock_partner(partner_admin, staff_user)
    locked = User.objects.select_for_update().get(pk=staff_user.pk)
    new = {"first_name": first_name.strip(), "last_name": last_name.strip()}
    changes = {k: [getattr(locked, k), v] for k, v in new.items() if getattr(locked, k) != v}
    if changes:
        for name, (_old, value) in changes.items():
            setattr(locked, name, value)
        locked.full_clean(exclude=["password"])
        locked.save(update_fields=list(changes))
        audit_record(
            tenant=locked.tenant,
            action=Action.USER_UPDATED,
            acting_user=partner_admin,
            target=locked,
            changes=changes,
        )
    _agent_access_write(
        actor=partner_admin, staff_user=locked, level=level, reauthenticated=reauthenticated
    )
    staff_user._state.fields_cache.pop("agent_access", None)
    return locked


def staff_set_enabled(*, partner_admin: User, staff_user: User, enabled: bool) -> bool:
    """Disable (its sessions end, it can no longer sign in) or enable a staff member;
    ``False`` if it was so already. An admin never disables itself, and the partner's
    last enabled admin stays enabled (the directory's rule)."""
    if not is_partner_admin(partner_admin) or partner_admin.tenant_id != staff_user.tenant_id:
        raise PermissionDenied("Only an admin of the same partner may do this.")
    if partner_admin.pk == staff_user.pk:
        raise ValidationError(
            "You cannot disable or enable yourself. Ask another partner admin.", code="self"
        )
    change = user_enable if enabled else user_disable
    return change(acting_user=partner_admin, tenant=partner_admin.tenant, user=staff_user)
