"""Every page the benchmark measures runs a fixed number of queries, whatever the data.

The pages are ``bench.pages.PAGES`` themselves, resolved through ``bench.pages.Data``
against a small world built under the same names ``seed_scale`` uses; each page is
asked once on a small world and again after every table it reads has grown, and must
run the same pinned number of queries both times (at most twelve).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from audit.actions import Action
from audit.services import audit_record
from bench.pages import PAGES, Data, Page
from delegation.models import AccessAssignment, Relationship, Team
from offers.models import Offer
from tenants.management.commands.seed_scale import (
    BIG_CUSTOMER_ADMIN,
    BIG_CUSTOMER_DOMAIN,
    MAIN_PARTNER_AGENT,
    MAIN_PARTNER_DOMAIN,
    MAIN_PARTNER_TEAM_AGENT,
    ROOTS,
)
from tenants.models import Tenant, User
from tenants.roles import Role
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_team,
    make_tenant,
    make_user,
    sign_in,
)
from tests.offers.helpers import make_offer

pytestmark = pytest.mark.django_db

MAX_QUERIES = 12

# Pinned per page. Every request: the session (one query) and the user with its tenant,
# roles, second factor and access level (one query). Then, as commented.
PAGE_QUERIES = {
    # + relationship (with the tenant and its partner), capped user count, domains, plans
    "admin center overview": 6,
    # + page (keyset, no count), then its relationships, domains and plans (prefetched)
    "lookup: exact domain": 6,
    "lookup: part of a name": 6,
    "lookup: user email": 6,
    # In Teams mode, + the agent's teams' assignments there (one query). The overview:
    # the big customer through a password admin's team, who sees no plans (one less)
    "admin center overview (teams)": 6,
    "lookup: exact domain (teams)": 7,
    "lookup: part of a name (teams)": 7,
    # + relationship (with the tenant and the banner's partner), users with their roles
    "users: first page": 4,
    "users: deep page": 4,
    # (the customer's admin, whose tenant came with it) + partners for the filter, events
    "audit log: first page": 4,
    "audit log: filtered": 4,
    # + offer with partner, verified domain, active relationship, the last "No"
    "consent page": 6,
    # + offer, then in one transaction: relationship lock and write, the response, both
    # tenants' domains with the partner's admins (one query), the two messages' outbox
    # rows, and last the use counted and three audit events in two chains (heads locked,
    # events inserted, heads moved). In a test the transaction is a savepoint: two more.
    "offer acceptance": 12 + 2,
}
SAVEPOINT_STATEMENTS = {"offer acceptance": 2}


@dataclass
class World:
    partner: Tenant
    big: Tenant
    admin: User
    teams: list[Team]
    n: int = 0


def build_world() -> World:
    partner = make_partner(name="Scale Partner", domain=MAIN_PARTNER_DOMAIN)
    partner_admin = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    make_partner_user(partner, level="full", email=MAIN_PARTNER_AGENT)
    team_agent = make_partner_user(partner, level="teams", email=MAIN_PARTNER_TEAM_AGENT)
    big = make_tenant(name="Scale Customer", domain=BIG_CUSTOMER_DOMAIN)
    admin = make_user(big, email=BIG_CUSTOMER_ADMIN, roles=[Role.GLOBAL_ADMIN])
    relationship = make_relationship(partner, big, accepted_by=admin)
    for _ in range(2):
        make_offer(partner_admin)
    # The team agent's teams, as seed_scale makes them: each holds roles in its own
    # share of the partner's customers.
    teams = [
        make_team(partner, "Helpdesk EU 1", members=[team_agent]),
        make_team(partner, "User administration 1", members=[team_agent]),
    ]
    assign(teams[0], relationship, Role.PASSWORD_ADMIN)
    world = World(partner=partner, big=big, admin=admin, teams=teams)
    grow(world, customers=3, users=55, events=60)
    return world


def assign(team: Team, relationship: Relationship, role: Role) -> None:
    AccessAssignment.objects.create(team=team, relationship=relationship, roles=[role.value])


def grow(world: World, *, customers: int, users: int, events: int) -> None:
    """More related customers (named like the lookup's fragment), each held by one of
    the teams in turn, more users of the big customer, more events in its audit log."""
    for _ in range(customers):
        world.n += 1
        tenant = make_tenant(name=f"North{ROOTS[7]} Traders {world.n:04}")
        relationship = make_relationship(world.partner, tenant)
        assign(world.teams[world.n % len(world.teams)], relationship, Role.USER_ADMIN)
        make_user(tenant, email=f"someone{world.n}@{tenant.default_domain}")
    User.objects.bulk_create(
        [
            User(tenant=world.big, email=f"user{world.n}.{i:04}@{BIG_CUSTOMER_DOMAIN}")
            for i in range(users)
        ]
    )
    for i in range(events):
        action = Action.USER_PASSWORD_RESET if i % 3 == 0 else Action.USER_UPDATED
        audit_record(tenant=world.big, action=action, target_repr=f"filler {i}")


def measure(client: Client, page: Page, assert_queries) -> None:  # type: ignore[no-untyped-def]
    data = Data()
    if page.method == "POST":
        # As in the benchmark: each acceptance is another customer's admin's.
        user, offer = data.acceptors(1)[0]
        sign_in(client, user)
        path = f"/offer/{offer.token}/accept/"
        with assert_queries(PAGE_QUERIES[page.name]):
            response = client.post(path)
        assert response.status_code == 302
        assert Relationship.objects.filter(
            partner=data.partner, customer=user.tenant, offer=offer, status="active"
        ).exists()
        return
    sign_in(client, data.user(page.session))
    path = page.resolve(data)["path"]
    assert client.get(path).status_code == 200  # an agent's first entry is audited once
    with assert_queries(PAGE_QUERIES[page.name]):
        assert client.get(path).status_code == 200


def test_every_benchmarked_page_has_a_pinned_query_count():
    assert sorted(PAGE_QUERIES) == sorted(p.name for p in PAGES)
    served = {name: n - SAVEPOINT_STATEMENTS.get(name, 0) for name, n in PAGE_QUERIES.items()}
    assert max(served.values()) <= MAX_QUERIES


@pytest.mark.parametrize("name", [p.name for p in PAGES])
def test_a_benchmarked_page_runs_the_same_queries_however_large_the_data(
    client, django_assert_num_queries, name
):
    # given
    page = next(p for p in PAGES if p.name == name)
    world = build_world()
    # then
    measure(client, page, django_assert_num_queries)
    # when: every table the pages read grows several times over
    grow(world, customers=40, users=300, events=400)
    # then
    measure(Client(), page, django_assert_num_queries)


def test_the_benchmark_accepts_with_a_write_every_time():
    # given: a customer whose relationship came from the partner's newest offer
    world = build_world()
    data = Data()
    offers = data.open_offers()
    customer = make_tenant()
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    relationship = make_relationship(world.partner, customer, accepted_by=admin)
    Relationship.objects.filter(pk=relationship.pk).update(offer=offers[0])
    # when
    pool = dict(data.acceptors(50))
    # then: it is offered the other one, the others (with none) the newest; the big
    # customer is not among them
    assert pool[admin] == offers[1]
    assert {o for u, o in pool.items() if u != admin} == {offers[0]}
    assert world.admin not in pool
    assert all(isinstance(o, Offer) for o in pool.values())


def test_the_profiler_accepts_as_the_benchmark_does():
    # given: six customers with an admin who may accept, one of them with two
    from bench.profile import _posts
    from offers.models import OfferResponse

    world = build_world()
    grow(world, customers=3, users=0, events=0)
    make_user(Tenant.objects.get(name__endswith=" 0001"), roles=[Role.GLOBAL_ADMIN])
    page = next(p for p in PAGES if p.method == "POST")
    requests = _posts(Data(), page, 2)  # three more have warmed up
    answered = dict(OfferResponse.objects.values_list("responded_by", "customer"))
    # when
    for request in requests:
        request()  # refuses anything but the redirect of an accepted offer
    # then: two more acceptances, each by another customer's admin (each its own session)
    responses = OfferResponse.objects.exclude(responded_by__in=answered)
    assert len(requests) == 2
    assert responses.filter(response="accepted").count() == 2
    assert len({r.customer_id for r in responses} | set(answered.values())) == 5
