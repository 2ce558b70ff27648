"""PostgreSQL's prepared statements: planned once where a plan holds for every value.

Parsing and planning a statement cost PostgreSQL more than running it for most of what
a page asks (a user by id, an offer by its link, a page of audit events below a cursor:
0.2 to 0.4 ms of planning against 0.05 to 0.3 ms of execution, measured on the 1x
benchmark data). The settings have psycopg bind parameters on the server and prepare a
statement once a connection has run it ``DATABASE_PREPARE_THRESHOLD`` times; from then
on PostgreSQL may keep one generic plan for it.

A generic plan is chosen without the values, and for some statements the best plan
depends on them. A LIKE pattern is the clear case: "%ridge%" is rare, "%a%" is
everywhere, and under a generic plan the lookup by part of a name walked the name index
for 27 ms, where planned for its pattern the page's three statements take 1.8 ms. So
statements with a LIKE (or ILIKE) are never
prepared (every connection gets ``plan_patterns_each_run`` as an execute wrapper), and a
caller whose values decide the plan in another way runs its statements inside
``planned_each_run()``: a range of dates in the audit log, a page of one tenant's users
(ten of them or a hundred thousand: a generic plan sorted all 10,000 of the benchmark's
big customer at its smallest size for each first page).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

PATTERN = "LIKE "  # LIKE and ILIKE: Django writes identifiers quoted, keywords in capitals


@contextmanager
def _unprepared(connection: BaseDatabaseWrapper) -> Iterator[None]:
    raw = connection.connection
    threshold = getattr(raw, "prepare_threshold", None)
    if threshold is None:  # not psycopg 3, or preparing is off
        yield
        return
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


@contextmanager
def planned_each_run(using: str = "default") -> Iterator[None]:
    """The statements run inside are planned for their values each time, never prepared."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with _unprepared(connection):
        yield


def plan_patterns_each_run(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """An execute wrapper: a statement with a LIKE is planned for its pattern each time."""
    if PATTERN not in sql:
        return execute(sql, params, many, context)
    with _unprepared(context["connection"]):
        return execute(sql, params, many, context)


def install_wrapper(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: put ``plan_patterns_each_run`` first among a
    PostgreSQL connection's execute wrappers (once: the list outlives a reconnection).
    First, not last: ``connection.execute_wrapper()`` pops the last on leaving, and a
    connection may open inside one. Then read its times with psycopg's own loader."""
    if connection.vendor != "postgresql":
        return
    if plan_patterns_each_run not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, plan_patterns_each_run)
    load_times_natively(connection)


@cache
def _utc_time_loader() -> type:
    """A loader of a timestamptz sent as text that hands it to psycopg's own (its C one,
    where built in, which cannot be subclassed), marked as giving times in UTC, which
    Django's connection checks for."""
    from psycopg import abc, adapters
    from psycopg.adapt import Loader
    from psycopg.postgres import types
    from psycopg.pq import Format

    found = adapters.get_loader(types["timestamptz"].oid, Format.TEXT)
    if found is None:  # pragma: no cover - psycopg always has one
        raise RuntimeError("psycopg has no loader of timestamptz.")
    native: type[abc.Loader] = found

    class UtcTimestamptzLoader(Loader):
        timezone = datetime.UTC

        def __init__(self, oid: int, context: Any = None):
            super().__init__(oid, context)
            # Called for every value: psycopg's bound method itself, not a call through.
            self.load = native(oid, context).load  # type: ignore[method-assign]

        def load(self, data: Any) -> datetime.datetime:  # replaced in __init__
            raise NotImplementedError

    return UtcTimestamptzLoader


def load_times_natively(connection: BaseDatabaseWrapper) -> None:
    """Where the session's time zone is UTC, as Django sets it, read a timestamptz with
    psycopg's own loader, which gives the same aware time in UTC. Django's is psycopg's
    loader written in Python, with the time zone replaced after: the verification of
    100,000 events of an audit chain took 5.4 s with it, 4.5 s without, and a page of
    the lookup by name reads 64 times.

    Not for a connection whose times Django reads in another zone (``TIME_ZONE`` in its
    ``DATABASES`` entry, or ``USE_TZ`` off): Django's own loader stays."""
    raw = connection.connection
    adapters = getattr(raw, "adapters", None)  # psycopg 3 only
    if (
        adapters is None
        or getattr(connection, "timezone", None) is not datetime.UTC
        or raw.info.parameter_status("TimeZone") != "UTC"
    ):
        return
    from psycopg.postgres import types

    adapters.register_loader(types["timestamptz"].oid, _utc_time_loader())
