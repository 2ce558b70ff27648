"""The life of a relationship after acceptance: removal, renewal, expiry and reminders.

Every change locks the relationship row, writes one audit event into the customer's
chain and queues its mail through the outbox, all in one transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.actions import Action
from audit.services import audit_record
from tenants import selectors as tenant_selectors
from tenants.mail import outbox_enqueue
from tenants.models import Tenant, User
from tenants.roles import Permission, Role

from .access import require
from .models import Relationship, RelationshipStatus

REMINDER_DAYS: tuple[int, ...] = (1, 7, 30)  # ascending: the nearest threshold wins
REASON_MAX_LENGTH = 1000
# A renewal asked for again this soon after the last one (or the acceptance) is a repeat
# (a double submit, two admins at once): it changes nothing and is recorded once.
RENEW_REPEAT_WINDOW = timedelta(seconds=60)
EXPIRE_BATCH = 500


def global_admin_emails(tenant: Tenant) -> list[str]:
    """Addresses of the enabled global admins of ``tenant``."""
    return list(
        User.objects.filter(tenant=tenant, is_active=True, role_assignments__role=Role.GLOBAL_ADMIN)
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )


def partner_recipients(partner: Tenant) -> list[str]:
    """A partner hears about its relationships at its admins' and its contact address."""
    return [
        *global_admin_emails(partner),
        *([partner.contact_email] if partner.contact_email else []),
    ]


def is_admin_of_partner(user: User, partner: Tenant) -> bool:
    """A partner admin (``tenants.selectors.is_partner_admin``) of this very partner."""
    return user.tenant_id == partner.pk and tenant_selectors.is_partner_admin(user)


def _describe(relationship: Relationship) -> str:
    return f"{relationship.partner.name} → {relationship.customer.name}"


def _locking() -> QuerySet[Relationship]:
    return Relationship.objects.select_for_update(of=("self",)).select_related(
        "partner", "customer"
    )


def _context(rel: Relationship, **extra: Any) -> dict[str, Any]:
    return {"relationship": rel, "partner": rel.partner, "customer": rel.customer, **extra}


def _refuse_unless_effective(relationship: Relationship, now: datetime) -> None:
    if relationship.status == RelationshipStatus.TERMINATED:
        raise ValidationError(
            "This relationship has already been removed; only a new offer can restore access.",
            code="terminated",
        )
    if not relationship.is_effective(now):
        raise ValidationError(
            "This relationship has expired; only a new offer from the partner can restore access.",
            code="expired",
        )


