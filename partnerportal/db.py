"""PostgreSQL's prepared statements, and where a statement must not be one.

The settings have psycopg bind parameters on the server and prepare a statement once a
connection has run it ``DATABASE_PREPARE_THRESHOLD`` times; from then on PostgreSQL may
keep one generic plan for it, chosen without the values. For some statements the best
plan depends on them: a LIKE pattern ("%ridge%" is rare, "%a%" is everywhere), a range
of dates in the audit log, a page of one tenant's users (ten of them or a hundred
thousand). Their callers run them inside ``planned_each_run()``, which turns psycopg's
preparing off for the while.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections


@contextmanager
def planned_each_run(using: str = "default") -> Iterator[None]:
    """The statements run inside are planned for their values each time, never prepared."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    threshold = getattr(raw, "prepare_threshold", None)
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold
