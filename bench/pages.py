"""The pages the benchmark measures, and how to find their parameters in the data.

A page is a path template whose ``{placeholders}`` are filled from the seeded data
(``manage.py seed_scale``) through ``Data``. Each page is requested with the session
of ``session`` ("agent": a partner agent with Full administration and TOTP enrolled;
"team_agent": a partner agent in Teams mode, with TOTP, in the 20 teams that share the
partner's customers; "customer_admin": the global admin of the customer with the most
users; "operator": a platform operator, for Django admin). The baseline
(``/_baseline/``) is measured for every session that a page uses, and a page's
throughput is given as a ratio to its own session's baseline.

Adding a page is one ``Page(...)`` line in ``PAGES``. ``PEERS`` are pages of other
software that do the job of one of the portal's pages over the same data, measured in
the same run as a reference for it: they have no targets of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offers.models import Offer
    from tenants.models import Tenant, User

OPERATOR_EMAIL = "operator@platform.example"


class Data:
    """Handles on the seeded data set, resolved lazily through the ORM."""

    @cached_property
    def partner(self) -> Tenant:
        from tenants.management.commands.seed_scale import MAIN_PARTNER_DOMAIN
        from tenants.models import Tenant

        return Tenant.objects.get(domains__name=MAIN_PARTNER_DOMAIN, domains__verified=True)

    @cached_property
    def big_customer(self) -> Tenant:
        from tenants.management.commands.seed_scale import BIG_CUSTOMER_DOMAIN
        from tenants.models import Tenant

        return Tenant.objects.get(domains__name=BIG_CUSTOMER_DOMAIN, domains__verified=True)

    @cached_property
    def agent(self) -> User:
        from tenants.management.commands.seed_scale import MAIN_PARTNER_AGENT
        from tenants.models import User

        return User.objects.get(email=MAIN_PARTNER_AGENT)

    @cached_property
    def team_agent(self) -> User:
        from tenants.management.commands.seed_scale import MAIN_PARTNER_TEAM_AGENT
        from tenants.models import User

        return User.objects.get(email=MAIN_PARTNER_TEAM_AGENT)

    @cached_property
    def customer_admin(self) -> User:
        from tenants.management.commands.seed_scale import BIG_CUSTOMER_ADMIN
        from tenants.models import User

        return User.objects.get(email=BIG_CUSTOMER_ADMIN)

    @cached_property
    def operator(self) -> User:
        """A platform operator, made as ``createsuperuser`` makes one: the seeded data
        has none, so the first run adds it (with a tenant of operators)."""
        from tenants.models import User

        found = User.objects.filter(email=OPERATOR_EMAIL).first()
        return found or User.objects.create_superuser(OPERATOR_EMAIL)

    def user(self, session: str) -> User:
        if session not in ("agent", "team_agent", "customer_admin", "operator"):
            raise KeyError(session)
        user: User = getattr(self, session)
        return user

    @cached_property
    def far_customer(self) -> Tenant:
        """One of the partner's customers, the most recently related (not the big one)."""
        from delegation.models import Relationship

        relationship = (
            Relationship.objects.effective()
            .filter(partner=self.partner)
            .exclude(customer=self.big_customer)
            .select_related("customer")
            .order_by("-starts", "customer__name")
            .first()
        )
        if relationship is None:
            raise LookupError("The partner has no customer besides the big one: run seed_scale.")
        return relationship.customer

    def customer_domain(self) -> str:
        """An exact domain name of one of the partner's customers."""
        domain = self.far_customer.default_domain
        if domain is None:
            raise LookupError(f"{self.far_customer} has no default domain.")
        return domain.name

    def name_fragment(self) -> str:
        """A word inside many tenant names, as a person would type it (lower case)."""
        from tenants.management.commands.seed_scale import ROOTS

        return ROOTS[7]  # "ridge": in about one name in twenty-five

    def user_email(self) -> str:
        """The address of a user of one of the partner's customers."""
        user = self.far_customer.users.order_by("email").last()
        if user is None:
            raise LookupError(f"{self.far_customer} has no users.")
        return user.email

    @cached_property
    def big_customer_user_count(self) -> int:
        return self.big_customer.users.count()

    @cached_property
    def middle_user_id(self) -> Any:
        """The id of the big customer's user halfway down its email order: the cursor
        (``?after=``) of a page deep in the list."""
        users = self.big_customer.users.order_by("email").values_list("pk", flat=True)
        return users[self.big_customer_user_count // 2]

    @cached_property
    def middle_audit_seq(self) -> int:
        """A sequence number halfway down the big customer's audit chain: the cursor
        (``?before=``) of a page deep in the log."""
        from audit.models import AuditChainHead

        head = AuditChainHead.objects.get(tenant=self.big_customer)
        return max(1, head.seq // 2)

    def open_offers(self) -> list[Offer]:
        """The partner's offers that any customer may accept, again and again."""
        from offers.models import Offer, OfferStatus

        return list(
            Offer.objects.filter(
                partner=self.partner,
                status=OfferStatus.ACTIVE,
                expires_at__isnull=True,
                max_uses__isnull=True,
            ).order_by("-created", "pk")
        )

    def acceptors(self, count: int) -> list[tuple[User, Offer]]:
        """``count`` customers' global admins, each with an offer of the partner that
        accepting would change something for (a new relationship, or one now from
        another offer): every acceptance writes the relationship, an audit event and
        the outbox, never the no-change path."""
        from delegation.models import Relationship, RelationshipStatus
        from tenants.models import RoleAssignment, TenantKind
        from tenants.roles import Role

        offers = self.open_offers()[:2]
        if len(offers) < 2:
            raise LookupError("The partner needs two open offers: run seed_scale.")
        # One admin of each customer: a second admin's acceptance would change nothing.
        admins: dict[Any, RoleAssignment] = {}
        for assignment in (
            RoleAssignment.objects.filter(
                role=Role.GLOBAL_ADMIN,
                user__tenant__kind=TenantKind.CUSTOMER,
                user__is_active=True,
            )
            .exclude(user__tenant=self.big_customer)
            .select_related("user", "user__tenant")
            .order_by("user__tenant_id", "user__email")
            .iterator(chunk_size=2000)
        ):
            if len(admins) == count:
                break
            admins.setdefault(assignment.user.tenant_id, assignment)
        current = dict(
            Relationship.objects.filter(
                partner=self.partner,
                status=RelationshipStatus.ACTIVE,
                customer__in=list(admins),
            ).values_list("customer_id", "offer_id")
        )
        pool = []
        for assignment in admins.values():
            user = assignment.user
            offer = offers[1] if current.get(user.tenant_id) == offers[0].pk else offers[0]
            pool.append((user, offer))
        return pool

    @cached_property
    def offer(self) -> Offer:
        """An active offer of the partner, with no end and no cap: it can be accepted again."""
        from offers.models import Offer, OfferStatus

        offer = (
            Offer.objects.filter(
                partner=self.partner,
                status=OfferStatus.ACTIVE,
                expires_at__isnull=True,
                max_uses__isnull=True,
            )
            .order_by("-created")
            .first()
        )
        if offer is None:
            raise LookupError("The partner has no open offer: run seed_scale.")
        return offer


def _none(data: Data) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Page:
    """One page to measure."""

    name: str
    path: str
    params: Callable[[Data], dict[str, Any]] = _none
    method: str = "GET"
    session: str = "agent"
    # For a POST: the page (path template) whose form gives the CSRF token, and the
    # other form fields.
    csrf_from: str | None = None
    form: dict[str, str] = field(default_factory=dict)
    baseline: bool = False
    # For a peer: the portal page it is a reference for, and how the report names the two.
    peer_of: str | None = None
    compared_as: str = ""

    def resolve(self, data: Data) -> dict[str, Any]:
        values = self.params(data)
        return {
            "name": self.name,
            "method": self.method,
            "session": self.session,
            "path": self.path.format(**values),
            "csrf_from": self.csrf_from.format(**values) if self.csrf_from else None,
            "form": self.form,
            "baseline": self.baseline,
            "peer_of": self.peer_of,
            "compared_as": self.compared_as,
        }


BASELINE = Page("baseline", "/_baseline/", baseline=True)


def _big(data: Data) -> dict[str, Any]:
    return {"tenant": data.big_customer.pk}


def _fragment(data: Data) -> dict[str, Any]:
    return {"q": data.name_fragment()}


PAGES: list[Page] = [
    # tenants:admin-center
    Page("admin center overview", "/t/{tenant}/", _big),
    # delegation:lookup
    Page("lookup: exact domain", "/partner/lookup/?q={q}", lambda d: {"q": d.customer_domain()}),
    Page("lookup: part of a name", "/partner/lookup/?q={q}", _fragment),
    Page("lookup: user email", "/partner/lookup/?q={q}", lambda d: {"q": d.user_email()}),
    # The same pages for an agent in Teams mode, who reaches every customer of the
    # partner through one of its 20 teams (the big customer through "Helpdesk EU 1").
    Page("admin center overview (teams)", "/t/{tenant}/", _big, session="team_agent"),
    Page(
        "lookup: exact domain (teams)",
        "/partner/lookup/?q={q}",
        lambda d: {"q": d.customer_domain()},
        session="team_agent",
    ),
    Page(
        "lookup: part of a name (teams)", "/partner/lookup/?q={q}", _fragment, session="team_agent"
    ),
    # tenants:users (keyset pages: ?after=<the id of the last user of the page before>)
    Page("users: first page", "/t/{tenant}/users/", _big),
    Page(
        "users: deep page",
        "/t/{tenant}/users/?after={after}",
        lambda d: {**_big(d), "after": d.middle_user_id},
    ),
    # audit:log (keyset pages: ?before=<seq>), read by the customer's own admin (an
    # agent reads it only where the relationship grants a role that sees the log)
    Page("audit log: first page", "/t/{tenant}/audit/", _big, session="customer_admin"),
    Page(
        "audit log: filtered",
        "/t/{tenant}/audit/?action=user.password_reset&before={seq}",
        lambda d: {**_big(d), "seq": d.middle_audit_seq},
        session="customer_admin",
    ),
    # offers:public and offers:accept
    Page(
        "consent page",
        "/offer/{token}/",
        lambda d: {"token": d.offer.token},
        session="customer_admin",
    ),
    Page(
        "offer acceptance",
        "/offer/{token}/accept/",
        lambda d: {"token": d.offer.token},
        method="POST",
        session="acceptors",
    ),
]

# Django admin's changelist search over the same tenants, as an operator finds a tenant by
# part of its name: what the portal's lookup is for, done by the stock tool.
PEERS: list[Page] = [
    Page(
        "Django admin search",
        "/django-admin/tenants/tenant/?q={q}",
        _fragment,
        session="operator",
        peer_of="lookup: part of a name",
        compared_as="lookup by name vs Django admin search",
    ),
]
