"""Domains are proven by a TXT record: each gets its own token, and a name is unique only
among verified domains (and once per tenant). Existing rows keep their verified flag."""

import secrets

from django.db import migrations, models

import tenants.models


def give_each_domain_a_token(apps, schema_editor):  # type: ignore[no-untyped-def]
    Domain = apps.get_model("tenants", "Domain")
    batch = []
    for domain in Domain.objects.filter(verification_token="").only("pk").iterator():
        domain.verification_token = secrets.token_hex(16)
        batch.append(domain)
        if len(batch) >= 1000:
            Domain.objects.bulk_update(batch, ["verification_token"])
            batch = []
    Domain.objects.bulk_update(batch, ["verification_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0005_encrypt_mfa_secrets"),
    ]

    operations = [
        migrations.AddField(
            model_name="domain",
            name="verification_token",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(give_each_domain_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="domain",
            name="verification_token",
            field=models.CharField(
                default=tenants.models.new_verification_token,
                editable=False,
                help_text="Proves the domain when published in its TXT record.",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="domain",
            name="name",
            field=models.CharField(max_length=253),
        ),
        migrations.AddConstraint(
            model_name="domain",
            constraint=models.UniqueConstraint(
                fields=("tenant", "name"), name="domain_once_per_tenant"
            ),
        ),
        migrations.AddConstraint(
            model_name="domain",
            constraint=models.UniqueConstraint(
                condition=models.Q(("verified", True)),
                fields=("name",),
                name="domain_verified_once",
                violation_error_message="This domain is already verified by another organisation.",
            ),
        ),
    ]
