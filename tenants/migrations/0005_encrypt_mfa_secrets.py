"""Encrypt the MFA secrets stored in clear before ``tenants.adapters.MFAAdapter``.

Idempotent: a value already encrypted (``fernet:``) is left as it is. Going back leaves
the rows encrypted; the adapter of this release reads both.
"""

from django.db import migrations


def encrypt_secrets(apps, schema_editor):  # type: ignore[no-untyped-def]
    from tenants.mfa_secrets import SECRET_FIELDS, data_encrypted

    authenticator = apps.get_model("mfa", "Authenticator")
    rows = authenticator.objects.using(schema_editor.connection.alias).filter(
        type__in=list(SECRET_FIELDS)
    )
    for row in rows.iterator():
        data = data_encrypted(row.type, row.data)
        if data != row.data:
            row.data = data
            row.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0004_tenant_name_trigram"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, migrations.RunPython.noop)]
