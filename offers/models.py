"""Offers: reusable, revocable links by which a partner asks customers for access."""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from tenants.models import Tenant
from tenants.roles import Role

MAX_RELATIONSHIP_DAYS = 730


def new_offer_token() -> str:
    """256 bits from ``secrets``, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class OfferStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
    EXHAUSTED = "exhausted", "Exhausted"


class OfferPreset(models.TextChoices):
    FULL = "full", "Full delegated administration"
    HELPDESK = "helpdesk", "Helpdesk"
    USER_MANAGEMENT = "user_management", "User management"
    CUSTOM = "custom", "Custom"


PRESET_ROLES: dict[str, tuple[Role, ...]] = {
    OfferPreset.FULL: (Role.GLOBAL_ADMIN,),
    OfferPreset.HELPDESK: (Role.PASSWORD_ADMIN, Role.SERVICE_SUPPORT_ADMIN),
    OfferPreset.USER_MANAGEMENT: (Role.USER_ADMIN, Role.PASSWORD_ADMIN),
}


class Offer(models.Model):
    """A partner's request for delegated access, answerable by any customer's global admin.
    Only ``active`` and ``revoked`` are stored; see ``current_status``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="offers")
    token = models.CharField(max_length=64, unique=True, default=new_offer_token, editable=False)
    preset = models.CharField(max_length=32, choices=OfferPreset.choices, default=OfferPreset.FULL)
    roles = models.JSONField(default=list, help_text="Directory roles asked for.")
    duration_days = models.PositiveIntegerField(
        default=MAX_RELATIONSHIP_DAYS, help_text="How long the relationship lasts once accepted."
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="After this the link no longer works."
    )
    max_uses = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty for unlimited acceptances."
    )
    uses = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=OfferStatus.choices, default=OfferStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_days__gte=1, duration_days__lte=MAX_RELATIONSHIP_DAYS),
                name="offer_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_uses__isnull=True)
                | models.Q(uses__lte=models.F("max_uses")),
                name="offer_uses_within_cap",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[OfferStatus.ACTIVE, OfferStatus.REVOKED]),
                name="offer_stored_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["partner", "-created"], name="offer_partner_created_idx")]

    def __str__(self) -> str:
        return f"{self.partner} — {self.get_preset_display()} ({self.current_status})"

    @property
    def current_status(self) -> str:
        """The status as people see it: revoked, expired, exhausted or active."""
        if self.status == OfferStatus.REVOKED:
            return OfferStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return OfferStatus.EXPIRED
        if self.max_uses is not None and self.uses >= self.max_uses:
            return OfferStatus.EXHAUSTED
        return OfferStatus.ACTIVE

    def get_current_status_display(self) -> str:
        return str(OfferStatus(self.current_status).label)

    @property
    def role_list(self) -> list[Role]:
        return [Role(r) for r in self.roles]

    @property
    def relationship_duration(self) -> timedelta:
        return timedelta(days=self.duration_days)

    def get_public_path(self) -> str:
        return reverse("offers:public", kwargs={"token": self.token})

    def get_public_url(self) -> str:
        return f"{settings.PORTAL_BASE_URL}{self.get_public_path()}"


class OfferResponseKind(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class OfferResponse(models.Model):
    """Who answered an offer, for which customer, how and when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="responses")
    customer = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="offer_responses")
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    response = models.CharField(max_length=16, choices=OfferResponseKind.choices)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.customer} {self.response} {self.offer_id}"
