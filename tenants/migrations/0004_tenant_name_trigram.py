"""A trigram index for finding tenants by any part of their name (PostgreSQL only).

The lookup's ``name__icontains`` compiles to ``UPPER(name) LIKE UPPER('%...%')`` on
PostgreSQL; a GIN index of ``pg_trgm`` trigrams over that same expression serves it
instead of a scan of every tenant. SQLite has no such index and scans, which is fine
at its sizes, so the migration does nothing there.
"""

from django.db import migrations

INDEX = "tenant_name_upper_trgm_idx"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON tenants_tenant "
        "USING gin ((UPPER(name::text)) gin_trgm_ops)"
    )
    # The planner's statistics of an expression index come from ANALYZE only.
    schema_editor.execute("ANALYZE tenants_tenant")


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_operator_kind")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
