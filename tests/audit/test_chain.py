"""The hash chain: how events are linked, and ``audit_verify`` finding every kind of break."""

import io

import pytest
from django.core.management import CommandError, call_command

from audit.actions import Action
from audit.models import AuditChainHead, AuditEvent
from audit.services import GENESIS_HASH, audit_record, compute_hash
from audit.verify import EventRow, Reason, chain_rows, verify_chains
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.django_db


def record_many(tenant, n, user=None):
    return [
        audit_record(
            tenant=tenant,
            action=Action.USER_UPDATED,
            acting_user=user,
            target_type="user",
            target_id=str(i),
            target_repr=f"user {i}",
            changes={"job_title": [f"old {i}", f"new {i}"]},
        )
        for i in range(n)
    ]


def run_verify(*args):
    out = io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_each_event_links_to_the_previous_one_per_tenant():
    # given
    contoso, northwind = make_tenant(name="Contoso"), make_tenant(name="Northwind")
    # when
    a1, a2 = record_many(contoso, 2)
    (b1,) = record_many(northwind, 1)
    # then
    assert (a1.seq, a2.seq, b1.seq) == (1, 2, 1)
    assert a1.prev_hash == GENESIS_HASH
    assert b1.prev_hash == GENESIS_HASH
    assert a2.prev_hash == a1.hash
    stored = AuditEvent.objects.get(pk=a2.pk)
    assert compute_hash(stored.prev_hash, stored) == stored.hash
    head = AuditChainHead.objects.get(tenant=contoso)
    assert (head.seq, head.hash) == (2, a2.hash)


def test_secrets_are_never_stored_at_any_depth():
    tenant = make_tenant()
    event = audit_record(
        tenant=tenant,
        action=Action.USER_UPDATED,
        changes={
            "password": ["a", "b"],
            "job_title": ["x", "y"],
            "settings": {"api_token": "t0k3n", "colour": "blue"},
        },
    )
    assert AuditEvent.objects.get(pk=event.pk).changes == {
        "job_title": ["x", "y"],
        "settings": {"colour": "blue"},
    }


def test_the_application_offers_no_update_or_delete():
    tenant = make_tenant()
    (event,) = record_many(tenant, 1)
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError):
        event.delete()
    event.action = "x"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.bulk_create([AuditEvent(tenant=tenant, seq=9)])


def test_audit_verify_reports_intact_chains():
    # given
    user = make_user(make_tenant(name="Contoso"))
    record_many(user.tenant, 5, user)
    record_many(make_tenant(name="Northwind"), 3)
    # when
    code, output = run_verify()
    # then
    assert code == 0
    assert "All 2 audit chains intact (8 events checked)." in output


def test_audit_verify_catches_an_edited_event_by_tenant_and_seq(tamper):
    # given
    contoso = make_tenant(name="Contoso")
    northwind = make_tenant(name="Northwind")
    events = record_many(contoso, 5)
    record_many(northwind, 2)
    # when someone rewrites what happened, leaving the hash as it was
    tamper("UPDATE audit_auditevent SET target_repr = %s WHERE id = %s", ["nobody", events[2].pk])
    # then
    code, output = run_verify()
    assert code == 2
    assert f"BROKEN  Contoso ({contoso.pk}) at seq 3: hash mismatch" in output
    assert f"intact  Northwind ({northwind.pk})" in output
    assert "1 of 2 audit chains broken" in output


def test_audit_verify_catches_an_edit_that_recomputed_the_hash(tamper):
    # given
    contoso = make_tenant(name="Contoso")
    events = record_many(contoso, 4)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.target_repr = "nobody"
    forged_hash = compute_hash(forged.prev_hash, forged)
    # when the forger also fixes the edited event's own hash
    tamper(
        "UPDATE audit_auditevent SET target_repr = %s, hash = %s WHERE id = %s",
        ["nobody", forged_hash, forged.pk],
    )
    # then the next link gives it away
    reports = list(verify_chains())
    assert [(r.broken_seq, r.reason) for r in reports] == [(3, Reason.OUT_OF_ORDER)]


def test_audit_verify_catches_a_deleted_event(tamper):
    contoso = make_tenant(name="Contoso")
    events = record_many(contoso, 5)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    code, output = run_verify("--tenant", str(contoso.pk))
    assert code == 2
    assert "at seq 2: gap" in output


def test_audit_verify_catches_a_deleted_last_event(tamper):
    contoso = make_tenant(name="Contoso")
    events = record_many(contoso, 3)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    reports = list(verify_chains())
    assert [(r.broken_seq, r.reason) for r in reports] == [(3, Reason.HEAD_MISMATCH)]


def test_audit_verify_catches_reordered_events(tamper):
    # given
    contoso = make_tenant(name="Contoso")
    events = record_many(contoso, 5)
    # when events 2 and 4 swap places
    tamper("UPDATE audit_auditevent SET seq = 1000 WHERE id = %s", [events[1].pk])
    tamper("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [events[3].pk])
    tamper("UPDATE audit_auditevent SET seq = 4 WHERE id = %s", [events[1].pk])
    # then
    code, output = run_verify()
    assert code == 2
    assert "at seq 2: out-of-order" in output


def test_audit_verify_streams_in_small_chunks():
    contoso = make_tenant(name="Contoso")
    record_many(contoso, 7)
    code, output = run_verify("--chunk-size", "2")
    assert code == 0
    assert "7 events checked" in output


def test_a_chain_is_read_in_keyset_chunks_of_rows_not_models(django_assert_num_queries):
    # given
    contoso = make_tenant(name="Contoso")
    record_many(contoso, 7)
    # when / then: 7 events in chunks of 3 are three queries (3, 3, 1 rows), each a
    # range of seq after the last one read, never an OFFSET
    with django_assert_num_queries(3) as captured:
        rows = list(chain_rows(contoso.pk, chunk_size=3))
    assert [r.seq for r in rows] == list(range(1, 8))
    assert all(isinstance(r, EventRow) for r in rows)
    assert all("OFFSET" not in q["sql"] for q in captured.captured_queries)
    assert [compute_hash(r.prev_hash, r) for r in rows] == [r.hash for r in rows]


def test_a_gap_at_a_chunk_boundary_is_found(tamper):
    # given
    contoso = make_tenant(name="Contoso")
    events = record_many(contoso, 6)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    # when
    reports = list(verify_chains(chunk_size=3))
    # then
    assert [(r.broken_seq, r.reason) for r in reports] == [(4, Reason.GAP)]


def test_audit_verify_refuses_a_malformed_tenant_id():
    code, output = run_verify("--tenant", "contoso")
    assert code == 1
    assert "Not a tenant id" in output
