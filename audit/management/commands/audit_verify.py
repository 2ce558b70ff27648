"""``manage.py audit_verify [--tenant ID ...]``: walk the audit chains, report broken links."""

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verify import CHUNK_SIZE, verify_chains
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Verify every tenant's audit hash chain (or only those named); report each chain's "
        "first broken link and exit non-zero if any is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tenant",
            action="append",
            dest="tenants",
            metavar="TENANT_ID",
            help="Verify only this tenant's chain (its id); may be given more than once.",
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        tenant_ids = None
        if options["tenants"]:
            try:
                tenant_ids = [uuid.UUID(value) for value in options["tenants"]]
            except ValueError as exc:
                raise CommandError(f"Not a tenant id: {exc}") from exc
        chains = broken = events = empty = 0
        for report in verify_chains(tenant_ids, chunk_size=options["chunk_size"]):
            chains += 1
            events += report.events
            if report.intact:
                # Most tenants never write an event: their chains are listed from -v 2.
                empty += not report.events
                if options["verbosity"] >= (1 if report.events else 2):
                    self.stdout.write(
                        f"intact  {self.label(report.tenant_id)}: {report.events} events"
                    )
                continue
            broken += 1
            self.stdout.write(
                self.style.ERROR(
                    f"BROKEN  {self.label(report.tenant_id)} at seq {report.broken_seq}: "
                    f"{report.reason} ({report.detail})"
                )
            )
        if broken:
            raise CommandError(
                f"{broken} of {chains} audit chains broken ({events} events checked).",
                returncode=2,
            )
        of_them = f", {empty} of them empty" if empty else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"All {chains} audit chains intact ({events} events checked{of_them})."
            )
        )

    @staticmethod
    def label(tenant_id: uuid.UUID) -> str:
        name = (
            Tenant.objects.filter(pk=tenant_id).values_list("name", flat=True).first()
            or "(tenant no longer exists)"
        )
        return f"{name} ({tenant_id})"
