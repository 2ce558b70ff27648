"""Tasks of the directory: delivering the outbox."""

from celery import shared_task

from . import mail


@shared_task(acks_late=True, ignore_result=True)
def send_outbound_email(message_id: str) -> str:
    """Send one outbox row (idempotent: a second run finds it sent)."""
    return mail.outbox_deliver(message_id)


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    """Deliver every pending message that is due; returns how many were tried."""
    ids = mail.outbox_due_ids()
    for message_id in ids:
        mail.outbox_deliver(message_id)
    return len(ids)
