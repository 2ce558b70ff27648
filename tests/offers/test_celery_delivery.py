"""The confirmation mail through Celery: a real worker on Redis, and a broker that is down."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from delegation.models import Relationship
from tenants import mail as outbox
from tenants.models import OutboundEmail
from tenants.tasks import outbox_sweep, send_outbound_email
from tests import services
from tests.conftest_mail import celery_broker, free_port
from tests.factories import sign_in
from tests.offers.helpers import make_offer, make_world


def purge(app) -> None:
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)


def prepared_world():
    world = make_world()
    world.partner.contact_email = "partners@fabrikam.example"
    world.partner.save()
    return world, make_offer(world.partner_admin, duration_days=365)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_delivers_the_confirmation_and_receipt_over_smtp(
    client, settings, smtp_sink
):
    # given
    world, offer = prepared_world()
    sign_in(client, world.customer_admin)
    with celery_broker(services.REDIS_URL, settings) as app:
        purge(app)
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            # when
            response = client.post(reverse("offers:accept", args=[offer.token]))
            # then
            assert response.status_code == 302
            received = smtp_sink.wait_for(3, timeout=30)
    assert sorted(str(m["To"]) for m in received) == sorted(
        [world.partner_admin.email, "partners@fabrikam.example", world.customer_admin.email]
    )
    confirmation = smtp_sink.to("partners@fabrikam.example")[0]
    assert str(confirmation["Subject"]) == "Contoso accepted your delegated administration offer"
    body = confirmation.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Accepted by: Megan Bowen" in text
    assert "Global administrator" in text
    receipt = smtp_sink.to(world.customer_admin.email)[0]
    assert "You granted Fabrikam Partners" in str(receipt["Subject"])
    rows = OutboundEmail.objects.all()
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_acceptance_is_prompt_and_the_sweep_delivers_later(
    client, settings, smtp_sink, record_property
):
    # given: nothing listens where the broker should be
    world, offer = prepared_world()
    sign_in(client, world.customer_admin)
    with celery_broker(f"redis://127.0.0.1:{free_port()}/1", settings):
        # when
        started = time.monotonic()
        response = client.post(reverse("offers:accept", args=[offer.token]))
        elapsed = time.monotonic() - started
    # then: accepted at once, mail waiting in the outbox
    assert response.status_code == 302
    assert elapsed < 2.0, f"acceptance took {elapsed:.2f}s with the broker down"
    assert Relationship.objects.filter(customer=world.customer, status="active").count() == 1
    rows = OutboundEmail.objects.all()
    assert len(rows) == 3
    assert {(r.status, r.attempts) for r in rows} == {("pending", 0)}
    assert smtp_sink.messages == []
    # when the broker is back, beat's sweep runs
    outbox_sweep.apply_async()
    # then
    assert len(smtp_sink.wait_for(3)) == 3
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
    record_property("battery.faults", 1)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers: a broker that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


@pytest.mark.parametrize("broker", ["refused", "silent"])
def test_queueing_delivery_fails_fast_when_the_broker_is_unreachable(
    broker, settings, silent_server, caplog
):
    # given
    port = free_port() if broker == "refused" else silent_server
    ids = [f"00000000-0000-0000-0000-{i:012}" for i in range(45)]
    with celery_broker(f"redis://127.0.0.1:{port}/1", settings):
        # when
        started = time.monotonic()
        outbox.queue_delivery(ids)
        elapsed = time.monotonic() - started
    # then: one attempt (the first of three task messages), bounded by the timeouts
    limit = 0.5 if broker == "refused" else 3.0
    assert elapsed < limit, f"{broker}: {elapsed:.2f}s"
    first = ids[0]
    assert f"45 outbox messages (from {first}) wait for the sweep" in caplog.text


def test_the_celery_configuration_is_safe_for_production():
    from partnerportal.celery import app

    conf = app.conf
    assert (conf.task_serializer, conf.result_serializer) == ("json", "json")
    assert list(conf.accept_content) == ["json"]
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.broker_connection_timeout <= 2
    assert conf.broker_transport_options["max_retries"] == 0
    assert conf.task_publish_retry is False
    # late acks exactly where a second run does no harm
    assert conf.task_acks_late is False
    assert send_outbound_email.acks_late is True
    assert outbox_sweep.acks_late is True
    assert "outbox-sweep" in conf.beat_schedule
