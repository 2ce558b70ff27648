"""The audit log: append-only, one hash chain per tenant."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise TypeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One act: who, in which tenant, on whose behalf, what, when and from where.

    Events of one tenant form a chain: ``seq`` counts from 1 and ``hash`` covers
    ``prev_hash`` and the event's canonical content. References to users, tenants and
    relationships carry no database constraint (and their names are copied), so that
    nothing ever needs to update a stored event.
    """

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
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
        null=True,
        blank=True,
        related_name="+",
    )
    actor_tenant_name = models.CharField(max_length=200, blank=True)
    actor_partner_level = models.CharField(
        max_length=16, blank=True, help_text="Full or limited, when acting on a customer's behalf."
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
        indexes = [
            models.Index(fields=["actor_tenant", "-occurred_at"], name="audit_actor_tenant_idx"),
            models.Index(fields=["tenant", "action", "-seq"], name="audit_tenant_action_idx"),
            models.Index(fields=["tenant", "actor", "-seq"], name="audit_tenant_actor_idx"),
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
