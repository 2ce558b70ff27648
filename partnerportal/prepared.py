"""Queries of a fixed shape whose SQL the ORM writes once, then runs with new values.

Building and compiling a queryset costs a request 0.3 to 0.7 ms of Python for each of the
statements that every request of a page runs the same way (measured with
``bench.profile``): more than PostgreSQL takes to run them. A ``Prepared`` query is built
by the ORM, as any other, from a function of named values; the first run on a database
connection has it build and compile the query twice with stand-in values, checks that
only the stand-ins' parameters differ (so the SQL does not depend on the values) and
keeps the SQL; every run binds its values in their place, runs the SQL and turns the rows
into what the queryset would have given (model instances with their ``select_related``
objects and annotations, or the rows of ``values_list``), through the ORM's own
converters. Values go to the database as parameters, never into the SQL.

Only for the hot paths, and only for values that reach the query unchanged
(``field=value``, ``field__gt=value``) or in a LIKE pattern (``icontains``,
``startswith``): a query whose SQL or other parameters change with its values (``__in``
a list, a slice of a value) is refused when first run. What the two stand-ins cannot show
(a filter added only for some values) the build must not do. An integer no column can
hold, which the ORM answers by leaving its comparison out, is run through the ORM.

The SQL is kept per database alias and shared by the threads of a process; each run
uses its own thread's connection.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from django.db import connections
from django.db.models import Field, Model, QuerySet
from django.db.models.query import (  # type: ignore[attr-defined]
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.utils import create_namedtuple_class
from django.db.transaction import TransactionManagementError


@dataclass(frozen=True)
class _Template:
    sql: str
    params: tuple[Any, ...]
    # Each value's positions among the parameters, with the pattern it takes there.
    slots: dict[str, tuple[tuple[int, str], ...]]
    compiler: Any
    kind: str  # see _kind
    names: tuple[str, ...]  # the columns of a "named" row
    for_update: bool


class Prepared:
    """``build(**values)`` (a queryset of fixed shape), prepared once per database.

    ``fields`` names, for each value, the field of ``model`` it is compared with (or is
    that field, of any model): how a value becomes a parameter, and what stand-ins to
    build with. A value given as None is absent: ``build`` gets None and leaves out what
    it would filter by (as a form's optional filters do); each set of values present has
    SQL of its own.
    """

    def __init__(
        self,
        model: type[Model],
        build: Callable[..., QuerySet[Any]],
        **fields: str | Field[Any, Any],
    ):
        self._model = model
        self._build = build
        self._names = fields
        self._templates: dict[tuple[str, frozenset[str]], _Template] = {}
        self._lock = threading.Lock()

    @cached_property
    def _fields(self) -> dict[str, Field[Any, Any]]:
        fields = {}
        for value, name in self._names.items():
            field = self._model._meta.get_field(name) if isinstance(name, str) else name
            if not isinstance(field, Field) or not field.concrete:
                raise ValueError(f"{self._model.__name__}.{name} is not a column.")
            fields[value] = field
        return fields

    def all(self, using: str = "default", /, **values: Any) -> list[Any]:
        """What ``list(build(**values))`` gives, in one statement built once."""
        if values.keys() != self._names.keys():
            raise TypeError(f"Expected the values {sorted(self._names)}, got {sorted(values)}.")
        connection = connections[using]
        if not self._in_range(values, connection):
            # The ORM leaves out a comparison that no value of the column can fail or
            # pass: the SQL is not the prepared one.
            return list(self._build(**values).using(using))
        present = frozenset(name for name, value in values.items() if value is not None)
        template = self._template(using, present)
        if template.for_update and connection.get_autocommit():  # as the ORM, on any database
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(template.params)
        for name, positions in template.slots.items():
            for position, pattern in positions:
                params[position] = _bound(self._fields[name], values[name], connection, pattern)
        with connection.cursor() as cursor:
            cursor.execute(template.sql, params)
            rows = cursor.fetchall()
        # The compiler's columns and converters, with this thread's connection.
        compiler = copy.copy(template.compiler)
        compiler.connection = connection
        results = compiler.results_iter([rows])
        if template.kind == "flat":
            return [row[0] for row in results]
        if template.kind == "tuples":
            return [tuple(row) for row in results]
        if template.kind == "named":
            named = create_namedtuple_class(*template.names)
            return [tuple.__new__(named, row) for row in results]
        return _instances(compiler, results, using)

    def first(self, using: str = "default", /, **values: Any) -> Any:
        """The first of ``all`` (build the query with its order and ``[:1]``), or None."""
        found = self.all(using, **values)
        return found[0] if found else None

    def _in_range(self, values: dict[str, Any], connection: Any) -> bool:
        """Whether every integer value is an integer the database's column can hold."""
        for name, value in values.items():
            field = self._fields[name]
            kind = getattr(field, "target_field", field).get_internal_type()
            if value is None or kind not in INTEGERS:
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                return False
            low, high = connection.ops.integer_field_ranges.get(kind, (None, None))
            if (low is not None and value < low) or (high is not None and value > high):
                return False
        return True

    def _template(self, using: str, present: frozenset[str]) -> _Template:
        key = (using, present)
        template = self._templates.get(key)
        if template is None:
            with self._lock:
                template = self._templates.get(key) or self._prepare(using, present)
                self._templates[key] = template
        return template

    def _prepare(self, using: str, present: frozenset[str]) -> _Template:
        connection = connections[using]
        fields = {name: field for name, field in self._fields.items() if name in present}
        absent = dict.fromkeys(self._fields.keys() - present)
        first = {**absent, **{name: _stand_in(field) for name, field in fields.items()}}
        second = {**absent, **{name: _stand_in(field) for name, field in fields.items()}}
        compiled = []
        for values in (first, second):
            queryset = self._build(**values)
            compiler = queryset.query.get_compiler(using=using)
            # A FOR UPDATE query compiles only inside a transaction, as it runs.
            sql, params = compiler.as_sql()
            compiled.append((queryset, compiler, sql, tuple(params)))
        (queryset, compiler, sql, params), (_, _, sql_again, params_again) = compiled
        if sql != sql_again or len(params) != len(params_again):
            raise ValueError("The query's SQL depends on its values: it cannot be prepared.")
        slots: dict[str, tuple[tuple[int, str], ...]] = {}
        for name, field in fields.items():
            slots[name] = tuple(
                (i, pattern)
                for i, (a, b) in enumerate(zip(params, params_again, strict=True))
                for pattern in PATTERNS
                if a == _bound(field, first[name], connection, pattern)
                and b == _bound(field, second[name], connection, pattern)
            )
            if not slots[name]:
                raise ValueError(f"The value {name!r} does not reach the query as a parameter.")
        bound = {i for positions in slots.values() for i, _ in positions}
        if any(
            a != b
            for i, (a, b) in enumerate(zip(params, params_again, strict=True))
            if i not in bound
        ):
            raise ValueError("The query's parameters depend on its values beyond the slots.")
        return _Template(
            sql=sql,
            params=params,
            slots=slots,
            compiler=compiler,
            kind=_kind(queryset, compiler),
            names=tuple(queryset._fields or ()),  # type: ignore[attr-defined]
            for_update=queryset.query.select_for_update,
        )


def _kind(queryset: QuerySet[Any], compiler: Any) -> str:
    """What a run gives: "models", "tuples" (``values_list``), "named" (``named=True``)
    or "flat" (``flat=True``).

    ``values_list`` rows are the compiled columns as they come: where it names
    annotations too, only when those columns are its names in its order (as Django 5.2
    selects them), never extra columns."""
    query, iterable = queryset.query, queryset._iterable_class
    if getattr(queryset, "_prefetch_related_lookups", ()):
        raise ValueError("A prepared query runs no prefetch: prefetch what it gives.")
    if iterable is ModelIterable:
        return "models"
    plain = not query.annotation_select and not query.extra_select
    columns = [alias for _, _, alias in compiler.select]
    as_named = not query.extra_select and columns == list(getattr(queryset, "_fields", None) or ())
    if iterable is ValuesListIterable and (plain or as_named):
        return "tuples"
    if iterable is NamedValuesListIterable and as_named:
        return "named"
    if iterable is FlatValuesListIterable and plain:
        return "flat"
    raise ValueError("A prepared query gives model instances or values_list rows of fields.")


# How a value stands in a parameter: as itself, or in the pattern of a LIKE lookup
# (``contains``, ``startswith``, ``endswith``, and their case-blind forms), escaped.
PATTERNS = {"exact": "", "contains": "%{}%", "startswith": "{}%", "endswith": "%{}"}


def _bound(field: Field[Any, Any], value: Any, connection: Any, pattern: str) -> Any:
    prepared = field.get_db_prep_value(value, connection, prepared=False)
    if pattern == "exact":
        return prepared
    return PATTERNS[pattern].format(connection.ops.prep_for_like_query(prepared))


INTEGERS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
}
TEXTS = {"CharField", "EmailField", "SlugField", "TextField"}


def _stand_in(field: Field[Any, Any]) -> Any:
    """A value of ``field``'s kind that no other stand-in equals (the two builds differ
    only where the values go)."""
    target = getattr(field, "target_field", field)
    kind = target.get_internal_type()
    salt = uuid.uuid4()
    if kind == "UUIDField":
        return salt
    if kind == "DateTimeField":
        return datetime(2001, 1, 1, tzinfo=UTC) + timedelta(microseconds=salt.int % 10**12)
    if kind in INTEGERS:
        return 1_000_000 + salt.int % 10**9
    if kind in TEXTS:
        return f"stand-in-{salt.hex}"
    raise ValueError(f"No stand-in for a {kind}.")


def _instances(compiler: Any, rows: Any, using: str) -> list[Any]:
    """Model instances from converted rows, as the ORM's ``ModelIterable`` makes them."""
    select, klass_info = compiler.select, compiler.klass_info
    annotation_col_map = compiler.annotation_col_map
    model_cls = klass_info["model"]
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    populators = get_related_populators(klass_info, select, using)
    found = []
    for row in rows:
        obj = model_cls.from_db(using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        if annotation_col_map:
            for name, position in annotation_col_map.items():
                setattr(obj, name, row[position])
        found.append(obj)
    return found
