"""The one writer of audit events, and the hashing that chains them."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db import transaction
from django.utils import timezone

from . import context
from .actions import Action
from .models import AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

    from delegation.access import Rights
    from delegation.models import Relationship
    from tenants.models import Tenant, User

GENESIS_HASH = "0" * 64


class HashedFields(Protocol):
    """What the hash covers, as an event or a row read for verifying has it."""

    @property
    def tenant_id(self) -> Any: ...
    @property
    def seq(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor_id(self) -> Any: ...
    @property
    def actor_email(self) -> str: ...
    @property
    def actor_name(self) -> str: ...
    @property
    def actor_tenant_id(self) -> Any: ...
    @property
    def actor_tenant_name(self) -> str: ...
    @property
    def actor_partner_level(self) -> str: ...
    @property
    def actor_teams(self) -> list[str]: ...
    @property
    def relationship_id(self) -> Any: ...
    @property
    def action(self) -> str: ...
    @property
    def target_type(self) -> str: ...
    @property
    def target_id(self) -> str: ...
    @property
    def target_repr(self) -> str: ...
    @property
    def changes(self) -> Any: ...
    @property
    def ip_address(self) -> str | None: ...
    @property
    def user_agent(self) -> str: ...
    @property
    def request_id(self) -> str: ...


_SECRET_WORDS = ("password", "secret", "token", "otp", "recovery", "key")


def _is_secret(name: object) -> bool:
    return any(word in str(name).lower() for word in _SECRET_WORDS)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _scrub_value(v) for k, v in value.items() if not _is_secret(k)}
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


def _scrub(changes: dict[str, Any] | None) -> dict[str, Any]:
    """Drop anything named like a secret, at any depth; values are made JSON-safe."""
    clean = _scrub_value(dict(changes or {}))
    return json.loads(json.dumps(clean, default=str))


def _normalise_ip(value: str | None) -> str | None:
    """The form the database gives back, so that the hash verifies after a round trip."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def canonical_content(event: HashedFields) -> str:
    """The text the hash covers: every recorded field, as JSON with sorted keys. The
    teams are covered where there are any: events recorded before there were teams
    (and every event not done through one) hash as they always did."""
    payload: dict[str, Any] = {
        "tenant": str(event.tenant_id),
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor": str(event.actor_id) if event.actor_id else None,
        "actor_email": event.actor_email,
        "actor_name": event.actor_name,
        "actor_tenant": str(event.actor_tenant_id) if event.actor_tenant_id else None,
        "actor_tenant_name": event.actor_tenant_name,
        "actor_partner_level": event.actor_partner_level,
        "relationship": str(event.relationship_id) if event.relationship_id else None,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_repr": event.target_repr,
        "changes": event.changes,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
    }
    if event.actor_teams:
        payload["actor_teams"] = list(event.actor_teams)
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, event: HashedFields) -> str:
    """SHA-256 over the previous link's hash and this event's canonical content."""
    return hashlib.sha256((prev_hash + canonical_content(event)).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One event to append: the arguments of ``audit_record``."""

    tenant: Tenant
    action: Action
    acting_user: User | None = None
    relationship: Relationship | None = None
    partner_level: str = ""
    teams: Sequence[str] = ()
    target: Any = None
    target_type: str = ""
    target_id: str = ""
    target_repr: str = ""
    changes: dict[str, Any] | None = None


def audit_record(*, tenant: Tenant, action: Action, **fields: Any) -> AuditEvent:
    """Append one event (the fields of ``Entry``) to ``tenant``'s chain, in the caller's
    transaction. Values named like a password, secret, token or key are never stored."""
    (event,) = audit_record_many([Entry(tenant=tenant, action=action, **fields)])
    return event


def audit_record_many(entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append ``entries`` in order, each to its tenant's chain, in the caller's transaction.

    The chain heads are locked so that concurrent writers to one tenant queue up instead
    of forking the chain; the lock is held until the caller's transaction ends.
    """
    return audit_append(audit_prepare(entries))


def audit_prepare(entries: Sequence[Entry]) -> list[AuditEvent]:
    """The events of ``entries``, made but not yet linked: the part that needs no lock,
    for a caller to do before it takes locks of its own."""
    ctx = context.current()
    now = timezone.now()
    return [_event(entry, ctx, now) for entry in entries]


def audit_append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Link ``events`` (from ``audit_prepare``) into their chains and insert them."""
    if not events:
        return []
    if any(event.hash for event in events):
        raise ValueError("An audit event is appended once.")
    # No savepoint of its own: an event that cannot be written must undo the act it
    # records, so a failure here rolls back the caller's whole transaction.
    with transaction.atomic(savepoint=False):
        heads = _lock_heads({event.tenant_id for event in events})
        for event in events:
            head = heads[event.tenant_id]
            event.seq, event.prev_hash = head.seq + 1, head.hash
            event.hash = compute_hash(head.hash, event)
            head.seq, head.hash = event.seq, event.hash
        AuditEvent.objects.all()._append_linked(events)
        _move_heads(list(heads.values()))
    return events


def _lock_heads(tenant_ids: set[Any]) -> dict[Any, AuditChainHead]:
    """The chain heads of ``tenant_ids``, locked in tenant order (so two writers to the
    same tenants never wait on each other crosswise); a tenant without one gets one."""
    found = (
        AuditChainHead.objects.select_for_update()
        .filter(tenant_id__in=tenant_ids)
        .order_by("tenant_id")
    )
    heads = {head.tenant_id: head for head in found}
    for tenant_id in sorted(tenant_ids - heads.keys(), key=str):
        # get_or_create copes with two first writers racing to create a missing head.
        heads[tenant_id], _ = AuditChainHead.objects.select_for_update().get_or_create(
            tenant_id=tenant_id
        )
    return heads


def _move_heads(heads: list[AuditChainHead]) -> None:
    """Set each head's sequence number and hash, in one statement for any number of heads."""
    moved = AuditChainHead.objects.bulk_update(heads, ["seq", "hash"])
    if moved != len(heads):
        raise RuntimeError(f"Moved {moved} of {len(heads)} audit chain heads.")


def _event(entry: Entry, ctx: context.RequestContext, now: datetime) -> AuditEvent:
    """The event of ``entry``; ``seq`` and the hashes are set under the head's lock."""
    target_type, target_id, target_repr = entry.target_type, entry.target_id, entry.target_repr
    if entry.target is not None:
        target_type = target_type or entry.target._meta.model_name
        target_id = target_id or str(entry.target.pk)
        target_repr = target_repr or str(entry.target)
    actor = entry.acting_user
    return AuditEvent(
        tenant_id=entry.tenant.pk,
        occurred_at=now,
        actor=actor,
        actor_email=actor.email if actor else "",
        actor_name=actor.get_full_name() if actor else "",
        actor_tenant_id=actor.tenant_id if actor else None,
        actor_tenant_name=actor.tenant.name if actor else "",
        actor_partner_level=entry.partner_level if entry.relationship is not None else "",
        actor_teams=list(entry.teams) if entry.relationship is not None else [],
        relationship=entry.relationship,
        action=str(entry.action),
        target_type=target_type[:64],
        target_id=target_id[:64],
        target_repr=target_repr[:300],
        changes=_scrub(entry.changes),
        ip_address=_normalise_ip(ctx.ip_address),
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
    )


def audit_in(
    rights: Rights,
    *,
    action: Action,
    acting_user: User,
    **kwargs: Any,
) -> AuditEvent:
    """Record an act in ``rights.tenant``; when acting on a customer's behalf, the
    relationship that allowed it, the agent's level and, in Teams mode, the teams through
    which it acted are recorded too."""
    return audit_record(
        tenant=rights.tenant,
        action=action,
        acting_user=acting_user,
        relationship=rights.relationship if rights.is_agent else None,
        partner_level=rights.level if rights.is_agent else "",
        teams=rights.acting_teams if rights.is_agent else (),
        **kwargs,
    )


def audit_agent_entered_once(request: HttpRequest, rights: Rights) -> None:
    """Record an agent entering a customer's admin center, once per session and tenant."""
    if not rights.is_agent or not hasattr(request, "session"):
        return
    key = (
        f"audit.entered.{rights.tenant.pk}.{rights.relationship.pk if rights.relationship else ''}"
    )
    if request.session.get(key):
        return
    with transaction.atomic():
        audit_in(
            rights,
            action=Action.ADMIN_CENTER_ENTERED,
            acting_user=request.user,  # type: ignore[arg-type]
            target=rights.tenant,
        )
    request.session[key] = True
