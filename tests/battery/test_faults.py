"""Faults injected where they hurt most.

- The database connection drops in the middle of an offer acceptance, after the
  relationship row is written: a clean error page that says nothing was changed, and
  nothing half-written. Once with the error raised in place (any database), once with
  the PostgreSQL backend really terminated from outside.
- A real Celery worker is killed (SIGKILL) while the SMTP server holds the message's
  DATA: the mail server forgets the unfinished transaction, the outbox row stays
  pending, and after a restart the outbox sweep (beat's recovery path) sends it exactly
  once; a late redelivery of the original task sends nothing more.

(The broker down during acceptance, and an SMTP server refusing then accepting, are in
``tests/offers/test_celery_delivery.py`` and ``tests/offers/test_outbox.py``.) Each
fault counts once in ``battery.faults``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.db import OperationalError, connection, transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from delegation.models import Relationship
from offers import services as offer_services
from offers.models import Offer, OfferResponse
from tenants.mail import outbox_write
from tenants.models import OutboundEmail, OutboundEmailStatus
from tenants.tasks import outbox_sweep, send_outbound_emails
from tests import services
from tests.battery.forms import row_counts
from tests.conftest_mail import celery_broker, free_port
from tests.factories import sign_in
from tests.offers.helpers import make_offer, make_world

ROOT = Path(__file__).resolve().parents[2]
WORKER = [sys.executable, "-m", "celery", "-A", "partnerportal", "worker", "--without-heartbeat"]


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- the database connection dropped during an acceptance ---------------------------------


def terminate_own_backend() -> None:
    """End this connection's PostgreSQL backend from another connection, as a crash or a
    failover would, and wait until it is gone."""
    pid = connection.connection.info.backend_pid  # type: ignore[union-attr]
    params = connection.get_connection_params()
    other = psycopg.connect(**{**params, "autocommit": True})
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):
                cur.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if cur.fetchone() is None:
                    return
                time.sleep(0.05)
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["raised", "backend terminated"])
def test_the_connection_dropped_mid_acceptance_leaves_a_clean_page_and_nothing_written(
    how, monkeypatch, settings, record_property
):
    if how == "backend terminated" and not _is_postgres():
        pytest.skip("terminating a backend needs PostgreSQL")
    # given: the connection fails once the relationship, the response, the mail and the
    # use count are written, as the audit events are about to be
    settings.DEBUG = False
    world = make_world()
    offer = make_offer(world.partner_admin)
    client = Client(raise_request_exception=False)
    sign_in(client, world.customer_admin)
    original: Callable[..., Any] = offer_services.audit_append
    written: list[bool] = []

    def dropped(events: Any) -> Any:
        written.append(
            Relationship.objects.filter(customer=world.customer).exists()
            and OfferResponse.objects.filter(customer=world.customer).exists()
            and OutboundEmail.objects.exists()
            and Offer.objects.get(pk=offer.pk).uses == 1
        )
        if how == "raised":
            raise OperationalError("server closed the connection unexpectedly")
        terminate_own_backend()
        return original(events)

    monkeypatch.setattr(offer_services, "audit_append", dropped)
    before = row_counts()
    # when
    response = client.post(reverse("offers:accept", args=[offer.token]))
    monkeypatch.setattr(offer_services, "audit_append", original)
    # then: the fault struck mid-write, the page says nothing changed, and nothing did
    assert written == [True], "the fault must strike after the relationship is written"
    assert response.status_code == 500
    body = response.content.decode()
    assert "nothing was changed" in body
    assert "Reference for support" in body
    assert row_counts() == before
    assert not Relationship.objects.filter(customer=world.customer).exists()
    assert Offer.objects.get(pk=offer.pk).uses == 0
    assert not AuditEvent.objects.filter(tenant=world.customer).exists()
    assert not OutboundEmail.objects.exists()
    record_property("battery.faults", 1)
    # and the portal works again at once: the same answer goes through
    sign_in(client, world.customer_admin)
    assert client.post(reverse("offers:accept", args=[offer.token])).status_code == 302
    assert Relationship.objects.filter(customer=world.customer, status="active").count() == 1


# --- the worker killed while sending ---------------------------------------------------------


class HoldingSmtpSink:
    """An SMTP server that holds the first message's DATA until released.

    Only a transaction that ends with the server's reply counts as received: when the
    client goes away first, aiosmtpd cancels the handler and the message is forgotten.
    """

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.holding = threading.Event()  # the first DATA has arrived and is held
        self.release = threading.Event()
        self.forgotten = 0
        self._held_once = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self._held_once:
            self._held_once = True
            self.holding.set()
            try:
                while not self.release.is_set():
                    await asyncio.sleep(0.02)
            except asyncio.CancelledError:
                with self._lock:
                    self.forgotten += 1  # the client went away mid-transaction
                raise
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self._lock:
            return len(self.messages)


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], subprocess.Popen[bytes]]]:
    """Start ``celery worker`` processes (solo pool); any left running are stopped after."""
    started: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker{len(started)}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [*WORKER, "--pool=solo", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to kill it whole
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


def clear_queue(app: Any) -> None:
    """Drop queued and unacknowledged messages of the test's Redis database."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        channel.queue_purge(app.conf.task_default_queue)
        channel.client.delete(channel.unacked_key, channel.unacked_index_key)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_sending_leaves_the_mail_to_be_sent_once_after_restart(
    settings, start_worker, record_property
):
    # given: an SMTP server that holds the first message, and a real worker
    sink = HoldingSmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {
        # The env-driven settings a deployed worker uses: Redis broker, SMTP, PostgreSQL.
        "DJANGO_SETTINGS_MODULE": "partnerportal.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
        "REDIS_URL": services.REDIS_URL,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(controller.port),
        "EMAIL_TIMEOUT": "60",
        "LOG_LEVEL": "INFO",
    }
    try:
        with celery_broker(services.REDIS_URL, settings) as app:
            clear_queue(app)
            first = start_worker(env)
            # when: one message is queued, and the worker dies while the server holds it
            with transaction.atomic():
                (row,) = outbox_write(
                    to=["megan@contoso.example"], subject="Hello", body_text="Once only."
                )
            assert sink.holding.wait(60), "the worker never reached the mail server"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            wait_until(lambda: sink.forgotten == 1, "the server to drop the transaction")
            sink.release.set()
            # then: nothing was delivered and the row still waits, its attempt undone
            row.refresh_from_db()
            assert (row.status, row.attempts, sink.count()) == (OutboundEmailStatus.PENDING, 0, 0)
            wait_until(lambda: row_unlocked(row.pk), "the dead worker's lock to go")
            # when: a worker runs again and beat's sweep comes round
            start_worker(env)
            outbox_sweep.apply_async()
            wait_until(lambda: sink.count() >= 1, "the mail after the restart", timeout=60)
            # and the killed task is delivered late all the same (as Redis would after
            # its visibility timeout)
            send_outbound_emails.apply_async(args=([str(row.pk)],))
            time.sleep(2)
            clear_queue(app)
    finally:
        sink.release.set()
        controller.stop()
    # then: exactly one message, and the row says so
    assert sink.count() == 1
    assert str(sink.messages[0]["To"]) == "megan@contoso.example"
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundEmailStatus.SENT, 1)
    record_property("battery.faults", 1)


def row_unlocked(pk: Any) -> bool:
    with transaction.atomic():
        return OutboundEmail.objects.select_for_update(skip_locked=True).filter(pk=pk).exists()
