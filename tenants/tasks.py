"""Tasks of the directory: delivering the outbox."""

import time
from collections.abc import Callable

from celery import shared_task

from . import mail

# A task stops taking new messages after this long, well inside its time limits; what
# is left is due at the next sweep.
SWEEP_BUDGET_SECONDS = 45


@shared_task(acks_late=True, ignore_result=True)
def send_outbound_email(message_id: str) -> str:
    """Send one outbox row (idempotent: a second run finds it sent)."""
    return mail.outbox_deliver(message_id)


@shared_task(acks_late=True, ignore_result=True)
def send_outbound_emails(message_ids: list[str]) -> int:
    """Send outbox rows written together (each idempotent); returns how many were tried."""
    return _deliver_within_budget(lambda: message_ids)


@shared_task(acks_late=True, ignore_result=True)
def outbox_sweep() -> int:
    """Deliver every pending message that is due, batch after batch, until none is left
    or the budget is spent (a backlog after a mail server outage drains in one sweep);
    returns how many were tried."""
    return _deliver_within_budget(mail.outbox_due_ids)


def _deliver_within_budget(batches: Callable[[], list[str]]) -> int:
    """Deliver each id ``batches()`` gives, asking again until it gives none not tried
    yet (a row another worker holds is tried once at most); those left when the budget
    is spent wait for the next sweep."""
    started = time.monotonic()
    seen: set[str] = set()
    while batch := [pk for pk in batches() if pk not in seen]:
        for message_id in batch:
            if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
                return len(seen)
            mail.outbox_deliver(message_id)
            seen.add(message_id)
    return len(seen)
