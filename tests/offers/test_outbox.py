"""The confirmation mail of an acceptance goes through the outbox: once, and again if it failed."""

import itertools
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from offers.services import offer_accept
from tenants import mail as outbox
from tenants.models import OutboundEmail
from tenants.tasks import outbox_sweep, send_outbound_email
from tests.offers.helpers import make_offer, make_world

pytestmark = pytest.mark.django_db


def accept(world):
    offer = make_offer(world.partner_admin)
    return offer_accept(offer=offer, acting_user=world.customer_admin)


def test_an_acceptance_writes_one_row_per_recipient_and_sends_nothing_before_commit(
    django_capture_on_commit_callbacks,
):
    # given
    world = make_world()
    world.partner.contact_email = world.partner_admin.email.upper()  # the same person
    world.partner.save()
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        accept(world)
    # then: written, not sent, delivery queued for after commit
    rows = OutboundEmail.objects.order_by("to")
    assert sorted(r.to for r in rows) == sorted(
        [world.partner_admin.email, world.customer_admin.email]
    )
    assert {r.status for r in rows} == {"pending"}
    assert mail.outbox == []
    assert len(callbacks) == 1  # the partner confirmation and the receipt, queued together
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 2
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_rows_written_together_go_to_the_broker_in_batches(
    django_capture_on_commit_callbacks, monkeypatch
):
    # given: the mail of one act to 45 addresses
    from tenants import tasks

    sent: list[list[str]] = []
    monkeypatch.setattr(
        tasks.send_outbound_emails, "apply_async", lambda args, **kw: sent.append(args[0])
    )
    with django_capture_on_commit_callbacks(execute=True):
        rows = outbox.outbox_write(
            to=[f"user{i}@contoso.example" for i in range(45)], subject="Hi", body_text="."
        )
    # then: three task messages, every row in exactly one, in the order written
    assert [len(batch) for batch in sent] == [20, 20, 5]
    assert [i for batch in sent for i in batch] == [str(r.pk) for r in rows]


def test_the_batch_task_sends_each_row_once_even_when_run_twice(smtp_sink):
    # given: the three rows of an acceptance, the server refusing the first try
    from tenants.tasks import send_outbound_emails

    world = make_world()
    accept(world)
    ids = [str(pk) for pk in OutboundEmail.objects.order_by("to").values_list("pk", flat=True)]
    smtp_sink.reject(1)
    # when
    assert send_outbound_emails(ids) == 3
    # then: one failure kept for a retry, the others sent
    first = sorted(OutboundEmail.objects.values_list("status", "attempts"))
    assert first == [("pending", 1), ("sent", 1), ("sent", 1)]
    # when: the task runs again (redelivered by the broker)
    assert send_outbound_emails(ids) == 3
    # then: only the one not sent goes; each address has exactly one message
    received = smtp_sink.wait_for(3)
    assert sorted(str(m["To"]) for m in received) == sorted(
        OutboundEmail.objects.values_list("to", flat=True)
    )
    again = sorted(OutboundEmail.objects.values_list("status", "attempts"))
    assert again == [("sent", 1), ("sent", 1), ("sent", 2)]


def test_a_message_has_a_text_and_an_html_part(smtp_sink):
    world = make_world()
    accept(world)
    for row in OutboundEmail.objects.all():
        send_outbound_email(str(row.pk))
    received = smtp_sink.wait_for(2)
    for message in received:
        assert message.get_content_type() == "multipart/alternative"
        types = [part.get_content_type() for part in message.iter_parts()]
        assert types == ["text/plain", "text/html"]


def test_the_task_run_twice_sends_one_email():
    world = make_world()
    accept(world)
    row = OutboundEmail.objects.filter(to=world.customer_admin.email).get()
    # when
    first = send_outbound_email(str(row.pk))
    second = send_outbound_email(str(row.pk))
    # then
    assert (first, second) == ("sent", "skipped")
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.sent_at is not None


def test_every_attempt_at_a_row_carries_the_rows_message_id(settings):
    world = make_world()
    accept(world)
    row = OutboundEmail.objects.filter(to=world.customer_admin.email).get()
    settings.EMAIL_BACKEND = "tests.offers.test_outbox.RefusingBackend"
    send_outbound_email(str(row.pk))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    # when
    send_outbound_email(str(row.pk))
    # then
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ")
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [f"<outbox-{row.pk}@{domain}>"]
    assert RefusingBackend.seen == [f"<outbox-{row.pk}@{domain}>"]


class RefusingBackend(LocmemBackend):
    seen: list[str] = []

    def send_messages(self, messages):
        RefusingBackend.seen.extend(m.extra_headers["Message-ID"] for m in messages)
        raise ConnectionRefusedError("mail server down")


