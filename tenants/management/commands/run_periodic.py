"""``manage.py run_periodic``: the periodic work of Celery beat's schedule, in this process.

The embedded default has no broker and no beat, so ``make run`` starts this beside the
web server: relationships expire on time, reminders go out and the outbox is swept, as
in production. Each task of ``CELERY_BEAT_SCHEDULE`` runs here, synchronously, on its
own interval (the first run at start); ``--once`` runs each once and stops. A task that
fails is logged and tried again at its next turn. With a broker and beat running, this
is not needed.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger(__name__)


@dataclass
class Entry:
    name: str
    task: Any
    every: float
    due: float = 0.0


def schedule() -> list[Entry]:
    """The beat schedule's entries, each with its task (every interval in seconds)."""
    entries = []
    for name, spec in settings.CELERY_BEAT_SCHEDULE.items():
        every = spec["schedule"]
        if not isinstance(every, int | float):
            raise CommandError(f"{name}: only intervals in seconds run here, not {every!r}.")
        try:
            task = current_app.tasks[str(spec["task"])]
        except KeyError:
            raise CommandError(f"{name}: no task named {spec['task']}.") from None
        entries.append(Entry(name=name, task=task, every=float(every)))
    return entries


class Command(BaseCommand):
    help = "Run the periodic tasks (expiry, reminders, the mail sweep) in this process."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Run each task once, then stop.")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        current_app.loader.import_default_modules()  # the apps' tasks.py
        entries = schedule()
        if once:
            for entry in entries:
                self.run(entry)
            return
        parent = os.getppid()
        names = ", ".join(f"{e.name} every {e.every:g} s" for e in entries)
        self.stdout.write(f"Periodic work in this process: {names}.")
        while os.getppid() == parent:  # stops with whatever started it (make run)
            now = time.monotonic()
            for entry in entries:
                if entry.due <= now:
                    self.run(entry)
                    entry.due = time.monotonic() + entry.every
            time.sleep(1)

    def run(self, entry: Entry) -> None:
        try:
            result = entry.task.apply(throw=True).get()
        except Exception:
            logger.exception("Periodic task %s failed; it runs again at its next turn", entry.name)
            return
        if result:
            self.stdout.write(f"{entry.name}: {result}")
