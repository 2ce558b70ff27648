"""Writes of offers: a partner creates, revokes and emails them; a customer answers them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import Entry, audit_append, audit_prepare, audit_record
from delegation.models import Relationship, RelationshipStatus
from tenants.mail import Mail, outbox_enqueue, outbox_enqueue_many
from tenants.models import Domain, OutboundEmail, Tenant, User
from tenants.roles import Role
from tenants.selectors import is_partner_admin

from .models import (
    MAX_RELATIONSHIP_DAYS,
    PRESET_ROLES,
    Offer,
    OfferPreset,
    OfferResponse,
    OfferResponseKind,
    OfferStatus,
)
from .selectors import (
    answer_refusal,
    offer_text,
    ordered_roles,
    relationship_seen,
    role_infos,
    verified_domain,
)

DEFAULT_OFFER_VALIDITY_DAYS = 90
MAX_SEND_RECIPIENTS = 20


class OfferErrorCode(enum.StrEnum):
    """Why an answer to an offer was refused."""

    REVOKED = OfferStatus.REVOKED.value
    EXPIRED = OfferStatus.EXPIRED.value
    EXHAUSTED = OfferStatus.EXHAUSTED.value
    NOT_ALLOWED = "not_allowed"
    CHANGED = "changed"


class OfferError(Exception):
    """An offer that cannot be answered (any more), or by this user."""

    def __init__(self, code: OfferErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AcceptOutcome(enum.StrEnum):
    CREATED = "created"  # a new relationship
    UPDATED = "updated"  # the active relationship's roles and end date were replaced
    UNCHANGED = "unchanged"  # already accepted: nothing written


@dataclass(frozen=True)
class Acceptance:
    outcome: AcceptOutcome
    relationship: Relationship
    response: OfferResponse | None = None


_UNAVAILABLE = {
    OfferStatus.REVOKED: "{partner} has withdrawn this offer.",
    OfferStatus.EXPIRED: "This offer from {partner} has expired.",
    OfferStatus.EXHAUSTED: "This offer from {partner} has been used as many times as allowed.",
}


def _require_answerable(offer: Offer) -> None:
    status = offer.current_status
    if status != OfferStatus.ACTIVE:
        raise OfferError(
            OfferErrorCode(status), _UNAVAILABLE[OfferStatus(status)].format(partner=offer.partner)
        )


def _require_partner_admin(user: User, partner: Tenant | None = None) -> None:
    if not is_partner_admin(user) or (partner is not None and user.tenant_id != partner.pk):
        raise PermissionDenied("Only the partner's global administrators manage its offers.")


# --- the partner's side ----------------------------------------------------------------


@transaction.atomic
def offer_create(
    *,
    acting_user: User,
    preset: str,
    roles: Iterable[str] = (),
    duration_days: int = MAX_RELATIONSHIP_DAYS,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> Offer:
    """Create an offer of ``acting_user``'s partner asking for ``roles`` (or the preset's).

    A preset other than ``custom`` decides the roles itself.
    """
    _require_partner_admin(acting_user)
    preset = OfferPreset(preset)
    chosen: list[str] = (
        [str(r) for r in PRESET_ROLES[preset]] if preset != OfferPreset.CUSTOM else list(roles)
    )
    try:
        role_list = ordered_roles(chosen)
    except ValueError as exc:
        raise ValidationError({"roles": "Choose roles from the list."}) from exc
    if not role_list:
        raise ValidationError({"roles": "Choose at least one role to ask for."})
    if not 1 <= duration_days <= MAX_RELATIONSHIP_DAYS:
        raise ValidationError(
            {"duration_days": f"The relationship lasts 1 to {MAX_RELATIONSHIP_DAYS} days."}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The offer must expire in the future."})
    if max_uses is not None and max_uses < 1:
        raise ValidationError({"max_uses": "Allow at least one use, or leave it unlimited."})
    offer = Offer(
        partner=acting_user.tenant,
        preset=preset,
        roles=[str(r) for r in role_list],
        duration_days=duration_days,
        expires_at=expires_at,
        max_uses=max_uses,
        created_by=acting_user,
    )
    offer.full_clean()
    offer.save(force_insert=True)
    audit_record(
        tenant=acting_user.tenant,
        action=Action.OFFER_CREATED,
        acting_user=acting_user,
        target=offer,
        changes={
            "roles": [None, offer.roles],
            "duration_days": [None, duration_days],
            "expires_at": [None, expires_at],
            "max_uses": [None, max_uses],
        },
    )
    return offer


@transaction.atomic
def offer_revoke(*, offer: Offer, acting_user: User) -> Offer:
    """Withdraw an offer: its link stops working at once. Revoking twice changes nothing."""
    _require_partner_admin(acting_user, offer.partner)
    locked = Offer.objects.select_for_update().select_related("partner").get(pk=offer.pk)
    if locked.status == OfferStatus.REVOKED:
        return locked
    before = locked.current_status
    locked.status = OfferStatus.REVOKED
    locked.revoked_at = timezone.now()
    locked.revoked_by = acting_user
    locked.save(update_fields=["status", "revoked_at", "revoked_by"])
    audit_record(
        tenant=locked.partner,
        action=Action.OFFER_REVOKED,
        acting_user=acting_user,
        target=locked,
        changes={"status": [before, OfferStatus.REVOKED.value]},
    )
    return locked


def parse_recipients(value: str | Iterable[str]) -> list[str]:
    """Split addresses typed one per line or separated by commas; each must be valid."""
    parts = (
        value.replace(";", ",").replace("\n", ",").split(",") if isinstance(value, str) else value
    )
    addresses = list(dict.fromkeys(p.strip().lower() for p in parts if p and p.strip()))
    if not addresses:
        raise ValidationError("Enter at least one email address.")
    if len(addresses) > MAX_SEND_RECIPIENTS:
        raise ValidationError(f"Send to at most {MAX_SEND_RECIPIENTS} addresses at a time.")
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError("Not a valid email address: " + ", ".join(bad) + ".")
    return addresses


@transaction.atomic
def offer_send(
    *,
    offer: Offer,
    acting_user: User,
    recipients: str | Iterable[str],
    send_id: str | None = None,
) -> list[OutboundEmail]:
    """Email the offer text to ``recipients`` through the outbox.

    ``send_id`` names one submission of the form: submitting it twice sends once.
    """
    _require_partner_admin(acting_user, offer.partner)
    addresses = parse_recipients(recipients)
    offer = Offer.objects.select_related("partner").get(pk=offer.pk)
    _require_answerable(offer)
    _require_within_daily_cap(offer.partner, len(addresses))
    rows = outbox_enqueue(
        to=addresses,
        template_prefix="emails/offers/offer",
        context={
            "offer": offer,
            "partner": offer.partner,
            "sender": acting_user,
            "offer_text": offer_text(offer),
            "url": offer.get_public_url(),
        },
        dedupe_key=f"offer-send:{offer.pk}:{send_id}" if send_id else None,
    )
    if rows:
        audit_record(
            tenant=offer.partner,
            action=Action.OFFER_SENT,
            acting_user=acting_user,
            target=offer,
            changes={"recipients": [None, [row.to for row in rows]]},
        )
    return rows


def _require_within_daily_cap(partner: Tenant, count: int) -> None:
    """A partner mails its offers to at most ``OFFER_MAIL_DAILY_CAP`` addresses in 24
    hours, counted from its audit log; its row is locked so that two sends at once are
    counted one after the other."""
    Tenant.objects.select_for_update().filter(pk=partner.pk).first()
    cap = settings.OFFER_MAIL_DAILY_CAP
    sent = AuditEvent.objects.filter(
        tenant=partner,
        action=Action.OFFER_SENT,
        occurred_at__gte=timezone.now() - timedelta(days=1),
    ).values_list("changes", flat=True)
    used = sum(len((changes or {}).get("recipients", [None, []])[1]) for changes in sent)
    if used + count > cap:
        left = max(cap - used, 0)
        raise ValidationError(
            f"Your organisation can email offers to {cap} addresses a day, and has "
            f"{left} left today. Try fewer addresses, or again tomorrow."
        )


# --- the customer's side -----------------------------------------------------------------


def _require_may_answer(offer: Offer, acting_user: User) -> None:
    refusal = answer_refusal(acting_user, offer.partner)
    if refusal is not None:
        raise OfferError(OfferErrorCode.NOT_ALLOWED, f"{refusal.reason} {refusal.who_can}")


def offer_accept(
    *, offer: Offer, acting_user: User, notify: bool = True, seen: str | None = None
) -> Acceptance:
    """Accept ``offer`` for ``acting_user``'s organisation, as its global admin.

    Creates the relationship, or replaces the roles and end date of the one already
    active with this partner, counts a use, audits and writes the mail; accepting again
    what is already in force changes nothing. ``notify=False`` writes no mail. ``seen``
    is what the consent page showed (``selectors.relationship_seen``): when it has
    changed since, ``OfferError(CHANGED)`` asks for the page to be read again.
    """
    _require_may_answer(offer, acting_user)
    customer = acting_user.tenant
    try:
        with transaction.atomic():
            return _accept_locked(
                offer=offer, acting_user=acting_user, customer=customer, notify=notify, seen=seen
            )
    except IntegrityError:
        # Another answer for the same pair committed first: one relationship stands.
        current = Relationship.objects.filter(
            partner_id=offer.partner_id, customer=customer, status=RelationshipStatus.ACTIVE
        ).first()
        if current is None:
            raise
        return Acceptance(outcome=AcceptOutcome.UNCHANGED, relationship=current)


def _lock_active_relationship(partner: Tenant, customer: Tenant) -> Relationship | None:
    current = (
        Relationship.objects.select_for_update()
        .filter(partner=partner, customer=customer, status=RelationshipStatus.ACTIVE)
        .first()
    )
    if current is not None:
        # Known already: what the audit and the mail name needs no query.
        current.partner, current.customer = partner, customer
    return current


def _accept_locked(
    *, offer: Offer, acting_user: User, customer: Tenant, notify: bool, seen: str | None = None
) -> Acceptance:
    partner = offer.partner
    now = timezone.now()
    current = _lock_active_relationship(partner, customer)
    roles = [str(r) for r in ordered_roles(offer.roles)]
    if (
        current is not None
        and current.offer_id == offer.pk
        and current.is_effective(now)
        and [str(r) for r in ordered_roles(current.roles)] == roles
    ):
        # What is in force is this offer already (a second click, or Back and Accept
        # again): nothing to change, whatever the page showed then.
        return Acceptance(outcome=AcceptOutcome.UNCHANGED, relationship=current)
    if seen is not None and seen != relationship_seen(current, now):
        raise OfferError(
            OfferErrorCode.CHANGED,
            f"Your organisation's access for {partner.name} changed while you were reading "
            "this page. Review what accepting would change now, then answer again.",
        )
    _require_answerable(offer)

    events: list[Entry] = []
    if current is not None and current.expires <= now:
        # Ended by time but not yet marked: close it, and start afresh.
        current.status = RelationshipStatus.EXPIRED
        current.save(update_fields=["status", "updated"])
        events.append(Entry(tenant=customer, action=Action.RELATIONSHIP_EXPIRED, target=current))
        current = None

    expires = now + timedelta(days=offer.duration_days)
    if current is None:
        relationship = Relationship(
            partner=partner,
            customer=customer,
            roles=roles,
            offer=offer,
            accepted_by=acting_user,
            accepted_at=now,
            duration_days=offer.duration_days,
            starts=now,
            expires=expires,
        )
        relationship.save(force_insert=True)
        outcome = AcceptOutcome.CREATED
        action = Action.RELATIONSHIP_CREATED
        old_roles: list[str] = []
        changes = {"roles": [None, roles], "expires": [None, expires]}
    else:
        relationship = current
        old_roles = [str(r) for r in ordered_roles(current.roles)]
        changes = {"roles": [old_roles, roles], "expires": [current.expires, expires]}
        relationship.roles = roles
        relationship.expires = expires
        relationship.offer = offer
        relationship.accepted_by = acting_user
        relationship.accepted_at = now
        relationship.duration_days = offer.duration_days
        relationship.save(
            update_fields=[
                "roles",
                "expires",
                "offer",
                "accepted_by",
                "accepted_at",
                "duration_days",
                "updated",
            ]
        )
        outcome = AcceptOutcome.UPDATED
        action = Action.RELATIONSHIP_UPDATED

    response = OfferResponse(
        offer=offer,
        customer=customer,
        responded_by=acting_user,
        response=OfferResponseKind.ACCEPTED,
        created=now,
    )
    response.save(force_insert=True)
    events += [
        Entry(
            tenant=customer,
            action=Action.OFFER_ACCEPTED,
            acting_user=acting_user,
            target=offer,
            target_repr=f"Offer from {partner.name}",
            changes={"partner": [None, partner.name], "roles": [None, roles]},
        ),
        Entry(
            tenant=customer,
            action=action,
            acting_user=acting_user,
            target=relationship,
            changes=changes,
        ),
        # The partner's own log shows what it was granted, and by whom.
        Entry(
            tenant=partner,
            action=action,
            acting_user=acting_user,
            target=relationship,
            changes={"customer": [None, customer.name], **changes},
        ),
    ]
    if notify:
        _write_acceptance_mail(
            relationship=relationship,
            acting_user=acting_user,
            outcome=outcome,
            old_roles=old_roles,
        )
    # Last, the rows every acceptance of this offer shares, so that their locks are held
    # for as short a time as can be.
    prepared = audit_prepare(events)
    _count_use(offer, now)
    audit_append(prepared)
    return Acceptance(outcome=outcome, relationship=relationship, response=response)


def _count_use(offer: Offer, now: datetime) -> None:
    """Count one use of ``offer`` if it may still be answered, else refuse (undoing the
    caller's transaction): one statement checks and counts under the row's lock."""
    counted = (
        Offer.objects.filter(pk=offer.pk, status=OfferStatus.ACTIVE)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .update(uses=F("uses") + 1)
    )
    if not counted:
        _require_answerable(Offer.objects.select_related("partner").get(pk=offer.pk))
        raise OfferError(  # the offer changed between the two reads: refuse all the same
            OfferErrorCode.EXHAUSTED,
            _UNAVAILABLE[OfferStatus.EXHAUSTED].format(partner=offer.partner),
        )
    offer.uses += 1


def _notification_addresses(partner: Tenant, admins: Iterable[str]) -> list[str]:
    """The partner's enabled global admins (``admins``) and its contact address."""
    return list(dict.fromkeys(a.lower() for a in [*admins, partner.contact_email] if a))


@dataclass(frozen=True)
class _MailFacts:
    partner_domain: str
    customer_domain: str
    partner_addresses: list[str]


def _text(value: str) -> Cast:
    """``value`` as a column of text: typed, for PostgreSQL cannot tell the type of a
    bare parameter that the server binds in a select list."""
    return Cast(Value(value), CharField())


def _mail_facts(partner: Tenant, customer: Tenant) -> _MailFacts:
    """What the acceptance mail needs of both tenants beyond their rows, in one union of
    (kind, name, verified, is_default) rows; an admin's address is its name. Each side
    is named by a verified domain only: a claimed one proves nothing."""
    columns = ("kind", "row_name", "row_verified", "row_default")

    def domains(kind: str, **filters: Any) -> QuerySet[Any]:
        return (
            Domain.objects.filter(**filters)
            .order_by()
            .annotate(
                kind=_text(kind),
                row_name=F("name"),
                row_verified=F("verified"),
                row_default=F("is_default"),
            )
            .values_list(*columns)
        )

    admins = (
        User.objects.filter(
            tenant=partner, is_active=True, role_assignments__role=Role.GLOBAL_ADMIN
        )
        .order_by()
        .annotate(
            kind=_text("admin"),
            row_name=F("email"),
            row_verified=F("is_active"),
            row_default=F("is_active"),
        )
        .values_list(*columns)
    )
    rows = list(
        domains("partner", tenant=partner).union(
            domains("customer", tenant=customer, verified=True), admins, all=True
        )
    )
    return _MailFacts(
        partner_domain=verified_domain(
            (name, bool(verified), bool(default))
            for kind, name, verified, default in rows
            if kind == "partner"
        ),
        customer_domain=verified_domain(
            (name, bool(verified), bool(default))
            for kind, name, verified, default in rows
            if kind == "customer"
        ),
        partner_addresses=_notification_addresses(
            partner, (name for kind, name, _, _ in rows if kind == "admin")
        ),
    )


def _write_acceptance_mail(
    *,
    relationship: Relationship,
    acting_user: User,
    outcome: AcceptOutcome,
    old_roles: list[str],
) -> None:
    from django.urls import reverse

    partner, customer = relationship.partner, relationship.customer
    facts = _mail_facts(partner, customer)
    new_roles = set(relationship.roles)
    context = {
        "partner": partner,
        "partner_domain": facts.partner_domain,
        "customer": customer,
        "customer_domain": facts.customer_domain,
        "accepted_by": acting_user,
        "relationship": relationship,
        "roles": role_infos(relationship.roles),
        "added": role_infos(new_roles - set(old_roles)),
        "removed": role_infos(set(old_roles) - new_roles),
        "renewed": outcome == AcceptOutcome.UPDATED,
        "admin_center_path": reverse("tenants:admin-center", args=[customer.pk]),
    }
    # No deduplication key: the answer they tell of is recorded in this very transaction.
    outbox_enqueue_many(
        [
            Mail(
                to=facts.partner_addresses,
                template_prefix="emails/offers/accepted_partner",
                context=context,
            ),
            Mail(
                to=[acting_user.email],
                template_prefix="emails/offers/accepted_receipt",
                context=context,
            ),
        ]
    )


@transaction.atomic
def offer_decline(*, offer: Offer, acting_user: User) -> OfferResponse:
    """Record that ``acting_user``'s organisation declines ``offer``; a relationship in
    force stays as it is. Declining again records nothing new."""
    _require_may_answer(offer, acting_user)
    customer = acting_user.tenant
    locked = Offer.objects.select_for_update().select_related("partner").get(pk=offer.pk)
    _require_answerable(locked)
    last = (
        OfferResponse.objects.filter(offer=locked, customer=customer).order_by("-created").first()
    )
    if last is not None and last.response == OfferResponseKind.DECLINED:
        return last
    response = OfferResponse.objects.create(
        offer=locked,
        customer=customer,
        responded_by=acting_user,
        response=OfferResponseKind.DECLINED,
    )
    audit_record(
        tenant=customer,
        action=Action.OFFER_DECLINED,
        acting_user=acting_user,
        target=locked,
        target_repr=f"Offer from {locked.partner.name}",
        changes={"partner": [None, locked.partner.name], "roles": [None, locked.roles]},
    )
    audit_record(
        tenant=locked.partner,
        action=Action.OFFER_DECLINED,
        acting_user=acting_user,
        target=locked,
        changes={"customer": [None, customer.name]},
    )
    return response
