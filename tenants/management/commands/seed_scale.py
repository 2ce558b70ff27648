"""``manage.py seed_scale``: a platform-sized data set for PostgreSQL, loaded with COPY.

Defaults: 100,000 tenants, 1,000,000 users, one partner with 10,000 active
relationships, one customer with 100,000 users, 1,000,000 audit events in that
customer's chain, 1,000 offers. ``--scale 0.1`` takes a tenth of every size. The
partner also has 20 teams that share its active relationships between them, and a
staff member in Teams mode in all of them.

Rows go straight into the tables with ``COPY`` (no model ``save()``, no signals) and
every account shares one precomputed password hash. The audit chain is hashed with
``audit.services.compute_hash``, so the chain verifies like one written event by event.
"""

from __future__ import annotations

import json
import random
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any, NamedTuple

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import GENESIS_HASH, compute_hash
from tenants.models import new_verification_token
from tenants.roles import Role

DOMAIN_COLUMNS = [
    "id", "name", "verified", "is_default", "verification_token", "created", "tenant_id",
]  # fmt: skip
SCALE_PASSWORD = "portal-scale-2026"  # noqa: S105 - test data, printed by the command
MAIN_PARTNER_DOMAIN = "scale-partner.example"
BIG_CUSTOMER_DOMAIN = "scale-customer.example"
# The main partner's admin, and its first agents (Full, then Limited administration).
MAIN_PARTNER_ADMIN = "admin@scale-partner.example"
MAIN_PARTNER_AGENT = "agent.full@scale-partner.example"
MAIN_PARTNER_LIMITED_AGENT = "agent.limited@scale-partner.example"
# A staff member in Teams mode, in every team of the main partner: it reaches each of
# the partner's active customers through one of them.
MAIN_PARTNER_TEAM_AGENT = "agent.teams@scale-partner.example"
BIG_CUSTOMER_ADMIN = "admin@scale-customer.example"
PARTNER_STAFF = 20
FULL_AGENTS = 8
LIMITED_AGENTS = 4
# The team agent is the first staff member after the Full and Limited agents: the staff
# count, and so every other generated row, stay what they were before teams.
TEAM_AGENT_INDEX = 1 + FULL_AGENTS + LIMITED_AGENTS
TOTP_SECRET = "JBSWY3DPEHPK3PXP"  # noqa: S105 - test data: every seeded agent's TOTP key
# The main partner's teams: (name, how many of that name, numbered, the roles each asks
# for). Between them they hold every active relationship of the partner, each one once.
TEAM_KINDS: list[tuple[str, int, list[Role]]] = [
    ("Helpdesk EU", 4, [Role.PASSWORD_ADMIN]),
    ("Helpdesk Americas", 4, [Role.PASSWORD_ADMIN, Role.SERVICE_SUPPORT_ADMIN]),
    ("User administration", 4, [Role.USER_ADMIN]),
    ("Service desk", 3, [Role.SERVICE_SUPPORT_ADMIN]),
    ("Billing desk", 2, [Role.BILLING_ADMIN]),
    ("Onboarding", 2, [Role.USER_ADMIN, Role.PASSWORD_ADMIN]),
    ("Escalations", 1, [Role.USER_ADMIN, Role.PASSWORD_ADMIN, Role.BILLING_ADMIN]),
]

# Tables the command writes to, and that ``--reset`` empties.
RESET_APPS = ("tenants", "offers", "delegation", "audit", "account", "mfa", "usersessions")
RESET_EXTRA_TABLES = ("django_session", "django_admin_log")

