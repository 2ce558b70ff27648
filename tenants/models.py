"""The directory: tenants, their domains, subscriptions, users and directory roles."""

import secrets
import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .roles import Role


class TenantKind(models.TextChoices):
    PARTNER = "partner", "Partner"
    CUSTOMER = "customer", "Customer"
    OPERATOR = "operator", "Platform operator"


class Tenant(models.Model):
    """An organisation: a partner that administers others, or a customer that is administered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=TenantKind.choices)
    name = models.CharField("display name", max_length=200)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    require_admin_mfa = models.BooleanField(
        "require MFA of administrators",
        default=True,
        help_text="Administrators of this tenant must set up two-factor authentication.",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(Lower("name"), name="tenant_name_lower_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=TenantKind.values), name="tenant_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_partner(self) -> bool:
        return self.kind == TenantKind.PARTNER

    @property
    def is_customer(self) -> bool:
        return self.kind == TenantKind.CUSTOMER

    @property
    def default_domain(self) -> "Domain | None":
        return self.domains.filter(is_default=True).first()


# What the TXT record that proves a domain holds, before the domain's token.
VERIFICATION_RECORD_PREFIX = "partner-portal-verification="


def new_verification_token() -> str:
    """A fresh random token for a domain's TXT record (128 bits, hex)."""
    return secrets.token_hex(16)


class Domain(models.Model):
    """A DNS name of a tenant, stored lower-case.

    A name is only claimed until it is verified by its TXT record: several tenants may
    claim the same name, at most one holds it verified, and a tenant holds a name once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=253)
    verified = models.BooleanField(default=False)
    verification_token = models.CharField(
        max_length=64,
        default=new_verification_token,
        editable=False,
        help_text="Proves the domain when published in its TXT record.",
    )
    is_default = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="domain_once_per_tenant"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(verified=True),
                name="domain_verified_once",
                violation_error_message="This domain is already verified by another organisation.",
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_default=True),
                name="domain_one_default_per_tenant",
            ),
            models.CheckConstraint(
                condition=models.Q(name=Lower("name")), name="domain_name_lower_case"
            ),
        ]
        indexes = [
            models.Index(
                fields=["name"], name="domain_name_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.name = self.name.strip().lower()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def txt_record(self) -> str:
        """The value of the TXT record, at the domain's own name, that proves it."""
        return f"{VERIFICATION_RECORD_PREFIX}{self.verification_token}"


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CANCELLED = "cancelled", "Cancelled"


class Subscription(models.Model):
    """A plan (SKU) a tenant pays for, with its seats and renewal date."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="subscriptions")
    plan = models.CharField("plan (SKU)", max_length=120)
    seats = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE
    )
    renewal_date = models.DateField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["plan"]
        constraints = [
            models.CheckConstraint(condition=models.Q(seats__gte=1), name="subscription_seats_min"),
            models.CheckConstraint(
                condition=models.Q(status__in=SubscriptionStatus.values),
                name="subscription_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} ({self.seats} seats)"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if "tenant" not in extra and "tenant_id" not in extra:
            # Operators belong to neither side of a relationship: a tenant of their own.
            tenant, _ = Tenant.objects.get_or_create(
                kind=TenantKind.OPERATOR, name="Platform operators"
            )
            extra["tenant"] = tenant
        user = self.create_user(email, password, **extra)
        # Whoever runs createsuperuser on the server vouches for the address.
        from allauth.account.models import EmailAddress

        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        return user


def full_name(first_name: str, last_name: str, email: str) -> str:
    """How a user is named: first and last name, else the address."""
    return f"{first_name} {last_name}".strip() or email


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Signs in by email; belongs to exactly one home tenant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="users", verbose_name="home tenant"
    )
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(
        "enabled",
        default=True,
        help_text="A disabled user cannot sign in, and its open sessions end.",
    )
    is_staff = models.BooleanField(
        "platform staff", default=False, help_text="May sign in to Django admin."
    )
    must_change_password = models.BooleanField(
        default=False, help_text="Set when an administrator resets the password."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["tenant", "email"], name="user_tenant_email_idx")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_full_name(self) -> str:
        return full_name(self.first_name, self.last_name, self.email)

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name()


class RoleAssignment(models.Model):
    """A directory role held by a user in its home tenant."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="role_assignment_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="role_assignment_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["role", "user"], name="role_assignment_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class OutboundEmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboundEmail(models.Model):
    """One message to one recipient, written in its cause's transaction, sent after commit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    kind = models.CharField(max_length=64, blank=True, help_text="Which template produced it.")
    dedupe_key = models.CharField(
        max_length=255,
        null=True,
        blank=True,
        unique=True,
        help_text="Set for messages that must be written once only (reminders).",
    )
    status = models.CharField(
        max_length=16, choices=OutboundEmailStatus.choices, default=OutboundEmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = "outbound email"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbox_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class ServiceRequestSeverity(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class ServiceRequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    CLOSED = "closed", "Closed"


class ServiceRequestQuerySet(models.QuerySet["ServiceRequest"]):
    def visible_in(self, rights: Any) -> "ServiceRequestQuerySet":
        """Requests of ``rights.tenant`` its holder may read: an agent only its partner's."""
        qs = self.filter(tenant=rights.tenant)
        if rights.is_agent:
            qs = qs.filter(filed_on_behalf_by_partner_id=rights.relationship.partner_id)
        return qs


class ServiceRequest(models.Model):
    """A request for help a tenant files with the platform's support."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="service_requests")
    number = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField()
    severity = models.CharField(
        max_length=16, choices=ServiceRequestSeverity.choices, default=ServiceRequestSeverity.NORMAL
    )
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=24, choices=ServiceRequestStatus.choices, default=ServiceRequestStatus.OPEN
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    filed_on_behalf_by_partner = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The partner whose agent filed the request on the customer's behalf.",
    )
    relationship = models.ForeignKey(
        "delegation.Relationship",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The relationship that allowed the agent to file it.",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], name="service_request_number_per_tenant"
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=ServiceRequestSeverity.values),
                name="service_request_severity_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ServiceRequestStatus.values),
                name="service_request_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    filed_on_behalf_by_partner__isnull=True, relationship__isnull=True
                )
                | models.Q(filed_on_behalf_by_partner__isnull=False, relationship__isnull=False),
                name="service_request_partner_with_relationship",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created"], name="sr_tenant_created_idx"),
            models.Index(
                fields=["tenant", "filed_on_behalf_by_partner", "-created"],
                name="sr_tenant_partner_idx",
            ),
            models.Index(fields=["status", "-created"], name="sr_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"SR-{self.number:06d}"

    @property
    def is_closed(self) -> bool:
        return self.status == ServiceRequestStatus.CLOSED


class ServiceRequestComment(models.Model):
    """A message on a service request, from the tenant's side or from support."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    by_support = models.BooleanField(
        default=False, help_text="Written by the platform's support in Django admin."
    )
    body = models.TextField()
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created"]
        indexes = [models.Index(fields=["request", "created"], name="sr_comment_request_idx")]

    def __str__(self) -> str:
        return f"Comment on {self.request_id} by {self.author_id}"