def relationship_terminate(
    *, relationship: Relationship, acting_user: User, reason: str
) -> Relationship:
    """End ``relationship`` at once, with the reason given: the customer's global admins
    (``MANAGE_PARTNERS``, which no agent holds) remove it, the partner's end it from their
    side. The partner is told, and when it ended the relationship, the customer too.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason; the partner will read it.", code="required")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            f"Keep the reason under {REASON_MAX_LENGTH} characters.", code="max_length"
        )
    with transaction.atomic():
        rel = _locking().get(pk=relationship.pk)
        by_partner = acting_user.tenant_id == rel.partner_id
        if by_partner:
            if not is_admin_of_partner(acting_user, rel.partner):
                raise PermissionDenied("Only the partner's global admins end relationships.")
        else:
            require(acting_user, rel.customer, Permission.MANAGE_PARTNERS)
        now = timezone.now()
        _refuse_unless_effective(rel, now)
        rel.status = RelationshipStatus.TERMINATED
        rel.terminated_at = now
        rel.terminated_by = acting_user
        rel.termination_reason = reason
        rel.save(
            update_fields=[
                "status",
                "terminated_at",
                "terminated_by",
                "termination_reason",
                "updated",
            ]
        )
        audit_record(
            tenant=rel.customer,
            action=Action.RELATIONSHIP_ENDED_BY_PARTNER
            if by_partner
            else Action.RELATIONSHIP_TERMINATED,
            acting_user=acting_user,
            relationship=rel if by_partner else None,
            target=rel,
            target_repr=_describe(rel),
            changes={
                "status": [RelationshipStatus.ACTIVE.value, RelationshipStatus.TERMINATED.value],
                "reason": [None, reason],
            },
        )
        recipients = partner_recipients(rel.partner)
        if by_partner:
            recipients += global_admin_emails(rel.customer)
        outbox_enqueue(
            to=recipients,
            template_prefix="emails/relationships/terminated",
            context=_context(rel, acting_user=acting_user, reason=reason, by_partner=by_partner),
        )
    return rel


def relationship_renew(*, relationship: Relationship, acting_user: User) -> Relationship:
    """Extend an active relationship, as the customer's global admin: the same roles for
    the same duration, from now. A renewal within ``RENEW_REPEAT_WINDOW`` of its start
    changes nothing."""
    with transaction.atomic():
        rel = _locking().get(pk=relationship.pk)
        require(acting_user, rel.customer, Permission.MANAGE_PARTNERS)
        now = timezone.now()
        _refuse_unless_effective(rel, now)
        if now - rel.starts < RENEW_REPEAT_WINDOW:
            return rel
        old_starts, old_expires = rel.starts, rel.expires
        rel.starts = now
        rel.expires = now + timedelta(days=rel.duration_days)
        rel.save(update_fields=["starts", "expires", "updated"])
        audit_record(
            tenant=rel.customer,
            action=Action.RELATIONSHIP_RENEWED,
            acting_user=acting_user,
            target=rel,
            target_repr=_describe(rel),
            changes={
                "starts": [old_starts.isoformat(), rel.starts.isoformat()],
                "expires": [old_expires.isoformat(), rel.expires.isoformat()],
            },
        )
        outbox_enqueue(
            to=partner_recipients(rel.partner),
            template_prefix="emails/relationships/renewed",
            context=_context(rel, acting_user=acting_user, previous_expires=old_expires),
        )
    return rel


def relationships_expire_due(*, now: datetime | None = None) -> int:
    """Mark every active relationship past its end ``expired``; returns how many.

    Access stopped at the end time already. Each relationship has its own short
    transaction, so a rerun or a concurrent run does each one once.
    """
    now = now or timezone.now()
    done = 0
    due = Q(status=RelationshipStatus.ACTIVE, expires__lte=now)
    while True:
        pks = list(
            Relationship.objects.filter(due)
            .order_by("expires")
            .values_list("pk", flat=True)[:EXPIRE_BATCH]
        )
        if not pks:
            return done
        for pk in pks:
            with transaction.atomic():
                rel = _locking().filter(due, pk=pk).first()
                if rel is None:
                    continue
                rel.status = RelationshipStatus.EXPIRED
                rel.save(update_fields=["status", "updated"])
                audit_record(
                    tenant=rel.customer,
                    action=Action.RELATIONSHIP_EXPIRED,
                    target=rel,
                    target_repr=_describe(rel),
                    changes={"status": [RelationshipStatus.ACTIVE, RelationshipStatus.EXPIRED]},
                )
                done += 1


def reminder_threshold(expires: datetime, now: datetime) -> int | None:
    """The reminder due for a relationship ending at ``expires``: 1, 7, 30 days or none."""
    left = expires - now
    if left <= timedelta(0):
        return None
    for days in REMINDER_DAYS:
        if left <= timedelta(days=days):
            return days
    return None


def relationship_reminders_send(*, now: datetime | None = None) -> int:
    """Queue the reminders due (30, 7 and 1 day before the end); returns messages written.

    The deduplication key names the relationship, the threshold and the end time, so
    reruns write nothing new and a renewed relationship gets its reminders afresh.
    """
    now = now or timezone.now()
    written = 0
    upcoming = list(
        Relationship.objects.effective(now)
        .filter(expires__lte=now + timedelta(days=max(REMINDER_DAYS)))
        .select_related("partner", "customer")
        .order_by("expires")
    )
    for rel in upcoming:
        days = reminder_threshold(rel.expires, now)
        if days is None:
            continue
        with transaction.atomic():
            rows = outbox_enqueue(
                to=[*global_admin_emails(rel.partner), *global_admin_emails(rel.customer)],
                template_prefix="emails/relationships/reminder",
                context=_context(rel, days=days),
                dedupe_key=f"rel-reminder:{rel.pk}:{days}:{rel.expires.isoformat()}",
            )
        written += len(rows)
    return written
