"""``manage.py seed_demo``: the demo organisations and accounts; idempotent."""

from datetime import date
from typing import Any

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from delegation.demo import seed_teams
from offers.demo import seed_offers
from tenants.models import Domain, RoleAssignment, Subscription, Tenant, TenantKind, User
from tenants.roles import Role

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 - demo data, written in the README
# The TOTP secret of every demo partner account (demo only; written in the README).
DEMO_TOTP_SECRET = "53S6WDNFWULDT4OL3W3FFIJUNJG4254T"  # noqa: S105 - demo only, in the README  # nosec B105

# Contoso's ordinary users, paired by position: no one shares a name with a named demo
# person (Fabrikam's staff or a customer's admin), so an audit line names one person.
FIRST_NAMES = [
    "Allan", "Bianca", "Christie", "Debra", "Diego", "Emily", "Enrico", "Grady", "Henrietta",
    "Irvin", "Isaiah", "Johanna", "Joni", "Lidia", "Lynne", "Miriam", "Pradeep", "Raul",
    "Sanjay", "Serena", "Zrinka", "Cameron", "Delia", "Elvin", "Gerhart",
]  # fmt: skip
LAST_NAMES = [
    "Deyoung", "Pham", "Cline", "Berg", "Siciliani", "Braun", "Gallo", "Archie", "Cartwright",
    "Sims", "Hahn", "Lauer", "Sherman", "Holloway", "Riddell", "Ward", "Gupta", "Rodriguez",
    "Jain", "Davis", "Kim", "White", "Dunn", "Moore", "Moyer",
]  # fmt: skip

TENANT_FIELDS = (
    "kind",
    "name",
    "contact_name",
    "contact_email",
    "contact_phone",
    "address",
    "country",
)
TENANTS: list[dict[str, Any]] = [
    {
        "kind": TenantKind.PARTNER,
        "name": "Fabrikam Partners",
        "domain": "fabrikam.example",
        "contact_name": "Alex Wilber",
        "contact_email": "partners@fabrikam.example",
        "contact_phone": "+1 425 555 0100",
        "address": "1 Microsoft Way\nRedmond, WA 98052",
        "country": "US",
        "users": [
            ("alex@fabrikam.example", "Alex", "Wilber", [Role.GLOBAL_ADMIN]),
            ("adele@fabrikam.example", "Adele", "Vance", []),
            ("lee@fabrikam.example", "Lee", "Gu", []),
            ("nina@fabrikam.example", "Nina", "Lindqvist", []),
            ("omar@fabrikam.example", "Omar", "Haddad", []),
        ],
        "subscriptions": [],
    },
    {
        "kind": TenantKind.CUSTOMER,
        "name": "Contoso",
        "domain": "contoso.example",
        "contact_name": "Megan Bowen",
        "contact_email": "it@contoso.example",
        "contact_phone": "+1 206 555 0110",
        "address": "500 Pine Street\nSeattle, WA 98101",
        "country": "US",
        "users": [
            ("megan@contoso.example", "Megan", "Bowen", [Role.GLOBAL_ADMIN]),
            ("patti@contoso.example", "Patti", "Fernandez", [Role.PASSWORD_ADMIN]),
        ]
        + [
            (
                f"{FIRST_NAMES[i].lower()}.{LAST_NAMES[i].lower()}@contoso.example",
                FIRST_NAMES[i],
                LAST_NAMES[i],
                [],
            )
            for i in range(25)
        ],
        "subscriptions": [
            ("Business Premium", 50, date(2027, 6, 30)),
            ("Exchange Online (Plan 1)", 10, date(2027, 3, 31)),
        ],
    },
    {
        "kind": TenantKind.CUSTOMER,
        "name": "Northwind Traders",
        "domain": "northwind.example",
        "contact_name": "Nestor Wilke",
        "contact_email": "admin@northwind.example",
        "contact_phone": "+44 20 7946 0018",
        "address": "12 Harbour Road\nLondon E14 5AB",
        "country": "GB",
        "users": [("nestor@northwind.example", "Nestor", "Wilke", [Role.GLOBAL_ADMIN])],
        "subscriptions": [
            ("Business Standard", 25, date(2027, 1, 31)),
            ("Defender for Business", 25, date(2027, 1, 31)),
        ],
    },
    {
        "kind": TenantKind.CUSTOMER,
        "name": "Tailspin Toys",
        "domain": "tailspin.example",
        "contact_name": "Tina Howe",
        "contact_email": "office@tailspin.example",
        "contact_phone": "+49 30 555 0199",
        "address": "Spielzeugstraße 4\n10115 Berlin",
        "country": "DE",
        "users": [("tina@tailspin.example", "Tina", "Howe", [Role.GLOBAL_ADMIN])],
        "subscriptions": [
            ("Business Basic", 15, date(2027, 9, 30)),
            ("Teams Essentials", 15, date(2027, 9, 30)),
        ],
    },
]


def seed_tenant(spec: dict[str, Any], password_hash: str) -> tuple[Tenant, int]:
    """Create what is missing of one demo tenant; returns it and how many rows were added."""
    added = 0
    domain = (
        Domain.objects.filter(name=spec["domain"], verified=True).select_related("tenant").first()
    )
    if domain is None:
        tenant = Tenant.objects.create(**{field: spec[field] for field in TENANT_FIELDS})
        Domain.objects.create(tenant=tenant, name=spec["domain"], verified=True, is_default=True)
        added += 2
    else:
        tenant = domain.tenant
    for plan, seats, renewal in spec["subscriptions"]:
        _, created = Subscription.objects.get_or_create(
            tenant=tenant, plan=plan, defaults={"seats": seats, "renewal_date": renewal}
        )
        added += created
    for email, first, last, roles in spec["users"]:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(tenant=tenant, email=email, first_name=first, last_name=last)
            user.password = password_hash
            user.save()
            added += 1
        for role in roles:
            _, created = RoleAssignment.objects.get_or_create(user=user, role=role)
            added += created
        _, created = EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        added += created
    return tenant, added


def seed_partner_mfa(tenants: dict[str, Tenant]) -> int:
    """Enrol every demo partner account not yet enrolled in TOTP with ``DEMO_TOTP_SECRET``,
    so the demo shows required MFA from the first sign-in; returns rows added."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    added = 0
    for tenant in tenants.values():
        if not tenant.is_partner:
            continue
        for user in tenant.users.all():
            _, created = Authenticator.objects.get_or_create(
                user=user,
                type=Authenticator.Type.TOTP,
                defaults={"data": {"secret": get_adapter().encrypt(DEMO_TOTP_SECRET)}},
            )
            added += created
    return added


class Command(BaseCommand):
    help = "Create the demo partner, customers and accounts (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth.hashers import make_password

        # One hash for every demo account: hashing is deliberately slow.
        password_hash = make_password(DEMO_PASSWORD)
        total = 0
        with transaction.atomic():
            tenants = {}
            for spec in TENANTS:
                tenant, added = seed_tenant(spec, password_hash)
                tenants[spec["domain"]] = tenant
                total += added
            total += seed_offers(tenants)
            total += seed_teams(tenants)
            total += seed_partner_mfa(tenants)
        if total:
            self.stdout.write(self.style.SUCCESS(f"Demo data ready ({total} rows added)."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
