"""The outbox: mail is written in the caller's transaction and sent after commit.

No request ever talks to a mail server synchronously: ``outbox_enqueue`` writes rows,
and queues their delivery on commit; if the broker is unreachable (it is asked once,
with a short timeout) the rows simply wait for the periodic sweep.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboundEmail, OutboundEmailStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Rows handed to one delivery task: the mail of one act (an acceptance writes three) goes
# in one message to the broker, a long list (an offer sent to many) in a few.
DELIVERY_BATCH = 20


def render_email(template_prefix: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render ``<prefix>_subject.txt`` and ``<prefix>.txt`` as text (no HTML escaping; the
    subject on one line), and ``<prefix>.html`` as HTML."""
    ctx = {"portal_base_url": settings.PORTAL_BASE_URL, **context}
    subject = " ".join(
        render_to_string(f"{template_prefix}_subject.txt", ctx, using="text").split()
    )
    text = render_to_string(f"{template_prefix}.txt", ctx, using="text")
    html: str
    try:
        html = render_to_string(f"{template_prefix}.html", ctx)
    except TemplateDoesNotExist:
        html = ""
    return subject, text, html


@dataclass(frozen=True)
class Mail:
    """One message to write: a template set, its context and its recipients."""

    to: Iterable[str]
    template_prefix: str
    context: dict[str, Any]
    dedupe_key: str | None = None


def outbox_enqueue(
    *,
    to: Iterable[str],
    template_prefix: str,
    context: dict[str, Any],
    dedupe_key: str | None = None,
) -> list[OutboundEmail]:
    """Render a template set and write one outbox row per distinct recipient.

    With ``dedupe_key`` a message already written under the same key (plus recipient)
    is not written again, so periodic jobs can run any number of times.
    """
    return outbox_enqueue_many([Mail(to, template_prefix, context, dedupe_key)])


def outbox_enqueue_many(mails: Sequence[Mail]) -> list[OutboundEmail]:
    """``outbox_enqueue`` for several messages, written together."""
    rows: list[OutboundEmail] = []
    for mail in mails:
        subject, text, html = render_email(mail.template_prefix, mail.context)
        kind = mail.template_prefix.rsplit("/", 1)[-1]
        rows += _rows(mail.to, subject, text, html, kind, mail.dedupe_key)
    return _store(rows)


def outbox_write(
    *,
    to: Iterable[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    kind: str = "",
    dedupe_key: str | None = None,
) -> list[OutboundEmail]:
    """Write already rendered mail to the outbox and queue its delivery after commit."""
    return _store(_rows(to, subject, body_text, body_html, kind, dedupe_key))


def _rows(
    to: Iterable[str], subject: str, text: str, html: str, kind: str, dedupe_key: str | None
) -> list[OutboundEmail]:
    """One row per distinct recipient."""
    addresses = dict.fromkeys(a for a in ((a or "").strip().lower() for a in to) if a)
    return [
        OutboundEmail(
            to=address,
            subject=" ".join(subject.split())[:255],
            body_text=text,
            body_html=html,
            kind=kind[:64],
            dedupe_key=f"{dedupe_key}:{address}"[:255] if dedupe_key else None,
        )
        for address in addresses
    ]


def _store(rows: list[OutboundEmail]) -> list[OutboundEmail]:
    """Insert ``rows`` in one statement, less those whose deduplication key is taken;
    their delivery is queued for after the commit."""
    keys = [row.dedupe_key for row in rows if row.dedupe_key]
    if keys:
        taken = set(
            OutboundEmail.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
        )
        rows = [row for row in rows if row.dedupe_key not in taken]
    if not rows:
        return []
    # A writer that stores the same deduplicated message between the check and the
    # insert wins: this row is dropped, and the id queued for it finds nothing to send.
    OutboundEmail.objects.bulk_create(rows, ignore_conflicts=bool(keys))
    ids = [str(row.id) for row in rows]
    transaction.on_commit(lambda: queue_delivery(ids))
    return rows


def queue_delivery(ids: list[str]) -> None:
    """Hand rows to the task queue, ``DELIVERY_BATCH`` to a task message; a broker that
    is down only delays them."""
    from .tasks import send_outbound_emails

    for start in range(0, len(ids), DELIVERY_BATCH):
        try:
            send_outbound_emails.apply_async(
                args=(ids[start : start + DELIVERY_BATCH],), retry=False
            )
        except Exception:
            logger.warning(
                "Broker unreachable; %d outbox messages (from %s) wait for the sweep",
                len(ids) - start,
                ids[start],
            )
            return


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def message_id_header(message: OutboundEmail) -> str:
    """The same Message-ID on every attempt at a row, so a rare duplicate is recognisable."""
    domain = str(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2].strip("> ") or "localhost"
    return f"<outbox-{message.pk}@{domain}>"


def outbox_deliver(message_id: str) -> str:
    """Send one pending message at most once; returns its resulting status.

    The row is locked for the whole attempt, so two runs of the task for the same row
    send one email: the second finds it locked (and skips it) or no longer pending. The
    row is marked sent and committed as soon as the server has accepted the message, and
    only then is the connection closed: a worker killed in between sends it again (with
    the same Message-ID), which is why delivery is at least once.
    """
    connection = get_connection(fail_silently=False)
    try:
        return _deliver_on(connection, message_id)
    finally:
        try:
            connection.close()
        except Exception:  # the message is accepted, or failed and is retried
            logger.warning("Closing the mail connection failed", exc_info=True)


def _deliver_on(connection: Any, message_id: str) -> str:
    with transaction.atomic():
        message = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboundEmailStatus.PENDING)
            .first()
        )
        if message is None:
            return "skipped"
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id_header(message)},
            connection=connection,
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        message.attempts += 1
        try:
            connection.open()  # opened here, the send leaves it open for after the commit
            email.send(fail_silently=False)
        except Exception as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboundEmailStatus.FAILED
                logger.error("Giving up on outbox message %s: %s", message.pk, exc)
            else:
                message.next_attempt_at = timezone.now() + _backoff(message.attempts)
            message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return str(message.status)
        message.status = OutboundEmailStatus.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "last_error", "status", "sent_at"])
        return str(message.status)


def outbox_due_ids(limit: int = 200) -> list[str]:
    """Pending messages whose next attempt is due, oldest first."""
    return [
        str(pk)
        for pk in OutboundEmail.objects.filter(
            status=OutboundEmailStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    ]
