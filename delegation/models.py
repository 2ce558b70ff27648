"""Relationships between partners and customers, and the access level of partner staff."""

import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from tenants.models import Tenant
from tenants.roles import Role


class RelationshipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"


class RelationshipQuerySet(models.QuerySet["Relationship"]):
    def effective(self, now: datetime | None = None) -> "RelationshipQuerySet":
        """Relationships that grant access now; access ends at ``expires`` even before
        the periodic task marks them expired."""
        now = now or timezone.now()
        return self.filter(status=RelationshipStatus.ACTIVE, starts__lte=now, expires__gt=now)


class Relationship(models.Model):
    """A customer's consent for a partner to administer it, with the roles it granted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="customer_relationships"
    )
    customer = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="partner_relationships"
    )
    roles = models.JSONField(default=list, help_text="Directory roles granted to the partner.")
    status = models.CharField(
        max_length=16, choices=RelationshipStatus.choices, default=RelationshipStatus.ACTIVE
    )
    offer = models.ForeignKey(
        "offers.Offer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="relationships",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(default=timezone.now)
    duration_days = models.PositiveIntegerField(default=730)
    starts = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    terminated_at = models.DateTimeField(null=True, blank=True)
    terminated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    termination_reason = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "customer"],
                condition=models.Q(status="active"),
                name="relationship_one_active_per_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(expires__gt=models.F("starts")),
                name="relationship_expires_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RelationshipStatus.values),
                name="relationship_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(partner=models.F("customer")),
                name="relationship_not_with_itself",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_days__gte=1, duration_days__lte=730),
                name="relationship_duration_1_to_730_days",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "expires"], name="rel_partner_status_idx"),
            models.Index(fields=["customer", "status"], name="rel_customer_status_idx"),
            models.Index(fields=["status", "expires"], name="rel_status_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} → {self.customer} ({self.status})"

    @property
    def role_list(self) -> list[Role]:
        return [Role(r) for r in self.roles]

    def is_effective(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == RelationshipStatus.ACTIVE and self.starts <= now < self.expires

    @property
    def display_status(self) -> str:
        """``expired`` as soon as the end time passes, whether or not the task has run."""
        if self.status == RelationshipStatus.ACTIVE and self.expires <= timezone.now():
            return RelationshipStatus.EXPIRED
        return self.status

    def get_display_status_display(self) -> str:
        return str(RelationshipStatus(self.display_status).label)


class AccessLevel(models.TextChoices):
    NONE = "none", "No administrative access"
    FULL = "full", "Full administration"
    LIMITED = "limited", "Limited administration"
    TEAMS = "teams", "Through teams"


# The directory role whose permissions each level carries in a customer's tenant; a
# staff member in Teams mode holds, instead, what its teams hold in each customer.
LEVEL_ROLE: dict[str, Role | None] = {
    AccessLevel.NONE: None,
    AccessLevel.FULL: Role.GLOBAL_ADMIN,
    AccessLevel.LIMITED: Role.PASSWORD_ADMIN,
    AccessLevel.TEAMS: None,
}

# The levels that lead into customers at all: the simple modes and Teams.
AGENT_LEVELS: frozenset[str] = frozenset({AccessLevel.FULL, AccessLevel.LIMITED, AccessLevel.TEAMS})


class AgentAccess(models.Model):
    """A partner staff member's delegated access to the partner's customers."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="agent_access",
    )
    level = models.CharField(
        "assign administrative access to companies you support",
        max_length=16,
        choices=AccessLevel.choices,
        default=AccessLevel.NONE,
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "delegated access"
        verbose_name_plural = "delegated access"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=AccessLevel.values), name="agent_access_level_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_level_display()}"


class Team(models.Model):
    """A group of a partner's staff that holds roles in customers (``AccessAssignment``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "partner",
                name="team_name_unique_per_partner",
                violation_error_message="The partner already has a team of this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    """A staff member of the team's partner in the team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"

    def clean(self) -> None:
        if self.team_id and self.user_id and self.user.tenant_id != self.team.partner_id:
            raise ValidationError("Only the partner's own staff can be members of its teams.")


class AccessAssignment(models.Model):
    """The roles a team holds in one customer (``relationship``), or, with no
    relationship, in every customer of its partner (the team's default assignment, which
    also applies to each relationship accepted later). Roles outside what a relationship
    grants never apply: the rule intersects them when it decides."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="assignments")
    relationship = models.ForeignKey(
        Relationship,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="team_assignments",
        help_text="Empty: every customer of the partner, now and later.",
    )
    roles = models.JSONField(default=list, help_text="Directory roles the team holds there.")
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "relationship"], name="access_assignment_unique"
            ),
            models.UniqueConstraint(
                fields=["team"],
                condition=models.Q(relationship__isnull=True),
                name="access_assignment_one_default_per_team",
            ),
        ]

    def __str__(self) -> str:
        where = self.relationship.customer if self.relationship else "every customer"
        return f"{self.team} in {where}"

    @property
    def is_default(self) -> bool:
        return self.relationship_id is None

    @property
    def role_list(self) -> list[Role]:
        return [Role(r) for r in self.roles]


class CustomerGroup(models.Model):
    """A partner-side label over some of its customers ("EU customers"), to act on them
    together; the customers never see it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="customer_groups")
    name = models.CharField(max_length=100)
    customers = models.ManyToManyField(Tenant, blank=True, related_name="partner_groups")
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "partner",
                name="customer_group_name_unique_per_partner",
                violation_error_message="The partner already has a customer group of this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name
