"""The content an event's hash covers, pinned: chains written before any change to the
code must keep verifying."""

import datetime
import uuid
from types import SimpleNamespace

from audit.services import canonical_content, compute_hash

EVENT = SimpleNamespace(
    tenant_id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
    seq=7,
    occurred_at=datetime.datetime(2026, 12, 7, 15, 4, 5, 123456, tzinfo=datetime.UTC),
    actor_id=uuid.UUID("00000000-0000-4000-8000-000000000002"),
    actor_email="ana@fabrikam.example",
    actor_name='Ana Łukasz "A"',
    actor_tenant_id=None,
    actor_tenant_name="Fabrikam & Co",
    actor_partner_level="full",
    actor_teams=[],
    relationship_id=None,
    action="user.created",
    target_type="user",
    target_id="42",
    target_repr="Zoë <z@contoso.example>",
    changes={"roles": [None, ["user_admin"]], "n": 3},
    ip_address="192.0.2.1",
    user_agent="Mozilla/5.0",
    request_id="req-1",
)


def test_the_hashed_content_is_sorted_compact_json_with_text_as_it_is():
    assert canonical_content(EVENT) == (
        '{"action":"user.created","actor":"00000000-0000-4000-8000-000000000002",'
        '"actor_email":"ana@fabrikam.example","actor_name":"Ana Łukasz \\"A\\"",'
        '"actor_partner_level":"full","actor_tenant":null,"actor_tenant_name":"Fabrikam & Co",'
        '"changes":{"n":3,"roles":[null,["user_admin"]]},"ip_address":"192.0.2.1",'
        '"occurred_at":"2026-12-07T15:04:05.123456+00:00","relationship":null,'
        '"request_id":"req-1","seq":7,"target_id":"42","target_repr":"Zoë <z@contoso.example>",'
        '"target_type":"user","tenant":"00000000-0000-4000-8000-000000000001",'
        '"user_agent":"Mozilla/5.0"}'
    )


def test_the_hash_of_an_event_is_what_it_always_was():
    assert (
        compute_hash("0" * 64, EVENT)
        == "7a360507bf5f5eb2e8d12f7d0e846f3bc1e19a4d48457f800ff6ab3716a52df4"
    )


def test_the_teams_an_agent_acted_through_are_hashed_only_where_there_are_some():
    through = SimpleNamespace(**{**vars(EVENT), "actor_teams": ["Helpdesk", "EU, nights"]})
    assert canonical_content(through) == canonical_content(EVENT).replace(
        '"actor_tenant":null,',
        '"actor_teams":["Helpdesk","EU, nights"],"actor_tenant":null,',
    )
    assert compute_hash("0" * 64, through) != compute_hash("0" * 64, EVENT)