class WatchingBackend(SmtpBackend):
    """Notes the row's status as the connection to the server closes (its QUIT)."""

    status_at_close: list[str] = []
    watched = ""

    def close(self):
        status = OutboundEmail.objects.filter(pk=WatchingBackend.watched).values_list(
            "status", flat=True
        )
        WatchingBackend.status_at_close.extend(status)
        super().close()


def test_a_row_is_marked_sent_before_the_connection_closes(settings, smtp_sink):
    # given
    world = make_world()
    accept(world)
    row = OutboundEmail.objects.filter(to=world.customer_admin.email).get()
    OutboundEmail.objects.filter(pk=row.pk).update(status="pending")
    WatchingBackend.watched, WatchingBackend.status_at_close = str(row.pk), []
    settings.EMAIL_BACKEND = "tests.offers.test_outbox.WatchingBackend"
    # when
    assert send_outbound_email(str(row.pk)) == "sent"
    # then: marked (and committed) right after the server's acceptance, closed after
    assert WatchingBackend.status_at_close == ["sent"]
    assert len(smtp_sink.wait_for(1)) == 1


def test_an_smtp_failure_is_kept_and_retried_by_the_sweep_after_its_backoff(
    smtp_sink, record_property
):
    # given: the server refuses the first try
    world = make_world()
    accept(world)
    row = OutboundEmail.objects.filter(to=world.customer_admin.email).get()
    OutboundEmail.objects.exclude(pk=row.pk).update(status="sent")
    smtp_sink.reject(1)
    # when
    assert send_outbound_email(str(row.pk)) == "pending"
    # then
    row.refresh_from_db()
    assert row.attempts == 1
    assert "451" in row.last_error
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert outbox_sweep() == 0  # not due yet
    # when the backoff has passed
    OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox_sweep() == 1
    # then
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    [message] = smtp_sink.wait_for(1)
    assert world.customer_admin.email in str(message["To"])
    record_property("battery.faults", 1)


