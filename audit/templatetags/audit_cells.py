"""The cells of an audit event's table row, written out in Python.

The log and the activity pages show fifty events a page, six cells each; through the
template engine (an include per row, a dozen tags per cell) that was most of a page's
time. This writes the same markup directly, every value escaped by ``format_html``.
"""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from audit.models import AuditEvent

register = template.Library()

DASH = "—"
# The portal speaks English: the month abbreviations of the date filter's "M".
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.simple_tag
def event_cells(e: AuditEvent) -> SafeString:
    """``<td>``s for one event: when, who, action, target, changes, from where."""
    when = timezone.localtime(e.occurred_at)
    request_id = e.request_id
    return format_html(
        '<td class="text-nowrap"><time datetime="{}">{}</time></td>'
        '<td>{}{}</td><td>{}<br><code class="small">{}</code></td><td>{}</td><td>{}</td>'
        '<td class="small">{}{}</td>',
        when.isoformat(),  # the date filter's "c"
        f"{when.day} {MONTHS[when.month - 1]} {when.year}, {when:%H:%M:%S}",  # "j M Y, H:i:s"
        e.actor_display,
        format_html('<br><span class="small text-body-secondary">{}</span>', e.actor_email)
        if e.actor_email and e.actor_name != e.actor_email
        else "",
        e.action_label,
        e.action,
        _target(e),
        _changes(e),
        e.ip_address or DASH,
        format_html(
            '<br><span class="text-body-secondary" title="Request id">{}</span>',
            # truncatechars:14
            request_id if len(request_id) <= 14 else request_id[:13] + "…",
        )
        if request_id
        else "",
    )


def _target(e: AuditEvent) -> SafeString | str:
    if not e.target_repr:
        return DASH
    if not e.target_type:
        return e.target_repr
    return format_html(
        '{}<br><span class="small text-body-secondary">{}</span>', e.target_repr, e.target_type
    )


def _changes(e: AuditEvent) -> SafeString | str:
    rows = e.change_rows
    if not rows:
        return DASH
    return format_html_join(
        "",
        '<div class="small"><span class="fw-semibold">{}</span>: {}{}</div>',
        (
            (
                name,
                format_html("<del>{}</del> → ", old) if old is not None else "",
                DASH if new is None else new,
            )
            for name, old, new in rows
        ),
    )
