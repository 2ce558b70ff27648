"""``manage.py create_partner NAME DOMAIN ADMIN_EMAIL [--verified]``: a partner tenant and
its first admin. The domain stays unverified (it names the partner nowhere) until its TXT
record is found, unless the operator vouches for it with ``--verified``."""

from typing import Any

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.urls import reverse

from tenants.models import User
from tenants.services import (
    domain_is_taken,
    normalize_domain,
    partner_create,
    password_set_url,
)


class Command(BaseCommand):
    help = "Create a partner tenant with its first admin and print a set-password link."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="Display name, e.g. 'Fabrikam Partners'.")
        parser.add_argument("domain", help="The partner's domain, e.g. fabrikam.example.")
        parser.add_argument("admin_email", help="Email of the partner's first admin.")
        parser.add_argument(
            "--verified",
            action="store_true",
            help="The operator has checked that the partner controls the domain: verify it now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("The partner needs a name.")
        try:
            domain = normalize_domain(options["domain"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if domain_is_taken(domain):
            raise CommandError(f"The domain {domain} is already verified by another tenant.")
        email = options["admin_email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A user with the email {email} already exists.")
        try:
            admin = partner_create(
                name=name, domain=domain, admin_email=email, domain_verified=options["verified"]
            )
        except (ValidationError, IntegrityError) as exc:
            raise CommandError(f"Could not create the partner: {exc}") from exc
        EmailAddress.objects.create(user=admin, email=email, verified=True, primary=True)
        # A one-time link where the admin, welcomed by its organisation's name, chooses
        # its password; then it signs in, enrols MFA and lands on the partner overview.
        link = password_set_url(admin, next_url=reverse("delegation:partner-overview"))
        self.stdout.write(self.style.SUCCESS(f"Created partner {name} ({domain})."))
        if not options["verified"]:
            self.stdout.write(
                f"{domain} is not verified: its admin verifies it under Domains by a TXT record."
            )
        self.stdout.write(f"Its admin {email} sets a password here (link valid for a few days):")
        self.stdout.write(link)