PREFIXES = [
    "North", "South", "East", "West", "Blue", "Red", "Silver", "Golden", "Bright", "Clear",
    "Swift", "Lake", "River", "Pine", "Oak", "Stone", "Iron", "Sun", "Moon", "Star", "Cloud",
    "Harbor", "Summit", "Valley", "Maple", "Cedar", "Falcon", "Eagle", "Fox", "Wolf", "Bear",
    "Lion", "Coral", "Amber", "Jade", "Ruby", "Copper", "Granite", "Willow", "Aspen",
]  # fmt: skip
ROOTS = [
    "wind", "field", "bridge", "gate", "brook", "crest", "wood", "ridge", "point", "view",
    "haven", "dale", "ford", "mark", "works", "line", "core", "path", "light", "wave",
    "stone", "vale", "shore", "peak", "well",
]  # fmt: skip
INDUSTRIES = [
    "Traders", "Logistics", "Consulting", "Health", "Foods", "Energy", "Labs", "Systems",
    "Media", "Finance", "Legal", "Retail", "Motors", "Design", "Analytics", "Studios",
    "Outfitters", "Pharma", "Robotics", "Insurance", "Travel", "Builders", "Dental", "Farms",
]  # fmt: skip
SUFFIXES = ["", " Ltd", " Inc", " GmbH", " LLC", " SA", " BV", " Pty", " AB", " Oy"]
COUNTRIES = ["US", "GB", "DE", "FR", "NL", "SE", "FI", "AU", "CA", "IE", "ES", "IT", "JP"]
FIRST_NAMES = [
    "Adele", "Alex", "Allan", "Bianca", "Christie", "Debra", "Diego", "Emily", "Enrico",
    "Grady", "Henrietta", "Irvin", "Isaiah", "Johanna", "Joni", "Lidia", "Lynne", "Miriam",
    "Nestor", "Patti", "Pradeep", "Raul", "Sanjay", "Serena", "Zrinka", "Megan", "Lee",
    "Tina", "Kim", "Omar", "Yuki", "Ingrid", "Mateo", "Aisha", "Noah", "Freya", "Luca",
    "Priya", "Hugo", "Sofia",
]  # fmt: skip
LAST_NAMES = [
    "Vance", "Wilber", "Deyoung", "Pham", "Cline", "Berg", "Siciliani", "Braun", "Gallo",
    "Archie", "Cartwright", "Sims", "Hahn", "Lauer", "Sherman", "Holloway", "Riddell", "Ward",
    "Wilke", "Fernandez", "Gupta", "Rodriguez", "Jain", "Davis", "Kim", "Bowen", "Gu", "Howe",
    "Novak", "Larsen", "Okafor", "Tanaka", "Rossi", "Meyer", "Dubois", "Silva", "Nowak",
    "Kowalski", "Jensen", "Murphy",
]  # fmt: skip
JOB_TITLES = ["", "", "Engineer", "Accountant", "Sales", "Support", "Manager", "Analyst"]
PLANS = [
    "Business Basic", "Business Standard", "Business Premium", "Exchange Online (Plan 1)",
    "Teams Essentials", "Defender for Business",
]  # fmt: skip
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
]
# What happens in a busy tenant, roughly as often as it happens.
AUDIT_MIX: list[tuple[Action, int]] = [
    (Action.SIGN_IN, 40),
    (Action.USER_UPDATED, 15),
    (Action.USER_PASSWORD_RESET, 10),
    (Action.USER_CREATED, 8),
    (Action.ADMIN_CENTER_ENTERED, 8),
    (Action.SIGN_IN_FAILED, 6),
    (Action.ROLE_ASSIGNED, 3),
    (Action.USER_DISABLED, 3),
    (Action.USER_ENABLED, 2),
    (Action.DOMAIN_ADDED, 1),
    (Action.SERVICE_REQUEST_CREATED, 2),
    (Action.SUBSCRIPTION_SEATS_CHANGED, 2),
]


@dataclass(frozen=True)
class Sizes:
    """How much of everything to create."""

    tenants: int = 100_000
    users: int = 1_000_000
    relationships: int = 10_000
    big_tenant_users: int = 100_000
    audit_events: int = 1_000_000
    offers: int = 1_000

    def scaled(self, factor: float) -> Sizes:
        return Sizes(
            **{f.name: max(1, round(getattr(self, f.name) * factor)) for f in fields(self)}
        )

    @property
    def partners(self) -> int:
        """The main partner and, for every hundred tenants, one more partner."""
        return max(1, self.tenants // 100)

    @property
    def customers(self) -> int:
        return self.tenants - self.partners

    def check(self) -> None:
        if self.customers < 2:
            raise CommandError("Need at least 3 tenants (a partner and two customers).")
        if self.relationships > self.customers:
            raise CommandError(
                f"{self.relationships} relationships need as many customers "
                f"(there are {self.customers})."
            )

    def users_per_tenant(self) -> list[int]:
        """Users of each tenant, in tenant order: main partner, other partners, customers.

        The main partner has its staff, the first customer ``big_tenant_users``, and the
        rest is spread evenly (each tenant has at least its global admin).
        """
        counts = [PARTNER_STAFF] + [0] * (self.tenants - 1)
        counts[self.partners] = max(self.big_tenant_users, 2)
        others = [i for i in range(1, self.tenants) if i != self.partners]
        left = max(self.users - sum(counts), len(others))
        each, extra = divmod(left, len(others))
        for n, i in enumerate(others):
            counts[i] = each + (1 if n < extra else 0)
        return counts


def _text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if type(value) is str:  # most values: straight to the escaping
        text = value
    elif value is None:
        return "\\N"
    elif value is True:
        return "t"
    elif value is False:
        return "f"
    elif isinstance(value, datetime | date):
        return value.isoformat()
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_rows(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], batch: int = 50_000
) -> int:
    """Stream ``rows`` into ``table`` with one COPY, ``batch`` rows per write."""
    count = 0
    lines: list[str] = []
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            lines.append("\t".join(map(_text, row)))
            count += 1
            if len(lines) == batch:
                copy.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            copy.write("\n".join(lines) + "\n")
    return count


