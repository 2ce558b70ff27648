"""Re-encrypt every MFA secret with the newest key of MFA_ENCRYPTION_KEY."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Re-encrypt the TOTP secrets and recovery-code seeds with the first key of "
        "MFA_ENCRYPTION_KEY (after putting a new key first); the old keys may then go."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        from allauth.mfa.models import Authenticator

        from tenants.mfa_secrets import SECRET_FIELDS, data_encrypted

        count = 0
        with transaction.atomic():
            rows = Authenticator.objects.select_for_update().filter(type__in=list(SECRET_FIELDS))
            for row in rows:
                row.data = data_encrypted(row.type, row.data, rotate_keys=True)
                row.save(update_fields=["data"])
                count += 1
        self.stdout.write(f"Re-encrypted the secrets of {count} authenticators.")
