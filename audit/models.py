"""The audit log: append-only, one hash chain per tenant."""

import uuid
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Reads only: the application offers no way to change or remove an event."""

    def update(self, **kwargs: object) -> int:
        raise TypeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")

    def bulk_create(self, *args: object, **kwargs: object) -> list["AuditEvent"]:
        # Events enter through ``audit_record`` / ``audit_record_many``, which link them.
        raise TypeError("Audit events are written by audit_record only.")

    def _append_linked(self, events: list["AuditEvent"]) -> list["AuditEvent"]:
        """Insert events already linked into their chains (``audit.services`` only),
        while the heads of the chains are locked."""
        return super().bulk_create(events)

    def bulk_update(self, *args: object, **kwargs: object) -> int:
        raise TypeError("Audit events are append-only.")

    def for_tenant(self, tenant_id: uuid.UUID | str) -> "AuditEventQuerySet":
        return self.filter(tenant_id=tenant_id)

    def matching(
        self,
        *,
        actor: str | None = None,
        partner: Any = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> "AuditEventQuerySet":
        """The events of ``actor`` (an address), by staff of ``partner``, of ``action``,
        from ``since`` and before ``until``; None leaves a filter out."""
        lookups = {
            "actor_email": actor,
            "actor_tenant_id": partner,
            "action": action,
            "occurred_at__gte": since,
            "occurred_at__lt": until,
        }
        return self.filter(**{k: v for k, v in lookups.items() if v is not None})

    def by_staff_of(self, partner_id: uuid.UUID) -> "AuditEventQuerySet":
        return self.filter(actor_tenant_id=partner_id)

    def rows(self) -> list["EventRow"]:
        """The events as ``EventRow``: what a page shows, without model instances."""
        make = EventRow._make
        return [make(values) for values in self.values_list(*EVENT_ROW_FIELDS)]


@cache
def _action_labels() -> dict[str, str]:
    """Each action's label by its code."""
    from .actions import Action

    return dict(Action.choices)


class EventDisplay:
    """How an event reads on a page; shared by ``AuditEvent`` and the lighter ``EventRow``."""

    __slots__ = ()

    if TYPE_CHECKING:
        tenant_id: Any
        actor_id: Any
        actor_email: str
        actor_name: str
        actor_tenant_id: Any
        actor_tenant_name: str
        actor_partner_level: str
        actor_teams: list[str]
        action: str
        changes: Any

    @property
    def action_label(self) -> str:
        return str(_action_labels().get(self.action, self.action))

    @property
    def change_rows(self) -> list[tuple[str, str | None, str | None]]:
        """``changes`` as (field, old, new) rows, in words (``audit.display``); a value
        that is not a pair is "new"."""
        from .display import change_rows

        return change_rows(self.changes)

    @property
    def actor_display(self) -> str:
        """The person and, when not at home, the organisation it acted for: a partner
        technician is named, never hidden behind its partner."""
        if not self.actor_id and not self.actor_email:
            return "Partner Portal (automatic)"
        name = self.actor_name or self.actor_email
        if self.actor_tenant_id is None or self.actor_tenant_id == self.tenant_id:
            return name
        detail = [self.actor_tenant_name]
        if self.actor_teams:
            detail.append("through " + ", ".join(self.actor_teams))
        elif self.actor_partner_level:
            from delegation.models import AccessLevel

            try:
                detail.append(str(AccessLevel(self.actor_partner_level).label))
            except ValueError:
                detail.append(self.actor_partner_level)
        return f"{name} ({', '.join(d for d in detail if d)})"


class AuditEvent(EventDisplay, models.Model):
    """One act: who, in which tenant, on whose behalf, what, when and from where.

    A tenant's events form a hash chain by ``seq``. References carry no database
    constraint (names are copied), so nothing ever needs to update a stored event.
    """

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the unique (tenant, seq) index serves it
        related_name="+",
        help_text="The tenant acted in; its chain holds the event.",
    )
    seq = models.PositiveBigIntegerField("sequence number")
    occurred_at = models.DateTimeField(default=timezone.now, db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    actor_name = models.CharField(max_length=300, blank=True)
    actor_tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # served by the (actor_tenant, id) index
        null=True,
        blank=True,
        related_name="+",
    )
    actor_tenant_name = models.CharField(max_length=200, blank=True)
    actor_partner_level = models.CharField(
        max_length=16,
        blank=True,
        help_text="Full, limited or teams, when acting on a customer's behalf.",
    )
    actor_teams = models.JSONField(
        default=list,
        blank=True,
        help_text="In Teams mode, the names of the teams through which the agent acted.",
    )
    relationship = models.ForeignKey(
        "delegation.Relationship",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-tenant", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "seq"], name="audit_event_chain_seq"),
        ]
        # The audit page walks one tenant's chain by seq; Activity, a partner's staff by id.
        indexes = [
            models.Index(fields=["actor_tenant", "-id"], name="audit_staff_activity_idx"),
            models.Index(fields=["tenant", "action", "-seq"], name="audit_tenant_action_idx"),
            models.Index(fields=["tenant", "actor_email", "-seq"], name="audit_tenant_email_idx"),
            models.Index(
                fields=["tenant", "actor_tenant", "-seq"], name="audit_tenant_partner_idx"
            ),
            models.Index(fields=["tenant", "occurred_at"], name="audit_tenant_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}#{self.seq} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")


class AuditChainHead(models.Model):
    """The last link of a tenant's chain; locking it serialises writers to that chain."""

    tenant = models.OneToOneField(
        "tenants.Tenant", on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True
    )
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.tenant_id}#{self.seq}"


class EventRowFields(NamedTuple):
    """Every column of an event, read without a model instance."""

    id: int
    tenant_id: uuid.UUID
    seq: int
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_email: str
    actor_name: str
    actor_tenant_id: uuid.UUID | None
    actor_tenant_name: str
    actor_partner_level: str
    actor_teams: list[str]
    relationship_id: uuid.UUID | None
    action: str
    target_type: str
    target_id: str
    target_repr: str
    changes: Any
    ip_address: str | None
    user_agent: str
    request_id: str
    prev_hash: str
    hash: str


EVENT_ROW_FIELDS = EventRowFields._fields


class EventRow(EventDisplay, EventRowFields):
    """An event as a read-only tuple, with ``AuditEvent``'s display properties."""

    __slots__ = ()
