"""Handing committed outbox rows to the broker from a thread of the process's own.

Every commit that writes mail queues its delivery. Publishing a task message costs a
request more than rendering its mail (Celery builds the message and kombu a client, then
one round trip to Redis), and under load a web process commits several acceptances a
tenth of a second: a ``BatchingPublisher`` takes the ids of each commit at once, and its
thread publishes what the commits of the last ``linger`` seconds gave, up to ``batch``
ids to a message. The request does not wait for the broker, and a busy process sends a
message for several commits instead of one each.

Nothing is lost that was committed: the rows are in the database, and whatever a process
had not yet published when it died is delivered by the periodic sweep. On a normal exit
the process publishes what is left (``atexit``).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class BatchingPublisher:
    """Calls ``publish(ids)`` from a daemon thread, with the ids ``submit`` was given
    over ``linger`` seconds (fewer when ``batch`` of them came sooner)."""

    def __init__(self, publish: Callable[[list[str]], None], *, linger: float, batch: int) -> None:
        self._publish = publish
        self.linger = linger
        self._batch = batch
        self._cond = threading.Condition()
        self._pending: list[str] = []
        self._busy = False  # the thread holds ids it has not published yet
        self._urgent = False  # flush(): publish without lingering
        self._thread: threading.Thread | None = None
        self._pid = 0
        atexit.register(self.flush)

    def submit(self, ids: list[str]) -> None:
        """Queue ``ids`` for publishing; returns at once."""
        if not ids:
            return
        with self._cond:
            self._ensure_thread()
            self._pending.extend(ids)
            self._cond.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Publish what is queued now, and wait (up to ``timeout`` seconds) until it has
        been; True when nothing is left."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._thread is None or self._pid != os.getpid():
                return not self._pending
            self._urgent = True
            self._cond.notify_all()
            try:
                while self._pending or self._busy:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._cond.wait(remaining)
                return True
            finally:
                self._urgent = False

    def _ensure_thread(self) -> None:
        # A forked process (a web server's worker) has none of its parent's threads, and
        # must not publish what its parent had queued.
        if self._thread is not None and self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._pending = []
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
        self._thread.start()

    def _take(self) -> list[str]:
        """The next batch: waits for a first id, then up to ``linger`` for more."""
        with self._cond:
            while not self._pending:
                self._cond.wait()
            deadline = time.monotonic() + self.linger
            while len(self._pending) < self._batch and not self._urgent:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            ids, self._pending = self._pending[: self._batch], self._pending[self._batch :]
            self._busy = True
            return ids

    def _run(self) -> None:
        while True:
            ids = self._take()
            try:
                self._publish(ids)
            except Exception:  # the sweep delivers them; the thread must live on
                logger.exception("Could not queue the delivery of %d outbox messages", len(ids))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
