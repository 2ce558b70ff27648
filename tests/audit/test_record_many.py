"""Several events in one go: each chain stays a chain, in three statements."""

import pytest

from audit.actions import Action
from audit.models import AuditChainHead, AuditEvent
from audit.services import (
    GENESIS_HASH,
    Entry,
    audit_append,
    audit_prepare,
    audit_record,
    audit_record_many,
)
from audit.verify import verify_chains
from tenants.models import Tenant, TenantKind
from tests.audit.conftest import raw_tamper
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db


def entry(tenant, n):
    return Entry(tenant=tenant, action=Action.USER_UPDATED, target_repr=f"user {n}")


def test_events_of_two_tenants_join_each_chain_in_order(django_assert_num_queries):
    # given: two tenants, one with history
    contoso, fabrikam = make_tenant(name="Contoso"), make_tenant(name="Fabrikam")
    audit_record(tenant=contoso, action=Action.USER_CREATED, target_repr="earlier")
    # when: heads locked together, events inserted together, heads moved together
    with django_assert_num_queries(3):
        events = audit_record_many([entry(contoso, 1), entry(fabrikam, 2), entry(contoso, 3)])
    # then
    assert [(e.tenant_id, e.seq) for e in events] == [
        (contoso.pk, 2),
        (fabrikam.pk, 1),
        (contoso.pk, 3),
    ]
    assert events[2].prev_hash == events[0].hash
    assert events[1].prev_hash == GENESIS_HASH
    # each event has the id of its row, and the row holds what the event does
    for event in events:
        assert not event._state.adding
        stored = AuditEvent.objects.get(pk=event.pk)
        assert [getattr(stored, f.attname) for f in AuditEvent._meta.concrete_fields] == [
            getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields
        ]
    heads = {h.tenant_id: h for h in AuditChainHead.objects.all()}
    assert (heads[contoso.pk].seq, heads[contoso.pk].hash) == (3, events[2].hash)
    assert (heads[fabrikam.pk].seq, heads[fabrikam.pk].hash) == (1, events[1].hash)
    assert all(r.intact for r in verify_chains())


def test_events_made_before_are_linked_when_appended_and_only_once(django_assert_num_queries):
    # given: events made while other writers append to the same chain
    contoso = make_tenant(name="Contoso")
    with django_assert_num_queries(0):
        made = audit_prepare([entry(contoso, 1), entry(contoso, 2)])
    audit_record(tenant=contoso, action=Action.USER_CREATED, target_repr="meanwhile")
    assert [(e.seq, e.hash) for e in made] == [(None, ""), (None, "")]
    # when
    with django_assert_num_queries(3):
        appended = audit_append(made)
    # then: after what was appended meanwhile, the chain intact
    assert [e.seq for e in appended] == [2, 3]
    assert all(r.intact for r in verify_chains())
    with pytest.raises(ValueError, match="appended once"):
        audit_append(made)
    assert AuditEvent.objects.filter(tenant=contoso).count() == 3


@pytest.mark.parametrize("tenants", [1, 4, 5])
def test_any_number_of_chains_move_together(django_assert_num_queries, tenants):
    # given: one tenant, or four, or five
    found = [make_tenant(name=f"Tenant {n}") for n in range(tenants)]
    # when
    with django_assert_num_queries(3):
        events = audit_record_many([entry(t, n) for n, t in enumerate(found * 2)])
    # then
    assert [e.seq for e in events] == [1] * tenants + [2] * tenants
    assert all(r.intact for r in verify_chains())


def test_nothing_to_record_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert audit_record_many([]) == []


def test_every_new_tenant_starts_with_an_empty_chain_head():
    tenant = make_tenant()
    head = AuditChainHead.objects.get(tenant=tenant)
    assert (head.seq, head.hash) == (0, GENESIS_HASH)


def test_a_tenant_without_a_head_gets_one_at_its_first_event():
    # given: a tenant from before every tenant had a head (bulk writes send no signal)
    (tenant,) = Tenant.objects.bulk_create([Tenant(kind=TenantKind.CUSTOMER, name="Old")])
    assert not AuditChainHead.objects.filter(tenant=tenant).exists()
    # when
    (event,) = audit_record_many([entry(tenant, 1)])
    # then
    assert event.seq == 1
    assert AuditChainHead.objects.get(tenant=tenant).seq == 1


def test_verify_finds_events_claiming_an_empty_chain():
    # given: an event slipped in behind an empty head's back
    tenant = make_tenant()
    other = make_tenant()
    (event,) = audit_record_many([entry(other, 1)])
    raw_tamper(
        "UPDATE audit_auditevent SET tenant_id = %s WHERE id = %s", [tenant.pk.hex, event.pk]
    )
    # when
    reports = {r.tenant_id: r for r in verify_chains()}
    # then
    assert not reports[tenant.pk].intact  # its hash names the tenant it was written to
    assert AuditEvent.objects.filter(tenant_id=tenant.pk).count() == 1