class AlwaysFailingBackend(LocmemBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def test_one_sweep_drains_a_backlog_larger_than_a_batch():
    # given: more due messages than one batch takes, as after a mail server outage
    outbox.outbox_write(
        to=[f"user{n}@example.com" for n in range(450)], subject="Hello", body_text="Hi"
    )
    # when
    tried = outbox_sweep()
    # then
    assert tried == 450
    assert len(mail.outbox) == 450
    assert not OutboundEmail.objects.filter(status="pending").exists()


def test_a_sweep_stops_when_what_is_due_fails_again():
    # given: due messages the mail server refuses (each backs off, so is not due again)
    outbox.outbox_write(to=["a@example.com", "b@example.com"], subject="Hello", body_text="Hi")
    with override_settings(EMAIL_BACKEND="tests.offers.test_outbox.RefusingBackend"):
        # when
        tried = outbox_sweep()
    # then
    assert tried == 2
    assert OutboundEmail.objects.filter(status="pending", attempts=1).count() == 2


def test_delivery_backs_off_and_gives_up_visibly_after_max_attempts(settings):
    settings.EMAIL_BACKEND = f"{__name__}.AlwaysFailingBackend"
    world = make_world()
    accept(world)
    row = OutboundEmail.objects.filter(to=world.customer_admin.email).get()
    waits = []
    for _ in range(outbox.MAX_ATTEMPTS):
        before = timezone.now()
        outbox.outbox_deliver(str(row.pk))
        row.refresh_from_db()
        waits.append(row.next_attempt_at - before)
    assert row.status == "failed"
    assert row.attempts == outbox.MAX_ATTEMPTS
    assert "SMTP server unreachable" in row.last_error
    # each wait longer than the one before, until the last try
    assert all(a < b for a, b in itertools.pairwise(waits[:-1]))
    assert outbox.outbox_deliver(str(row.pk)) == "skipped"  # failed stays failed
    assert str(row.pk) not in outbox.outbox_due_ids()


class SlowBackend(LocmemBackend):
    """Counts sends, and takes a while, so two deliveries overlap."""

    sent = 0
    lock = threading.Lock()

    def send_messages(self, email_messages):
        time.sleep(0.5)
        with SlowBackend.lock:
            SlowBackend.sent += len(email_messages)
        return len(email_messages)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_for_one_row_send_one_email(settings):
    # given
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    SlowBackend.sent = 0
    world = make_world()
    accept(world)
    row = OutboundEmail.objects.filter(to=world.customer_admin.email).get()
    OutboundEmail.objects.filter(pk=row.pk).update(status="pending", attempts=0)
    SlowBackend.sent = 0
    results: list[str] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            results.append(outbox.outbox_deliver(str(row.pk)))
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # then
    assert sorted(results) == ["sent", "skipped"]
    assert SlowBackend.sent == 1
    assert connection.vendor == "postgresql"


def test_the_partners_confirmation_goes_to_its_enabled_global_admins_and_names_both_domains(
    django_capture_on_commit_callbacks,
):
    # given: besides the partner's global admin, one more, a disabled one and a user
    # admin; a customer global admin (never a recipient of the partner's mail); more
    # domains on both sides than the mail names
    from offers.selectors import partner_verified_domain
    from tenants.models import Domain
    from tenants.roles import Role
    from tests.factories import make_partner_user, make_user

    world = make_world()
    second = make_partner_user(world.partner, roles=[Role.GLOBAL_ADMIN])
    disabled = make_partner_user(world.partner, roles=[Role.GLOBAL_ADMIN])
    disabled.is_active = False
    disabled.save()
    make_partner_user(world.partner, roles=[Role.USER_ADMIN])
    make_user(world.customer, roles=[Role.GLOBAL_ADMIN])
    world.partner.contact_email = "Partners@Fabrikam.example"
    world.partner.save()
    Domain.objects.create(tenant=world.partner, name="unverified.fabrikam.example")
    Domain.objects.create(tenant=world.partner, name="verified.fabrikam.example", verified=True)
    Domain.objects.create(tenant=world.customer, name="other.contoso.example", verified=True)
    # when
    with django_capture_on_commit_callbacks(execute=False):
        accept(world)
    # then
    partner_rows = OutboundEmail.objects.filter(kind="accepted_partner")
    assert sorted(r.to for r in partner_rows) == sorted(
        [world.partner_admin.email, second.email, "partners@fabrikam.example"]
    )
    customer_domain = world.customer.default_domain
    assert customer_domain is not None
    assert all(f"Contoso ({customer_domain.name})" in r.body_text for r in partner_rows)
    assert "other.contoso.example" not in partner_rows[0].body_text
    receipt = OutboundEmail.objects.get(kind="accepted_receipt")
    assert receipt.to == world.customer_admin.email
    partner_domain = partner_verified_domain(world.partner)
    assert partner_domain
    assert f"Fabrikam Partners ({partner_domain})" in receipt.body_text


def test_the_mails_of_an_acceptance_name_no_domain_that_is_only_claimed(
    django_capture_on_commit_callbacks,
):
    # given: neither side has proved a domain; each has only claimed one
    from tenants.models import Domain

    world = make_world()
    Domain.objects.filter(tenant__in=[world.partner, world.customer]).update(verified=False)
    partner_claim = world.partner.default_domain
    customer_claim = world.customer.default_domain
    assert partner_claim is not None
    assert customer_claim is not None
    # when
    with django_capture_on_commit_callbacks(execute=False):
        accept(world)
    # then
    confirmation = OutboundEmail.objects.filter(kind="accepted_partner").first()
    receipt = OutboundEmail.objects.get(kind="accepted_receipt")
    assert confirmation is not None
    assert f"({customer_claim.name})" not in confirmation.subject + confirmation.body_text
    assert confirmation.body_text.startswith("Contoso accepted")
    assert f"({partner_claim.name})" not in receipt.subject + receipt.body_text
    assert "offer of Fabrikam Partners for Contoso" in receipt.body_text


def test_a_thousand_refused_messages_go_out_in_one_sweep_once_the_server_is_back(
    smtp_sink, record_property
):
    # given: 1,000 messages written while the mail server refuses everything
    outbox.outbox_write(
        to=[f"user{n}@example.com" for n in range(1000)], subject="Hello", body_text="Hi"
    )
    smtp_sink.reject(1000)
    assert outbox_sweep() == 1000
    assert OutboundEmail.objects.filter(status="pending", attempts=1).count() == 1000
    # when: the server is back, and the sweep comes round once their backoff has passed
    # (the first backoff is one minute: within two minutes of the server's return)
    assert not OutboundEmail.objects.filter(
        next_attempt_at__gt=timezone.now() + timedelta(minutes=2)
    ).exists()
    OutboundEmail.objects.update(next_attempt_at=timezone.now())
    started = time.monotonic()
    delivered = outbox_sweep()
    elapsed = time.monotonic() - started
    # then: one sweep delivers them all, each once
    assert delivered == 1000
    assert len(smtp_sink.wait_for(1000)) == 1000
    assert len({str(m["To"]) for m in smtp_sink.messages}) == 1000
    assert not OutboundEmail.objects.exclude(status="sent").exists()
    record_property("battery.faults", 1)
    record_property("sweep.seconds_for_1000", round(elapsed, 2))
    print(f"\none sweep delivered 1,000 messages over SMTP in {elapsed:.1f} s")
