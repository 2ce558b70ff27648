"""Concurrent writers to one tenant's chain queue on its head: one unbroken chain."""

import threading

import pytest
from django.db import connection, transaction

from audit.actions import Action
from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_record
from audit.verify import verify_chains
from tests.factories import make_tenant

WRITERS = 8
EVENTS_EACH = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain(record_property):
    # given a tenant whose chain does not exist yet (the writers race to create its head)
    tenant = make_tenant(name="Contoso")
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_EACH):
                with transaction.atomic():
                    audit_record(
                        tenant=tenant,
                        action=Action.USER_UPDATED,
                        target_repr=f"writer {n} event {i}",
                    )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then
    assert errors == []
    total = WRITERS * EVENTS_EACH
    seqs = list(
        AuditEvent.objects.filter(tenant=tenant).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, total + 1))
    assert AuditChainHead.objects.get(tenant=tenant).seq == total
    (report,) = list(verify_chains())
    assert report.intact
    assert report.events == total
    record_property("battery.races", 1)
