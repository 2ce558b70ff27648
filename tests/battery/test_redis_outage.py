"""Redis away (stopped, or frozen with SIGSTOP): sign-in, the consent page and an offer
acceptance are served, and the mail of the acceptance arrives once Redis is back.

The test starts a redis-server of its own on a free port and points the cache (counts of
rate limits included) and the broker at it. The time of each request is printed and
recorded (``outage.<mode>.<request>``).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from django.core import mail
from django.test import Client
from django.urls import reverse

from delegation.models import Relationship
from partnerportal.cache import FailOpenRedisCache
from tenants.models import OutboundEmail
from tenants.tasks import outbox_sweep
from tests.conftest_mail import celery_broker, free_port
from tests.factories import PASSWORD, sign_in
from tests.offers.helpers import make_offer, make_world

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def start_redis(port: int) -> subprocess.Popen[bytes]:
    command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603 - a fixed command line
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            client.ping()
            return server
        except redis.RedisError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def portal_redis(settings) -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    port = free_port()
    servers = [start_redis(port)]
    url = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "partnerportal.cache.FailOpenRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    FailOpenRedisCache.down_until = 0.0
    try:
        with celery_broker(url, settings):
            yield port, servers
    finally:
        FailOpenRedisCache.down_until = 0.0
        for server in servers:
            server.send_signal(signal.SIGCONT)
            server.kill()
            server.wait()


def timed(call, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


@pytest.mark.parametrize("mode", ["stopped", "frozen"])
def test_with_redis_away_pages_are_served_and_mail_arrives_once_it_is_back(
    mode, portal_redis, record_property
):
    # given: an offer, a customer admin, and Redis running
    port, servers = portal_redis
    world = make_world()
    offer = make_offer(world.partner_admin, duration_days=365)
    answering = Client()
    sign_in(answering, world.customer_admin)
    # when: Redis goes away
    if mode == "stopped":
        servers[0].terminate()
        servers[0].wait()
    else:
        servers[0].send_signal(signal.SIGSTOP)
    login, login_s = timed(
        Client().post,
        reverse("account_login"),
        {"login": world.customer_admin.email, "password": PASSWORD},
    )
    consent, consent_s = timed(answering.get, reverse("offers:public", args=[offer.token]))
    accepted, accept_s = timed(answering.post, reverse("offers:accept", args=[offer.token]))
    # then: every request served, promptly
    assert (login.status_code, consent.status_code, accepted.status_code) == (302, 200, 302)
    figures = {"sign-in": login_s, "consent page": consent_s, "acceptance": accept_s}
    print(f"\nRedis {mode}: " + ", ".join(f"{k} {v:.3f} s" for k, v in figures.items()))
    for name, seconds in figures.items():
        record_property(f"outage.{mode}.{name}", round(seconds, 3))
        assert seconds < 2.0, f"{name} took {seconds:.2f}s with Redis {mode}"
    assert Relationship.objects.filter(customer=world.customer, status="active").count() == 1
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"pending"}
    assert mail.outbox == []
    # when: Redis is back and beat's sweep runs (twice: a sweep may well run again)
    if mode == "stopped":
        servers.append(start_redis(port))
    else:
        servers[0].send_signal(signal.SIGCONT)
    outbox_sweep.apply()
    outbox_sweep.apply()
    # then: each message once
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        OutboundEmail.objects.values_list("to", flat=True)
    )
    assert len(mail.outbox) == OutboundEmail.objects.count() >= 2
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
    record_property("battery.faults", 1)
