"""An event's changes as people read them: field names in words, role names, dates in the
portal's format, Yes and No. The stored values (and the CSV export) stay as recorded."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from tenants.roles import ROLE_CODES, Role

FIELD_LABELS = {
    "is_active": "Enabled",
    "must_change_at_next_sign_in": "Must change password at next sign-in",
    "require_admin_mfa": "Administrators must use two-factor authentication",
    "level": "Delegated access",
    "default_domain": "Default domain",
    "starts": "Starts",
    "expires": "Ends",
    "expires_at": "Link expires",
    "duration_days": "Duration (days)",
    "max_uses": "Uses allowed",
    "job_title": "Job title",
    "first_name": "First name",
    "last_name": "Last name",
}
# A list longer than this shows its first items and how many more there are: a bulk act
# over thousands of customers reads in a line, and the CSV export keeps every one.
LIST_SHOWN = 20
# A value stored as text that is a moment: "2027-12-06 04:50:27.310101+00:00" or ISO 8601.
MOMENT = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$")


@functools.cache
def _choice_labels() -> dict[str, dict[str, str]]:
    """Labels of the coded values of the fields that hold one, by field name."""
    from delegation.models import AccessLevel, RelationshipStatus
    from offers.models import OfferStatus
    from tenants.models import ServiceRequestSeverity, ServiceRequestStatus

    statuses: dict[str, str] = {}
    for choices in (RelationshipStatus, OfferStatus, ServiceRequestStatus):
        statuses.update({code: str(label) for code, label in choices.choices})
    return {
        "level": {code: str(label) for code, label in AccessLevel.choices},
        "status": statuses,
        "severity": {code: str(label) for code, label in ServiceRequestSeverity.choices},
    }


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def value_text(name: str, value: Any) -> str | None:
    """``value`` of the field ``name`` in words; None stays None (nothing before)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        words = [v for v in (value_text(name, item) for item in value[:LIST_SHOWN]) if v]
        text = ", ".join(words) or "none"
        if len(value) > LIST_SHOWN:
            text += f" and {len(value) - LIST_SHOWN:,} more (all of them in the CSV export)"
        return text
    if not isinstance(value, str):
        return str(value)
    if name in ("role", "roles") and value in ROLE_CODES:
        return str(Role(value).label)
    labels = _choice_labels().get(name)
    if labels and value in labels:
        return labels[value]
    if MOMENT.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    return value


def change_rows(changes: dict[str, Any] | None) -> list[tuple[str, str | None, str | None]]:
    """``changes`` as (field, old, new) rows in words; a value that is not a pair is new."""
    rows = []
    for name, value in (changes or {}).items():
        old, new = value if isinstance(value, list) and len(value) == 2 else (None, value)
        rows.append((field_label(name), value_text(name, old), value_text(name, new)))
    return rows
