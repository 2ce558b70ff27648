"""Tasks of the directory: delivering the outbox."""

import time

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
    return _deliver_within_budget(message_ids)


@shared_task(acks_late=True, ignore_result=True)
def outbox_sweep() -> int:
    """Deliver every pending message that is due; returns how many were tried."""
    return _deliver_within_budget(mail.outbox_due_ids())


def _deliver_within_budget(message_ids: list[str]) -> int:
    """Deliver ``message_ids`` in turn; those left when the budget is spent wait for the
    next sweep."""
    started = time.monotonic()
    tried = 0
    for message_id in message_ids:
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break
        mail.outbox_deliver(message_id)
        tried += 1
    return tried
