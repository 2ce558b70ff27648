"""The teams through which an agent in Teams mode acted.

Existing events get an empty list, which the hash does not cover
(``audit.services.canonical_content``), so every chain verifies as before. Adding a
column changes no row: PostgreSQL's append-only trigger is not fired.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_a_head_for_every_tenant"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="actor_teams",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="In Teams mode, the names of the teams through which the agent acted.",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor_partner_level",
            field=models.CharField(
                blank=True,
                help_text="Full, limited or teams, when acting on a customer's behalf.",
                max_length=16,
            ),
        ),
    ]
