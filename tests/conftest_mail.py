"""Real mail delivery in tests: an SMTP server on localhost, and a switchable Celery broker.

``smtp_sink`` (a fixture, available to every test) starts an ``aiosmtpd`` server on a
free localhost port and points Django's SMTP backend at it; ``celery_broker(url)``
points the Celery app at a broker with eager execution off, and puts everything back
afterwards.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from kombu import pools


def free_port() -> int:
    """A localhost TCP port nobody listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    """What the SMTP server received; ``reject(n)`` makes the next ``n`` messages fail."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    rejections_left: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._arrived = threading.Condition(self._lock)

    def reject(self, count: int = 1) -> None:
        with self._lock:
            self.rejections_left = count

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self.rejections_left > 0:
                self.rejections_left -= 1
                return "451 4.3.0 Temporary failure, try again later"
            message = message_from_bytes(envelope.content, policy=default_policy)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        """Block until ``count`` messages arrived (or fail after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} messages, received {len(self.messages)}"
                    )
                self._arrived.wait(remaining)
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    """An SMTP server on localhost that Django's mail goes to for the test's duration."""
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    with smtp_server(sink, settings, sink.port):
        yield sink


@contextmanager
def smtp_server(handler: Any, settings: Any, port: int) -> Iterator[None]:
    """An ``aiosmtpd`` server on localhost ``port`` with ``handler``, and Django's SMTP
    backend pointed at it, while the block runs."""
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield
    finally:
        controller.stop()


def _reset_celery_connections(app: Any) -> None:
    """Drop every pooled broker connection, so the next publish uses the current URL.

    kombu keeps its pools in module-wide groups keyed by connection; ``pools.reset``
    closes and forgets them all (closing one pool alone would leave it in the group,
    closed, for the next test with the same URL to trip over).
    """
    with suppress(Exception):  # closing what may already be broken
        pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def celery_broker(url: str, settings: Any | None = None) -> Iterator[Any]:
    """Point the Celery app at ``url`` with eager execution off; restore on exit.

    ``settings`` (pytest-django's fixture) is updated too, so Django's view of the
    configuration matches the app's.
    """
    from partnerportal.celery import app

    saved = {
        "broker_url": app.conf.broker_url,
        "task_always_eager": app.conf.task_always_eager,
    }
    if settings is not None:
        settings.CELERY_BROKER_URL = url
        settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(broker_url=url, task_always_eager=False)
    _reset_celery_connections(app)
    try:
        yield app
    finally:
        _reset_celery_connections(app)
        app.conf.update(saved)