def copy_into_empty(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], batch: int = 50_000
) -> int:
    """COPY into ``table`` with its secondary indexes dropped, then rebuilt in one pass.

    Building an index once over a million rows is many times cheaper than updating it
    row by row. Indexes that back a constraint (primary key, unique) stay, and so does
    every check. Runs in the caller's transaction, so a failure leaves the indexes as
    they were. Foreign keys are checked as each batch lands (an index cannot be built
    on a table with checks still pending).
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    count = copy_rows(table, columns, rows, batch)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return count


class SeededEvent(NamedTuple):
    """One event of the seeded chain: its fields as ``compute_hash`` reads them, in the
    order of the columns it is copied into (a model instance cost a third of the time
    it takes to make an event)."""

    seq: int
    occurred_at: datetime
    actor_email: str
    actor_name: str
    actor_tenant_name: str
    actor_partner_level: str
    actor_teams: list[str]
    action: str
    target_type: str
    target_id: str
    target_repr: str
    changes: dict[str, Any]
    ip_address: str
    user_agent: str
    request_id: str
    prev_hash: str
    hash: str
    actor_id: uuid.UUID
    actor_tenant_id: uuid.UUID
    relationship_id: uuid.UUID | None
    tenant_id: uuid.UUID


# A team of the main partner, as planned: (id, name, the roles it asks for).
PlannedTeam = tuple[uuid.UUID, str, list[Role]]


@dataclass
class TenantRow:
    id: uuid.UUID
    kind: str
    name: str
    domain: str
    users: list[tuple[uuid.UUID, str, str]]  # (id, email, full name)


class Seeder:
    """Generates the rows; deterministic for a given ``seed`` (except offer tokens)."""

    def __init__(self, sizes: Sizes, seed: int, out: Callable[[str], None]) -> None:
        self.sizes = sizes
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.out = out
        self.now = timezone.now().replace(microsecond=0)
        self.password_hash = make_password(SCALE_PASSWORD)  # the one hash for every account
        self.tenants: list[TenantRow] = []
        self.admin_of: dict[uuid.UUID, uuid.UUID] = {}  # tenant id -> its global admin
        self.big_relationship_id: uuid.UUID | None = None

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    @staticmethod
    def token() -> str:
        """A domain's verification token: random, but not drawn from the seeded ``rng``,
        so the rest of the data stays what the seed makes it."""
        return new_verification_token()

    def phase(self, label: str, work: Callable[[], int]) -> int:
        started = time.perf_counter()
        with transaction.atomic():
            count = work()
        elapsed = time.perf_counter() - started
        self.out(f"  {label:<22} {count:>10,} rows  {elapsed:7.1f} s")
        return count

    # --- tenants and their directory ------------------------------------------------
    def plan_tenants(self) -> None:
        s = self.sizes
        rng = self.rng
        counts = s.users_per_tenant()
        serial = 0
        for i in range(s.tenants):
            if i == 0:
                kind, name, domain = "partner", "Scale Partners", MAIN_PARTNER_DOMAIN
            elif i == s.partners:
                kind, name, domain = "customer", "Scale Customer", BIG_CUSTOMER_DOMAIN
            else:
                prefix, root = rng.choice(PREFIXES), rng.choice(ROOTS)
                industry = "Partners" if i < s.partners else rng.choice(INDUSTRIES)
                kind = "partner" if i < s.partners else "customer"
                name = f"{prefix}{root} {industry}{rng.choice(SUFFIXES)}"
                domain = f"{prefix}{root}-{industry}-{i}.example".lower()
            users = []
            for n in range(counts[i]):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                if i == 0:
                    email = self._partner_staff_email(n)
                elif i == s.partners and n == 0:
                    email = BIG_CUSTOMER_ADMIN
                else:
                    serial += 1
                    email = f"{first}.{last}{serial}@{domain}".lower()
                users.append((self.new_id(), email, f"{first} {last}"))
            tenant = TenantRow(self.new_id(), kind, name, domain, users)
            self.tenants.append(tenant)
            self.admin_of[tenant.id] = users[0][0]

    @staticmethod
    def _partner_staff_email(n: int) -> str:
        if n == 0:
            return MAIN_PARTNER_ADMIN
        if n == 1:
            return MAIN_PARTNER_AGENT
        if n == 1 + FULL_AGENTS:
            return MAIN_PARTNER_LIMITED_AGENT
        if n == TEAM_AGENT_INDEX:
            return MAIN_PARTNER_TEAM_AGENT
        return f"staff{n}@{MAIN_PARTNER_DOMAIN}"

    def tenant_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for t in self.tenants:
            yield (
                t.id,
                t.kind,
                t.name,
                t.users[0][2],
                f"it@{t.domain}",
                f"+1 555 {rng.randrange(1000, 9999)}",
                f"{rng.randrange(1, 999)} Main Street",
                rng.choice(COUNTRIES),
                True,
                self.now - timedelta(days=rng.randrange(1, 2000)),
            )

    def domain_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for t in self.tenants:
            yield (self.new_id(), t.domain, True, True, self.token(), self.now, t.id)
            if rng.random() < 0.1:  # a second, not yet verified name
                second = f"mail.{t.domain}"
                yield (self.new_id(), second, False, False, self.token(), self.now, t.id)

    def subscription_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for t in self.tenants:
            if t.kind != "customer":
                continue
            for plan in rng.sample(PLANS, rng.randint(1, 2)):
                seats = max(1, len(t.users) + rng.randrange(0, 20))
                renewal = (self.now + timedelta(days=rng.randrange(30, 700))).date()
                yield (self.new_id(), plan, seats, "active", renewal, self.now, t.id)

    def user_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        pw = self.password_hash
        for t in self.tenants:
            for user_id, email, full_name in t.users:
                first, last = full_name.split(" ", 1)
                joined = self.now - timedelta(days=rng.randrange(1, 1500))
                # password, last_login, is_superuser, id, email, first_name, last_name,
                # job_title, is_active, is_staff, must_change_password, date_joined, tenant_id
                yield (
                    pw,
                    None,
                    False,
                    user_id,
                    email,
                    first,
                    last,
                    rng.choice(JOB_TITLES),
                    rng.random() > 0.03,
                    False,
                    False,
                    joined,
                    t.id,
                )

    def email_rows(self) -> Iterator[tuple[Any, ...]]:
        for t in self.tenants:
            for user_id, email, _ in t.users:
                yield (email, True, True, user_id)

    def role_rows(self) -> Iterator[tuple[Any, ...]]:
        extra_roles = [Role.USER_ADMIN, Role.PASSWORD_ADMIN, Role.BILLING_ADMIN]
        for t in self.tenants:
            yield (Role.GLOBAL_ADMIN.value, self.now, t.users[0][0])
            # A few more administrators in larger tenants (one in fifty users, up to 50).
            for n, (user_id, _, _) in enumerate(t.users[1 : min(len(t.users) // 50, 50) + 1]):
                yield (extra_roles[n % len(extra_roles)].value, self.now, user_id)

    def agent_rows(self) -> Iterator[tuple[Any, ...]]:
        staff = self.tenants[0].users
        for n, (user_id, _, _) in enumerate(staff[1 : 1 + FULL_AGENTS + LIMITED_AGENTS]):
            yield (user_id, "full" if n < FULL_AGENTS else "limited", self.now)
        yield (staff[TEAM_AGENT_INDEX][0], "teams", self.now)

    def authenticator_rows(self) -> Iterator[tuple[Any, ...]]:
        from allauth.mfa.adapter import get_adapter

        data = {"secret": get_adapter().encrypt(TOTP_SECRET)}
        for user_id, _, _ in self.tenants[0].users:
            yield ("totp", data, user_id, self.now, None)

    # --- offers and relationships -----------------------------------------------------
    def offer_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        partner = self.tenants[0]
        admin = partner.users[0][0]
        presets = [
            ("full", ["global_admin"]),
            ("helpdesk", ["password_admin", "service_support_admin"]),
        ]
        for n in range(self.sizes.offers):
            preset, roles = presets[n % 2]
            created = self.now - timedelta(minutes=n * 37 + 1)
            status, revoked_at, revoked_by = "active", None, None
            expires_at = None
            if n % 10 == 7:
                status, revoked_at, revoked_by = "revoked", created, admin
            elif n % 10 == 8:  # ran out of time a minute ago
                expires_at = self.now - timedelta(minutes=1)
            max_uses = None if n % 3 else rng.choice([5, 50, 500])
            yield (
                self.new_id(),
                secrets.token_urlsafe(32),
                preset,
                roles,
                rng.choice([90, 180, 365, 730]),
                expires_at,
                max_uses,
                0,
                status,
                created,
                revoked_at,
                admin,
                partner.id,
                revoked_by,
            )

    def relationship_rows(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        s = self.sizes
        customers = self.tenants[s.partners :]
        main, big = self.tenants[0], customers[0]

        def row(partner: TenantRow, customer: TenantRow, status: str, age: int) -> tuple[Any, ...]:
            duration = rng.choice([180, 365, 730])
            roles = ["global_admin"] if rng.random() < 0.7 else ["password_admin", "user_admin"]
            if customer is big:
                # Full administration of the big customer at every size: the benchmark's
                # pages there show the same things, and run the same queries.
                roles = ["global_admin"]
            starts = self.now - timedelta(days=age)
            if status == "expired":
                duration = min(duration, age - 1)
            terminated = status == "terminated"
            return (
                self.new_id(),
                roles,
                status,
                starts,
                duration,
                starts,
                starts + timedelta(days=duration),
                starts + timedelta(days=1) if terminated else None,
                "No longer needed." if terminated else "",
                starts,
                starts,
                self.admin_of[customer.id],
                customer.id,
                None,
                partner.id,
                self.admin_of[customer.id] if terminated else None,
            )

        # The main partner: its active customers (the big one first), then a tail of
        # ended relationships with other customers.
        for customer in customers[: s.relationships]:
            yield row(main, customer, "active", rng.randrange(0, 170))
        for customer in customers[s.relationships : s.relationships + s.relationships // 10]:
            yield row(
                main, customer, rng.choice(["expired", "terminated"]), rng.randrange(200, 900)
            )
        # Every other partner: a handful of customers of its own.
        for partner in self.tenants[1 : s.partners]:
            for customer in rng.sample(customers, min(3, len(customers))):
                yield row(partner, customer, "active", rng.randrange(0, 170))

    # --- teams -----------------------------------------------------------------------
    def plan_teams(self) -> list[PlannedTeam]:
        """The main partner's teams: (id, name, the roles each asks for)."""
        return [
            (self.new_id(), f"{name} {n}" if count > 1 else name, roles)
            for name, count, roles in TEAM_KINDS
            for n in range(1, count + 1)
        ]

    def team_rows(self, teams: list[PlannedTeam]) -> Iterator[tuple[Any, ...]]:
        partner = self.tenants[0].id
        for team_id, name, roles in teams:
            labels = ", ".join(str(role.label).lower() for role in roles)
            description = f"Serves its share of customers as {labels}."
            yield (team_id, partner, name, description, self.now, self.now)

    def membership_rows(self, teams: list[PlannedTeam]) -> Iterator[tuple[Any, ...]]:
        agent = self.tenants[0].users[TEAM_AGENT_INDEX][0]
        for team_id, _, _ in teams:
            yield (team_id, agent, self.now)

    def assignment_rows(
        self,
        teams: list[PlannedTeam],
        relationships: Sequence[tuple[Any, ...]],
    ) -> Iterator[tuple[Any, ...]]:
        """One assignment per active relationship of the main partner (the first
        ``relationships`` rows), each with the next team in turn: disjoint shares that
        cover them all. A team asks for its own roles where the relationship grants
        global administration, else for those of its roles the relationship grants, or,
        if none, for what the relationship grants: the agent holds a role in every
        customer."""
        for n, rel in enumerate(relationships[: self.sizes.relationships]):
            team_id, _, wanted = teams[n % len(teams)]
            relationship_id, granted = rel[0], rel[1]
            if Role.GLOBAL_ADMIN.value in granted:
                roles = [role.value for role in wanted]
            else:
                roles = [role.value for role in wanted if role.value in granted] or list(granted)
            yield (team_id, relationship_id, roles, self.now, self.now)

    # --- the audit chain ------------------------------------------------------------
    def audit_rows(self, chain_heads: dict[uuid.UUID, tuple[int, str]]) -> Iterator[SeededEvent]:
        rng = self.rng
        s = self.sizes
        big = self.tenants[s.partners]
        partner = self.tenants[0]
        relationship_id = self.big_relationship_id
        admins = big.users[: max(1, min(len(big.users) // 50, 50) + 1)]
        agents = partner.users[1 : 1 + FULL_AGENTS]
        targets = big.users
        actions = [a for a, _ in AUDIT_MIX]
        # What choices(actions, weights) adds up on each call, added up once.
        cum_weights = list(accumulate(w for _, w in AUDIT_MIX))
        span = timedelta(days=365)
        step = span / max(1, s.audit_events)
        start = self.now - span
        prev_hash = GENESIS_HASH
        for seq in range(1, s.audit_events + 1):
            action = rng.choices(actions, cum_weights=cum_weights)[0]
            by_agent = action == Action.ADMIN_CENTER_ENTERED or rng.random() < 0.1
            actor_id, actor_email, actor_name = rng.choice(agents if by_agent else admins)
            target_user, target_email, _ = rng.choice(targets)
            target_id = str(target_user)
            changes: dict[str, Any] = {}
            target_type, target_repr = "user", target_email
            if action == Action.ADMIN_CENTER_ENTERED:
                target_type, target_id, target_repr = "tenant", str(big.id), big.name
            elif action in (Action.SIGN_IN, Action.SIGN_IN_FAILED):
                target_type, target_id, target_repr = "", "", ""
                by_agent = False
                actor_id, actor_email, actor_name = rng.choice(targets)
            elif action == Action.USER_UPDATED:
                changes = {"job_title": [rng.choice(JOB_TITLES), rng.choice(JOB_TITLES)]}
            elif action == Action.ROLE_ASSIGNED:
                changes = {"role": [None, Role.PASSWORD_ADMIN.value]}
            event = SeededEvent(
                seq=seq,
                occurred_at=start + step * seq,
                actor_email=actor_email,
                actor_name=actor_name,
                actor_tenant_name=partner.name if by_agent else big.name,
                actor_partner_level="full" if by_agent else "",
                actor_teams=[],
                action=action.value,
                target_type=target_type,
                target_id=target_id,
                target_repr=target_repr,
                changes=changes,
                ip_address=f"203.0.113.{rng.randrange(1, 255)}",
                user_agent=rng.choice(USER_AGENTS),
                request_id=f"{rng.getrandbits(128):032x}",
                prev_hash=prev_hash,
                hash="",
                actor_id=actor_id,
                actor_tenant_id=partner.id if by_agent else big.id,
                relationship_id=relationship_id if by_agent else None,
                tenant_id=big.id,
            )
            prev_hash = compute_hash(prev_hash, event)
            yield event._replace(hash=prev_hash)
        chain_heads[big.id] = (s.audit_events, prev_hash)

    def run(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        started = time.perf_counter()
        self.plan_tenants()
        self.out(
            f"  {'planned':<22} {len(self.tenants):>10,} tenants  "
            f"{time.perf_counter() - started:7.1f} s"
        )
        tenant_cols = [
            "id", "kind", "name", "contact_name", "contact_email", "contact_phone", "address",
            "country", "require_admin_mfa", "created",
        ]  # fmt: skip
        user_cols = [
            "password", "last_login", "is_superuser", "id", "email", "first_name", "last_name",
            "job_title", "is_active", "is_staff", "must_change_password", "date_joined",
            "tenant_id",
        ]  # fmt: skip
        rel_cols = [
            "id", "roles", "status", "accepted_at", "duration_days", "starts", "expires",
            "terminated_at", "termination_reason", "created", "updated", "accepted_by_id",
            "customer_id", "offer_id", "partner_id", "terminated_by_id",
        ]  # fmt: skip
        offer_cols = [
            "id", "token", "preset", "roles", "duration_days", "expires_at", "max_uses", "uses",
            "status", "created", "revoked_at", "created_by_id", "partner_id", "revoked_by_id",
        ]  # fmt: skip
        audit_cols = SeededEvent._fields
        counts["tenants"] = self.phase(
            "tenants", lambda: copy_into_empty("tenants_tenant", tenant_cols, self.tenant_rows())
        )
        counts["domains"] = self.phase(
            "domains",
            lambda: copy_into_empty(
                "tenants_domain",
                DOMAIN_COLUMNS,
                self.domain_rows(),
            ),
        )
        counts["subscriptions"] = self.phase(
            "subscriptions",
            lambda: copy_into_empty(
                "tenants_subscription",
                ["id", "plan", "seats", "status", "renewal_date", "created", "tenant_id"],
                self.subscription_rows(),
            ),
        )
        counts["users"] = self.phase(
            "users", lambda: copy_into_empty("tenants_user", user_cols, self.user_rows())
        )
        counts["email addresses"] = self.phase(
            "email addresses",
            lambda: copy_into_empty(
                "account_emailaddress",
                ["email", "verified", '"primary"', "user_id"],
                self.email_rows(),
            ),
        )
        counts["role assignments"] = self.phase(
            "role assignments",
            lambda: copy_into_empty(
                "tenants_roleassignment", ["role", "created", "user_id"], self.role_rows()
            ),
        )
        counts["agent access"] = self.phase(
            "agent access",
            lambda: copy_into_empty(
                "delegation_agentaccess", ["user_id", "level", "updated"], self.agent_rows()
            ),
        )
        counts["authenticators"] = self.phase(
            "authenticators (TOTP)",
            lambda: copy_into_empty(
                "mfa_authenticator",
                ["type", "data", "user_id", "created_at", "last_used_at"],
                self.authenticator_rows(),
            ),
        )
        counts["offers"] = self.phase(
            "offers", lambda: copy_into_empty("offers_offer", offer_cols, self.offer_rows())
        )
        rel_rows = list(self.relationship_rows())
        self.big_relationship_id = rel_rows[0][0]  # the main partner and the big customer
        counts["relationships"] = self.phase(
            "relationships",
            lambda: copy_into_empty("delegation_relationship", rel_cols, rel_rows),
        )
        heads: dict[uuid.UUID, tuple[int, str]] = {}
        counts["audit events"] = self.phase(
            "audit events",
            lambda: copy_into_empty("audit_auditevent", audit_cols, self.audit_rows(heads)),
        )
        counts["audit chain heads"] = self.phase(
            "audit chain heads",
            lambda: copy_into_empty(
                "audit_auditchainhead",
                ["tenant_id", "seq", "hash"],
                # Every tenant has one, as ``audit.signals`` gives each new tenant.
                [(t.id, *heads.get(t.id, (0, GENESIS_HASH))) for t in self.tenants],
            ),
        )
        # Last, so that the ids drawn for the teams leave every row above as it was.
        teams = self.plan_teams()
        counts["teams"] = self.phase(
            "teams",
            lambda: copy_into_empty(
                "delegation_team",
                ["id", "partner_id", "name", "description", "created", "updated"],
                self.team_rows(teams),
            ),
        )
        counts["team memberships"] = self.phase(
            "team memberships",
            lambda: copy_into_empty(
                "delegation_teammembership",
                ["team_id", "user_id", "added_at"],
                self.membership_rows(teams),
            ),
        )
        counts["team assignments"] = self.phase(
            "team assignments",
            lambda: copy_into_empty(
                "delegation_accessassignment",
                ["team_id", "relationship_id", "roles", "created", "updated"],
                self.assignment_rows(teams, rel_rows),
            ),
        )
        return counts


def project_tables() -> list[str]:
    """Every table of the apps the command fills (with many-to-many tables)."""
    tables: list[str] = []
    for label in RESET_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            tables.append(model._meta.db_table)
    return [*tables, *RESET_EXTRA_TABLES]


def expected_counts(sizes: Sizes) -> dict[str, int]:
    return {
        "tenants": sizes.tenants,
        "users": sum(sizes.users_per_tenant()),
        "audit events": sizes.audit_events,
        "team assignments": sizes.relationships,
    }


def present_counts() -> dict[str, int]:
    from delegation.models import AccessAssignment
    from tenants.models import Tenant, User

    # Platform operators are not seeded: the benchmark adds one (with its own tenant) to
    # measure Django admin, and that must not make the set look like another one.
    return {
        "tenants": Tenant.objects.exclude(users__is_superuser=True).count(),
        "users": User.objects.filter(is_superuser=False).count(),
        "audit events": AuditEvent.objects.count(),
        "team assignments": AccessAssignment.objects.count(),
    }


def data_set_present(present: dict[str, int], expected: dict[str, int]) -> bool:
    """The seeded set is there: the same tenants, users and team assignments; audit
    events only grow (using the portal, as the benchmark does, appends to the chain).
    A set seeded before the partner had teams (no assignments) is not this one: it is
    not topped up but replaced (``--reset``), as the staff member in Teams mode took
    the place of one without delegated access."""
    return (
        present["tenants"] == expected["tenants"]
        and present["users"] == expected["users"]
        and present["audit events"] >= expected["audit events"]
        and present["team assignments"] == expected["team assignments"]
    )


class Command(BaseCommand):
    help = (
        "Load a platform-sized data set into PostgreSQL with COPY (defaults: 100,000 tenants, "
        "1,000,000 users, 10,000 relationships of one partner, 1,000,000 audit events)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Sizes()
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply every default size by this factor (e.g. 0.1).",
        )
        for f in fields(Sizes):
            parser.add_argument(
                f"--{f.name.replace('_', '-')}",
                type=int,
                default=None,
                help=f"Override the size (default {getattr(defaults, f.name):,} x scale).",
            )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")
        parser.add_argument("--reset", action="store_true", help="Empty the portal's tables first.")
        parser.add_argument(
            "--if-needed",
            action="store_true",
            help="Do nothing when the data set of these sizes is already there.",
        )

    def settle(self) -> str:
        """Leave the tables as a database in service has them: statistics for the planner
        and, by VACUUM, the visibility map that lets an index answer alone (a count of
        a tenant's users) instead of visiting every row it names. Autovacuum would get
        there in its own time; inside a transaction (a test) only ANALYZE can run."""
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                cursor.execute("ANALYZE")
                return "analyze"
            tables = ", ".join(connection.ops.quote_name(t) for t in project_tables())
            # The tables are the apps' own, quoted: no input reaches this statement.
            cursor.execute(f"VACUUM (ANALYZE) {tables}")  # nosec B608
            return "vacuum and analyze"

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale loads with COPY and needs PostgreSQL (DATABASE_URL).")
        if options["scale"] <= 0:
            raise CommandError("--scale must be positive.")
        sizes = Sizes().scaled(options["scale"])
        overrides = {
            f.name: options[f.name] for f in fields(Sizes) if options.get(f.name) is not None
        }
        sizes = replace(sizes, **overrides)
        sizes.check()

        present = present_counts()
        if options["if_needed"] and data_set_present(present, expected_counts(sizes)):
            self.stdout.write(f"Data set already present ({present['tenants']:,} tenants).")
            return
        if options["reset"]:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                # Checks still pending in this transaction would forbid the TRUNCATE.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(project_tables())} RESTART IDENTITY CASCADE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            self.stdout.write(
                f"  {'reset':<22} {'':>10}       {time.perf_counter() - started:7.1f} s"
            )
        elif any(present.values()):
            raise CommandError(
                "The database already holds portal data "
                f"({present['tenants']:,} tenants); use --reset to replace it."
            )

        self.stdout.write(
            f"Seeding {sizes.tenants:,} tenants, {sum(sizes.users_per_tenant()):,} users, "
            f"{sizes.relationships:,} relationships, {sizes.audit_events:,} audit events, "
            f"{sizes.offers:,} offers:"
        )
        started = time.perf_counter()
        seeder = Seeder(sizes, options["seed"], self.stdout.write)
        counts = seeder.run()
        analyse_started = time.perf_counter()
        step = self.settle()
        self.stdout.write(
            f"  {step:<22} {'':>10}       {time.perf_counter() - analyse_started:7.1f} s"
        )
        total = sum(counts.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {total:,} rows in {time.perf_counter() - started:.1f} s. "
                f"Every account's password is {SCALE_PASSWORD!r}; partner agent "
                f"{MAIN_PARTNER_AGENT}, in Teams mode {MAIN_PARTNER_TEAM_AGENT}, customer admin "
                f"{BIG_CUSTOMER_ADMIN}."
            )
        )
