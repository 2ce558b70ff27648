"""INSERT statements the ORM writes once a process, for the writes of the hot paths.

``save()`` and ``bulk_create`` build and compile their statement on every call: for the
one to three rows an offer acceptance writes to each table, that cost more Python than
PostgreSQL takes to run the statement (measured with ``bench.profile``). ``insert``
writes rows of one model with the SQL the ORM wrote once for that model, number of rows,
database and conflict handling, the values prepared by each field and laid out by the
ORM's own compiler, a ``VALUES`` row per object on every database. For several rows
Django writes an array per column for PostgreSQL's ``UNNEST`` instead, which spares the
server planning a long statement; here the statements are prepared once per connection
anyway, and psycopg builds arrays in Python where it dumps single values in C: measured
on PostgreSQL with the outbox's rows (inserted and rolled back 400 times), three rows
took 0.36 ms a statement as rows against 0.72 as arrays, twenty 1.8 against 2.8.

What ``bulk_create`` does, and no more: no ``save()``, no signals, no validation. A
primary key the model sets in Python (a UUID) is written as is; an automatic one is read
back. Where the database cannot insert several rows in one statement and return their
ids, or a value is an expression (or a column has a database default), whose SQL is
not the stand-ins', ``bulk_create`` itself writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache, partial
from itertools import chain
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import AutoField, Field, Model
from django.db.models.constants import OnConflict
from django.db.models.fields import NOT_PROVIDED
from django.db.models.sql import InsertQuery
from django.db.models.sql.compiler import SQLInsertCompiler

M = TypeVar("M", bound=Model)

# The most parameters one statement may carry: PostgreSQL's protocol counts them in 16 bits.
MAX_PARAMS = 65535


def insert(objs: Sequence[M], *, using: str | None = None, ignore_conflicts: bool = False) -> None:
    """Insert ``objs`` (instances of one model) in one statement (or, past the number of
    parameters the database takes in one, a statement for each batch that fits).

    With ``ignore_conflicts`` a row that would break a unique constraint is left out (as
    ``bulk_create(ignore_conflicts=True)``); the caller learns nothing of which.
    """
    if not objs:
        return
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise TypeError("insert() writes instances of one model at a time.")
    using = using or router.db_for_write(model, instance=objs[0])
    connection = connections[using]
    returning = _returns_pk(model)
    fields = _fields(model)
    if (
        not connection.features.has_bulk_insert
        or (
            returning
            and (ignore_conflicts or not connection.features.can_return_rows_from_bulk_insert)
        )
        or _has_db_default(model)
    ):
        model._base_manager.using(using).bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return
    for obj in objs:  # as bulk_create: no unsaved related object, foreign keys set
        obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
    # As many rows a statement as the database takes parameters for.
    batch = min(
        max(1, connection.ops.bulk_batch_size(list(fields), objs)),
        max(1, MAX_PARAMS // len(fields)),
    )
    compiler = _rows_compiler(InsertQuery(model).get_compiler(connection=connection))
    for start in range(0, len(objs), batch):
        rows = objs[start : start + batch]
        values = [
            [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
            for obj in rows
        ]
        if any(hasattr(value, "as_sql") for row in values for value in row):
            # An expression for a value (a database default, Now()) changes the SQL.
            model._base_manager.using(using).bulk_create(rows, ignore_conflicts=ignore_conflicts)
            continue
        _, param_rows = compiler.assemble_as_sql(fields, values)
        params = list(chain.from_iterable(param_rows))
        with connection.cursor() as cursor:
            cursor.execute(_sql(model, using, len(rows), ignore_conflicts), params)
            ids = cursor.fetchall() if returning else None
        for n, obj in enumerate(rows):
            if ids is not None:
                obj.pk = ids[n][0]
            obj._state.adding = False
            obj._state.db = using


def _rows_compiler(compiler: Any) -> Any:
    """``compiler``, laying out a ``VALUES`` row per object whatever the database (the
    base compiler's way, which PostgreSQL's replaces with ``UNNEST`` arrays)."""
    compiler.assemble_as_sql = partial(SQLInsertCompiler.assemble_as_sql, compiler)
    return compiler


def _returns_pk(model: type[Model]) -> bool:
    """Whether the database makes the primary key (which is then read back)."""
    return isinstance(model._meta.pk, AutoField)


@cache
def _fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    """The columns written: every concrete one, but an automatic primary key."""
    pk = model._meta.pk
    return tuple(f for f in model._meta.concrete_fields if not (f is pk and _returns_pk(model)))


@cache
def _has_db_default(model: type[Model]) -> bool:
    """Whether a column written has a database default, which the SQL names for a value
    left unset (the stand-ins leave every one unset)."""
    return any(field.db_default is not NOT_PROVIDED for field in _fields(model))


@lru_cache(maxsize=64)
def _sql(model: type[Model], using: str, rows: int, ignore_conflicts: bool) -> str:
    """The ORM's INSERT of ``rows`` instances of ``model`` (returning their automatic
    primary keys), built with stand-in instances whose values it throws away."""
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE if ignore_conflicts else None)
    query.insert_values(list(_fields(model)), [model()] * rows)
    compiler = _rows_compiler(query.get_compiler(using=using))
    if _returns_pk(model):
        compiler.returning_fields = [model._meta.pk]
    ((sql, _),) = compiler.as_sql()
    if compiler.returning_params:  # pragma: no cover - none on PostgreSQL or SQLite
        raise ValueError("The insert returns its ids with parameters of its own.")
    return str(sql)
