"""The content an event's hash covers is the JSON of its fields as a dictionary, sorted,
written key by key: the same text for every kind of value an event holds."""

import json
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from audit.actions import Action
from audit.services import canonical_content


def by_dictionary(event: Any) -> str:
    """How the content was written first: a dictionary, dumped with its keys sorted."""
    payload = {
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
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


TEXTS = [
    "",
    "plain",
    'quote " and back\\slash',
    "tab\tnew\nline\rreturn\x00nul\x1f",
    "Ünïcödé — “quotes” 名前 🙂",
    "\u2028\u2029",
    "\ud800 lone surrogate",
    "</script>",
]
CHANGES: list[Any] = [
    {},
    None,
    {"roles": [None, ["global_admin", "user_admin"]], "expires": [None, "2027-01-01"]},
    {"z": 1, "a": {"y": [1.5, True, None], "b": "é\n"}, "n": -3},
    ["a", 2],
]


def event(rng: random.Random, **fields: Any) -> SimpleNamespace:
    def maybe_id() -> uuid.UUID | None:
        return uuid.UUID(int=rng.getrandbits(128)) if rng.random() < 0.7 else None

    values = {
        "tenant_id": uuid.UUID(int=rng.getrandbits(128)),
        "seq": rng.choice([1, 2, 999_999, 2**40]),
        "occurred_at": datetime(2026, 12, 5, tzinfo=UTC)
        + timedelta(microseconds=rng.choice([0, 1, 999_999, 86_399_000_001])),
        "actor_id": maybe_id(),
        "actor_email": rng.choice(TEXTS),
        "actor_name": rng.choice(TEXTS),
        "actor_tenant_id": maybe_id(),
        "actor_tenant_name": rng.choice(TEXTS),
        "actor_partner_level": rng.choice(["", "full", "limited"]),
        "relationship_id": maybe_id(),
        "action": rng.choice([rng.choice(list(Action)), rng.choice(list(Action)).value]),
        "target_type": rng.choice(TEXTS),
        "target_id": rng.choice(TEXTS),
        "target_repr": rng.choice(TEXTS),
        "changes": rng.choice(CHANGES),
        "ip_address": rng.choice([None, "203.0.113.9", "2001:db8::1"]),
        "user_agent": rng.choice(TEXTS),
        "request_id": rng.choice(["", "a" * 32]),
    }
    values.update(fields)
    return SimpleNamespace(**values)


def test_every_kind_of_value_is_written_as_the_dictionary_was():
    rng = random.Random(8)
    for _ in range(2_000):
        e = event(rng)
        assert canonical_content(e) == by_dictionary(e)


@pytest.mark.parametrize(
    "fields",
    [
        {"occurred_at": datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=2)))},
        {"seq": True},
        {"request_id": None, "user_agent": None, "actor_email": None},
        {"changes": {"count": 3}},
        {"target_id": 12},
    ],
)
def test_values_of_other_types_are_written_as_the_dictionary_was(fields):
    e = event(random.Random(1), **fields)
    assert canonical_content(e) == by_dictionary(e)
