"""``insert`` writes what ``bulk_create`` writes, with the ORM's own SQL, in one statement."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from delegation.models import Relationship
from partnerportal.inserts import insert
from tenants.models import OutboundEmail, RoleAssignment, User
from tenants.roles import Role
from tests.factories import make_partner, make_tenant, make_user

pytestmark = pytest.mark.django_db


def mail(n: int, key: str | None = None) -> OutboundEmail:
    return OutboundEmail(
        to=f"someone{n}@example.com",
        subject=f"Subject\t{n}",
        body_text=f"Line one\nline two of {n}",
        kind="test",
        dedupe_key=key,
    )


def sql_of(write) -> list[str]:  # type: ignore[no-untyped-def]
    """The statements ``write()`` runs, as sent (the values apart, as parameters)."""
    sent: list[str] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        write()
    return sent


@pytest.mark.parametrize("rows", [1, 3])
def test_rows_with_their_own_ids_are_written_as_given_in_one_statement(rows):
    # given
    mails = [mail(n) for n in range(rows)]
    ids = [m.pk for m in mails]
    # when
    statements = sql_of(lambda: insert(mails))
    # then
    assert len(statements) == 1
    stored = {m.pk: m for m in OutboundEmail.objects.filter(pk__in=ids)}
    assert sorted(stored) == sorted(ids)
    for m in mails:
        assert (stored[m.pk].to, stored[m.pk].subject, stored[m.pk].body_text) == (
            m.to,
            m.subject,
            m.body_text,
        )
        assert (m._state.adding, m._state.db) == (False, "default")


def test_the_statement_is_the_one_bulk_create_writes_for_a_row():
    # given: the same row, written once each way
    by_orm = sql_of(lambda: OutboundEmail.objects.bulk_create([mail(1)]))
    # when
    by_insert = sql_of(lambda: insert([mail(2)]))
    # then: the same SQL (the values are parameters)
    assert by_insert == by_orm


def test_several_rows_are_a_values_row_each_on_every_database():
    # when
    (statement,) = sql_of(lambda: insert([mail(1), mail(2), mail(3)]))
    # then: no arrays for UNNEST (PostgreSQL's bulk_create), one placeholder a value
    assert "UNNEST" not in statement.upper()
    columns = len(OutboundEmail._meta.concrete_fields)
    assert statement.count("%s") == 3 * columns
    assert OutboundEmail.objects.filter(kind="test").count() == 3


def test_automatic_ids_are_read_back_in_order():
    # given
    users = [make_user(make_tenant(name=f"Tenant {n}")) for n in range(3)]
    assignments = [RoleAssignment(user=u, role=Role.USER_ADMIN) for u in users]
    # when
    insert(assignments)
    # then
    assert all(a.pk is not None for a in assignments)
    for a in assignments:
        assert RoleAssignment.objects.get(pk=a.pk).user_id == a.user_id


def test_a_field_set_on_every_save_is_set_on_insert():
    # given: a relationship whose "updated" the ORM sets as it writes
    partner, customer = make_partner(), make_tenant()
    now = timezone.now()
    relationship = Relationship(
        partner=partner,
        customer=customer,
        roles=["global_admin"],
        accepted_by=make_user(customer),
        expires=now + timedelta(days=1),
    )
    # when
    insert([relationship])
    # then
    stored = Relationship.objects.get(pk=relationship.pk)
    assert stored.updated is not None
    assert stored.updated >= now
    assert stored.roles == ["global_admin"]


def test_conflicting_rows_are_left_out_only_when_asked():
    # given: a message already written under a deduplication key
    insert([mail(1, key="once:someone1@example.com")])
    # when: written again, asking to leave out conflicts, beside a new one
    insert([mail(1, key="once:someone1@example.com"), mail(2, key="once:b")], ignore_conflicts=True)
    # then
    assert OutboundEmail.objects.filter(dedupe_key="once:someone1@example.com").count() == 1
    assert OutboundEmail.objects.filter(dedupe_key="once:b").count() == 1
    # and without asking, the conflict is the database's error, and nothing is written
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([mail(3, key="other"), mail(1, key="once:someone1@example.com")])
    assert not OutboundEmail.objects.filter(dedupe_key="other").exists()


def test_automatic_ids_with_conflicts_left_out_go_through_bulk_create():
    # given: a role held already
    user = make_user(make_tenant())
    RoleAssignment.objects.create(user=user, role=Role.USER_ADMIN)
    # when
    insert(
        [
            RoleAssignment(user=user, role=Role.USER_ADMIN),
            RoleAssignment(user=user, role=Role.BILLING_ADMIN),
        ],
        ignore_conflicts=True,
    )
    # then
    assert sorted(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [
        Role.BILLING_ADMIN,
        Role.USER_ADMIN,
    ]


def test_nothing_to_write_runs_nothing_and_models_are_not_mixed():
    assert sql_of(lambda: insert([])) == []
    with pytest.raises(TypeError):
        insert([mail(1), RoleAssignment(role=Role.USER_ADMIN)])  # type: ignore[list-item]


def test_more_rows_than_a_statement_takes_go_in_batches(monkeypatch):
    # given: a database that takes two rows a statement
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    mails = [mail(n) for n in range(5)]
    # when
    statements = sql_of(lambda: insert(mails))
    # then
    assert len(statements) == 3
    assert OutboundEmail.objects.filter(pk__in=[m.pk for m in mails]).count() == 5
    assigned = [
        RoleAssignment(user=make_user(make_tenant()), role=Role.USER_ADMIN) for _ in range(3)
    ]
    insert(assigned)
    assert [RoleAssignment.objects.get(pk=a.pk).user_id for a in assigned] == [
        a.user_id for a in assigned
    ]


def test_no_statement_carries_more_parameters_than_the_protocol_takes(monkeypatch):
    # given: a limit of two rows' worth of parameters
    columns = len(OutboundEmail._meta.concrete_fields)
    monkeypatch.setattr("partnerportal.inserts.MAX_PARAMS", 2 * columns + 1)
    mails = [mail(n) for n in range(5)]
    # when
    statements = sql_of(lambda: insert(mails))
    # then
    assert [sql.count("%s") for sql in statements] == [2 * columns, 2 * columns, columns]
    assert OutboundEmail.objects.filter(pk__in=[m.pk for m in mails]).count() == 5


def test_a_row_pointing_at_an_unsaved_object_is_refused_and_nothing_is_written():
    # given: a role for a user that was never saved (and has no id)
    stranger = User(email="stranger@example.com")
    stranger.pk = None
    held = RoleAssignment(user=make_user(make_tenant()), role=Role.USER_ADMIN)
    # when / then
    with pytest.raises(ValueError, match="unsaved related object"):
        insert([held, RoleAssignment(user=stranger, role=Role.USER_ADMIN)])
    assert not RoleAssignment.objects.filter(role=Role.USER_ADMIN).exists()


def test_a_value_given_as_an_expression_is_written_by_bulk_create():
    # given: a message whose time is the database's
    now = timezone.now()
    written = mail(1)
    written.created = Now()
    # when
    insert([written, mail(2)])
    # then: the expression is the database's value, not the prepared statement's
    stored = OutboundEmail.objects.get(to="someone1@example.com")
    assert stored.created >= now - timedelta(seconds=5)
    assert OutboundEmail.objects.filter(to="someone2@example.com").exists()
