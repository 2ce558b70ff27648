"""Every tenant gets its chain head at creation (``audit.signals``); this gives one to
each tenant created before, so writers always find a head to lock."""

from django.db import migrations

GENESIS_HASH = "0" * 64

FORWARD = f"""
INSERT INTO audit_auditchainhead (tenant_id, seq, hash)
SELECT t.id, 0, '{GENESIS_HASH}' FROM tenants_tenant t
WHERE NOT EXISTS (SELECT 1 FROM audit_auditchainhead h WHERE h.tenant_id = t.id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_append_only_trigger"),
        ("tenants", "0004_tenant_name_trigram"),
    ]

    # Backwards: the heads stay (they may no longer be deleted, and hold nothing).
    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
