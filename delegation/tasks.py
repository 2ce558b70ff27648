"""Periodic tasks of delegation: relationships end on time, and their parties are told."""

from celery import shared_task

from . import relationships


@shared_task(acks_late=True, ignore_result=True)  # idempotent: safe to run again
def relationships_expire() -> int:
    """Mark relationships past their end ``expired`` (access already stopped at the end)."""
    return relationships.relationships_expire_due()


@shared_task(acks_late=True, ignore_result=True)  # idempotent: safe to run again
def relationship_reminders() -> int:
    """Queue the 30-, 7- and 1-day reminders that are due; each is written once."""
    return relationships.relationship_reminders_send()
