"""Helpers for the audit tests: changing rows behind the application's (and trigger's) back."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection


def raw_tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run ``sql`` as someone with direct database access would: on PostgreSQL with the
    append-only trigger disabled for the statement (inside the test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete"
            )
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete"
            )


@pytest.fixture
def tamper() -> Callable[..., None]:
    return raw_tamper
