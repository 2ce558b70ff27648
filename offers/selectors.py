"""Reads of offers: finding one by its token, who may answer it, and what it would change."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from delegation.models import Relationship, RelationshipStatus
from tenants.models import Tenant, User
from tenants.roles import ROLE_INFO, Role, RoleInfo
from tenants.selectors import user_roles
from tenants.text import possessive

from .models import Offer, OfferResponse, OfferResponseKind

# What ``new_offer_token`` produces: URL-safe base64 of 32 random bytes.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def offer_by_token(token: str) -> Offer | None:
    """The offer a public link names, whatever its status; ``None`` for anything else.

    A token of the wrong shape is refused without a query.
    """
    if not TOKEN_RE.match(token or ""):
        return None
    return Offer.objects.select_related("partner").filter(token=token).first()


def offers_of_partner(partner: Tenant) -> QuerySet[Offer]:
    """A partner's offers, newest first, with their authors."""
    return Offer.objects.filter(partner=partner).select_related("created_by", "revoked_by")


def ordered_roles(roles: Iterable[str]) -> list[Role]:
    """Roles without duplicates, in the catalogue's order."""
    wanted = {Role(r) for r in roles}
    return [role for role in Role if role in wanted]


def role_infos(roles: Iterable[str]) -> list[RoleInfo]:
    return [ROLE_INFO[role] for role in ordered_roles(roles)]


def partner_verified_domain(partner: Tenant) -> str:
    """The partner's default domain if verified, else its first verified one, else ''."""
    return verified_domain((d.name, d.verified, d.is_default) for d in partner.domains.all())


def verified_domain(domains: Iterable[tuple[str, bool, bool]]) -> str:
    """Of (name, verified, is default) rows: the default name if verified, else the first
    verified name, else ''."""
    found = sorted((not default, name) for name, verified, default in domains if verified)
    return found[0][1] if found else ""


@dataclass(frozen=True)
class Refusal:
    """Why a user may not answer an offer, and who can."""

    code: str
    reason: str
    who_can: str
    admins: list[User] = field(default_factory=list)


def answer_refusal(user: User | object, partner: Tenant) -> Refusal | None:
    """``None`` when ``user`` may answer ``partner``'s offer: a global admin of a customer."""
    if not isinstance(user, User) or not user.is_active:
        return Refusal(
            code="anonymous",
            reason="You need to sign in before you can answer this offer.",
            who_can="A global administrator of the customer organisation.",
        )
    who_can = (
        "Only a global administrator of a customer organisation can accept or decline "
        f"{possessive(partner.name)} offer, for that organisation."
    )
    if user.tenant_id == partner.pk:
        return Refusal(
            code="own_partner",
            reason=(
                f"You are signed in as a member of {partner.name}, the partner that made this "
                "offer. A partner cannot grant itself access."
            ),
            who_can=who_can + " Send the link to your customer's global administrator.",
        )
    if user.tenant.is_partner:
        return Refusal(
            code="partner_user",
            reason=(
                f"You are signed in as a member of {user.tenant.name}, which is a partner "
                "organisation. Partner organisations cannot accept delegated administration "
                "offers."
            ),
            who_can=who_can,
        )
    if Role.GLOBAL_ADMIN not in user_roles(user):
        admins = list(
            User.objects.filter(
                tenant_id=user.tenant_id,
                is_active=True,
                role_assignments__role=Role.GLOBAL_ADMIN,
            ).order_by("email")[:10]
        )
        return Refusal(
            code="not_global_admin",
            reason=(
                "Granting a partner access to your organisation needs the global "
                f"administrator role in {user.tenant.name}, which you do not hold."
            ),
            who_can=(
                f"Ask a global administrator of {user.tenant.name} to open this link and "
                "answer the offer."
            ),
            admins=admins,
        )
    return None


@dataclass(frozen=True)
class RelationshipChange:
    """What accepting an offer would change in an active relationship with its partner."""

    relationship: Relationship
    offer_id: UUID
    added: list[RoleInfo]
    removed: list[RoleInfo]
    kept: list[RoleInfo]
    old_expires: datetime
    new_expires: datetime

    @property
    def roles_changed(self) -> bool:
        return bool(self.added or self.removed)

    @property
    def already_accepted(self) -> bool:
        """This very offer is what is in force: accepting again would change nothing."""
        return self.relationship.offer_id == self.offer_id and not self.roles_changed


def relationship_seen(relationship: Relationship | None, now: datetime | None = None) -> str:
    """What the consent page showed of the relationship in force: accepting checks it is
    still the same, so nobody replaces access they have not seen."""
    now = now or timezone.now()
    if relationship is None or not relationship.is_effective(now):
        return "none"
    roles = ",".join(str(r) for r in ordered_roles(relationship.roles))
    return f"{relationship.pk}:{roles}:{relationship.expires.isoformat()}"


def relationship_change(
    offer: Offer, customer: Tenant, now: datetime | None = None
) -> RelationshipChange | None:
    """The difference accepting ``offer`` would make to ``customer``'s current
    relationship with the offer's partner; ``None`` when there is none in force."""
    now = now or timezone.now()
    current = Relationship.objects.filter(
        partner=offer.partner, customer=customer, status=RelationshipStatus.ACTIVE
    ).first()
    if current is None or not current.is_effective(now):
        return None
    old = set(ordered_roles(current.roles))
    new = set(ordered_roles(offer.roles))
    return RelationshipChange(
        relationship=current,
        offer_id=offer.pk,
        added=role_infos(new - old),
        removed=role_infos(old - new),
        kept=role_infos(old & new),
        old_expires=current.expires,
        new_expires=now + offer.relationship_duration,
    )


def offer_text(offer: Offer) -> str:
    """The text a partner copies or emails: its name, what it asks for, and the link."""
    return render_to_string(
        "offers/offer_text.txt",
        {
            "offer": offer,
            "partner": offer.partner,
            "domain": partner_verified_domain(offer.partner),
            "roles": role_infos(offer.roles),
            "url": offer.get_public_url(),
        },
    ).strip()


def last_decline(offer: Offer, customer: Tenant) -> OfferResponse | None:
    """The customer's last answer to ``offer`` if it was "No" (with who gave it)."""
    last = (
        OfferResponse.objects.filter(offer=offer, customer=customer)
        .select_related("responded_by")
        .order_by("-created")
        .first()
    )
    return last if last is not None and last.response == OfferResponseKind.DECLINED else None
