"""On PostgreSQL the database itself keeps the audit log append-only."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.actions import Action
from audit.services import audit_record
from tests.factories import make_tenant

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def execute(sql, params=None):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.fixture
def event():
    return audit_record(tenant=make_tenant(), action=Action.USER_CREATED, target_repr="ana")


def test_the_trigger_refuses_update(event):
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):
        execute("UPDATE audit_auditevent SET target_repr = 'x' WHERE id = %s", [event.pk])


def test_the_trigger_refuses_delete(event):
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
        execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


def test_the_trigger_refuses_emptying_the_log_while_chains_exist(event):
    with pytest.raises(DatabaseError, match="TRUNCATE refused"):
        execute("TRUNCATE audit_auditevent")


def test_a_chain_head_never_moves_back_nor_goes_away(event):
    with pytest.raises(DatabaseError, match="only move forward"):
        execute("UPDATE audit_auditchainhead SET seq = 0")
    with pytest.raises(DatabaseError, match="never deleted"):
        execute("DELETE FROM audit_auditchainhead")


def test_the_row_is_unchanged_after_the_refusals(event):
    for sql in (
        "UPDATE audit_auditevent SET target_repr = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError):
            execute(sql, [event.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT target_repr FROM audit_auditevent WHERE id = %s", [event.pk])
        assert cursor.fetchone() == ("ana",)
