"""Walking the hash chains: the first broken link of each tenant's chain, if any."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count

from .models import AuditChainHead, AuditEvent, EventRow
from .services import GENESIS_HASH, compute_hash

CHUNK_SIZE = 5000
NO_HEAD_DETAIL = "events exist but the chain has no head"


class Reason:
    HASH_MISMATCH = "hash mismatch"
    GAP = "gap"
    OUT_OF_ORDER = "out-of-order"
    HEAD_MISMATCH = "head mismatch"
    NO_HEAD = "no chain head"


@dataclass(frozen=True)
class ChainReport:
    """The outcome for one tenant: intact (``broken_seq`` None) or its first broken link."""

    tenant_id: uuid.UUID
    events: int
    broken_seq: int | None = None
    reason: str = ""
    detail: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def chain_rows(tenant_id: uuid.UUID, chunk_size: int = CHUNK_SIZE) -> Iterator[EventRow]:
    """``tenant_id``'s events in seq order, read in keyset chunks of ``chunk_size`` over
    the (tenant, seq) index: one short query per chunk, one chunk in memory at a time."""
    qs = AuditEvent.objects.filter(tenant_id=tenant_id).order_by("seq")
    last = 0
    while True:
        chunk = qs.filter(seq__gt=last)[:chunk_size].rows()
        yield from chunk
        if len(chunk) < chunk_size:
            return
        last = chunk[-1].seq


def verify_chain(
    tenant_id: uuid.UUID, head: AuditChainHead | None, chunk_size: int = CHUNK_SIZE
) -> ChainReport:
    """Walk one tenant's events by seq, holding one chunk of rows at a time."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0

    def broken(seq: int, reason: str, detail: str) -> ChainReport:
        return ChainReport(tenant_id, count, seq, reason, detail)

    for event in chain_rows(tenant_id, chunk_size):
        count += 1
        if event.seq != expected_seq:
            missing = f"next event found is #{event.seq}; #{expected_seq} is missing"
            return broken(expected_seq, Reason.GAP, missing)
        if event.prev_hash != prev_hash:
            detail = "its previous-hash does not match the event before it"
            return broken(event.seq, Reason.OUT_OF_ORDER, detail)
        if compute_hash(prev_hash, event) != event.hash:
            detail = "its content does not match its hash"
            return broken(event.seq, Reason.HASH_MISMATCH, detail)
        prev_hash = event.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    if head is None:
        return broken(1, Reason.NO_HEAD, NO_HEAD_DETAIL)
    if head.seq != last_seq or head.hash != prev_hash:
        return broken(
            last_seq + 1 if head.seq > last_seq else head.seq,
            Reason.HEAD_MISMATCH,
            f"the chain head is at #{head.seq} but the events end at #{last_seq}",
        )
    return ChainReport(tenant_id, count)


def verify_chains(
    tenant_ids: Iterable[uuid.UUID] | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[ChainReport]:
    """One report per chain: every tenant with a chain head, then events without one."""
    heads = AuditChainHead.objects.order_by("tenant_id")
    orphans = AuditEvent.objects.exclude(tenant_id__in=AuditChainHead.objects.values("tenant_id"))
    if tenant_ids is not None:
        ids = list(tenant_ids)
        heads = heads.filter(tenant_id__in=ids)
        orphans = orphans.filter(tenant_id__in=ids)
    # Every tenant has a head from its creation; most never write an event. Their chains
    # are checked with one query for them all: does any event claim to belong to one?
    empty_with_events = set(
        AuditEvent.objects.filter(tenant_id__in=heads.filter(seq=0).values("tenant_id"))
        .values_list("tenant_id", flat=True)
        .distinct()
    )
    for head in heads.iterator(chunk_size):
        if head.seq == 0 and head.hash == GENESIS_HASH and head.tenant_id not in empty_with_events:
            yield ChainReport(head.tenant_id, 0)
            continue
        yield verify_chain(head.tenant_id, head, chunk_size)
    for row in orphans.values("tenant_id").annotate(n=Count("id")).order_by("tenant_id"):
        yield ChainReport(row["tenant_id"], row["n"], 1, Reason.NO_HEAD, NO_HEAD_DETAIL)
