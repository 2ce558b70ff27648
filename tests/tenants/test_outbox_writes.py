"""Writing to the outbox: one insert for any number of messages, each key written once."""

import pytest

from tenants.mail import Mail, outbox_enqueue, outbox_enqueue_many, outbox_write
from tenants.models import OutboundEmail

pytestmark = pytest.mark.django_db

RECEIPT = "emails/offers/accepted_receipt"


def test_several_messages_to_several_people_are_one_insert(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    # when
    with (
        django_assert_num_queries(1),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        rows = outbox_enqueue_many(
            [
                Mail(
                    to=["a@x.example", "B@x.example ", "a@x.example"],
                    template_prefix=RECEIPT,
                    context={},
                ),
                Mail(to=["c@y.example", ""], template_prefix=RECEIPT, context={}),
            ]
        )
    # then: one row per distinct recipient, their delivery queued once, after commit
    assert sorted(r.to for r in rows) == ["a@x.example", "b@x.example", "c@y.example"]
    assert OutboundEmail.objects.count() == 3
    assert len(callbacks) == 1


def test_a_deduplicated_message_is_written_once_per_recipient(django_assert_num_queries):
    # given
    outbox_write(to=["a@x.example"], subject="Reminder", body_text="…", dedupe_key="r:1")
    # when: the same key again, now with one more recipient
    with django_assert_num_queries(2):  # the keys taken, then the insert
        rows = outbox_write(
            to=["a@x.example", "b@x.example"], subject="Reminder", body_text="…", dedupe_key="r:1"
        )
    # then
    assert [r.to for r in rows] == ["b@x.example"]
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [
        "a@x.example",
        "b@x.example",
    ]


def test_nothing_new_to_write_writes_nothing(django_capture_on_commit_callbacks):
    outbox_enqueue(to=["a@x.example"], template_prefix=RECEIPT, context={}, dedupe_key="k")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert (
            outbox_enqueue(to=["a@x.example"], template_prefix=RECEIPT, context={}, dedupe_key="k")
            == []
        )
    assert callbacks == []
    assert OutboundEmail.objects.count() == 1
