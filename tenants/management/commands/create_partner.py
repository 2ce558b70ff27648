"""``manage.py create_partner NAME DOMAIN ADMIN_EMAIL``: a partner tenant and its first admin."""

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

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("The partner needs a name.")
        try:
            domain = normalize_domain(options["domain"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if domain_is_taken(domain):
            raise CommandError(f"The domain {domain} already belongs to a tenant.")
        email = options["admin_email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A user with the email {email} already exists.")
        try:
            admin = partner_create(name=name, domain=domain, admin_email=email)
        except (ValidationError, IntegrityError) as exc:
            raise CommandError(f"Could not create the partner: {exc}") from exc
        EmailAddress.objects.create(user=admin, email=email, verified=True, primary=True)
        # A one-time link where the admin, welcomed by its organisation's name, chooses
        # its password; then it signs in, enrols MFA and lands on the partner overview.
        link = password_set_url(admin, next_url=reverse("delegation:partner-overview"))
        self.stdout.write(self.style.SUCCESS(f"Created partner {name} ({domain})."))
        self.stdout.write(f"Its admin {email} sets a password here (link valid for a few days):")
        self.stdout.write(link)
