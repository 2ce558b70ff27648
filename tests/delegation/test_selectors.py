"""The lookup: what a search finds, and that it finds only the partner's customers."""

from collections.abc import Iterable
from datetime import date, timedelta

import pytest
from django.utils import timezone

from delegation.models import Relationship, RelationshipStatus
from delegation.selectors import customer_lookup, lookup_kind, lookup_results
from tenants.models import Domain, Subscription, SubscriptionStatus
from tenants.roles import Permission as P
from tenants.roles import Role
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_team,
    make_tenant,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return make_partner(name="Fabrikam", domain="fabrikam.example")


@pytest.fixture
def contoso(partner):
    tenant = make_tenant(name="Contoso Ltd", domain="contoso.example")
    Domain.objects.create(tenant=tenant, name="contoso-eu.example", verified=True)
    make_user(tenant, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN])
    make_relationship(partner, tenant)
    return tenant


@pytest.fixture
def stranger():
    """Another partner's customer, matching every search that finds Contoso."""
    tenant = make_tenant(name="Contoso Holdings", domain="contoso.example.org")
    make_user(tenant, email="megan@contoso.example.org")
    make_relationship(make_partner(), tenant)
    return tenant


def found(partner, query):
    return list(customer_lookup(partner, query))


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("megan@contoso.example", "email"),
        ("contoso.example", "domain"),
        ("Contoso.", "domain"),
        ("contoso", "name"),
        ("Contoso Ltd", "name"),
        ("  ", "none"),
        ("", "none"),
    ],
)
def test_the_shape_of_the_query_chooses_the_search(query, kind):
    assert lookup_kind(query) == kind


@pytest.mark.parametrize(
    "query",
    [
        "contoso.example",
        "CONTOSO.EXAMPLE",
        "contoso-eu.example",
        "contoso.ex",
        "contoso-eu.",
        "toso l",
        "CONTOSO LTD",
        "megan@contoso.example",
        "Megan@Contoso.Example",
    ],
)
def test_the_partners_customer_is_found_by_domain_name_or_email(partner, contoso, query):
    assert found(partner, query) == [contoso]


@pytest.mark.parametrize(
    "query", ["megan@contoso", "egan@contoso.example", "example", "oso.example", "contoso.exx"]
)
def test_partial_emails_and_domain_middles_find_nothing(partner, contoso, query):
    assert found(partner, query) == []


@pytest.mark.parametrize(
    "query", ["contoso.example.org", "Holdings", "megan@contoso.example.org", "%", "_"]
)
def test_another_partners_customer_is_never_found(partner, contoso, stranger, query):
    assert found(partner, query) == []


def test_a_prefix_finds_other_partners_customer_only_for_them(partner, contoso, stranger):
    assert found(partner, "contoso.") == [contoso]
    assert found(partner, "contoso") == [contoso]


def test_a_tenant_without_any_relationship_or_the_partner_itself_is_never_found(partner):
    make_tenant(name="Lonely", domain="lonely.example")
    make_user(partner, email="adele@fabrikam.example")
    assert found(partner, "lonely.example") == []
    assert found(partner, "Lonely") == []
    assert found(partner, "fabrikam.example") == []
    assert found(partner, "adele@fabrikam.example") == []


def test_ended_relationships_are_found_and_marked_without_rights(partner):
    # given
    agent = make_partner_user(partner, level="full")
    expired = make_tenant(name="Old Expired")
    terminated = make_tenant(name="Old Terminated")
    make_relationship(partner, expired, status=RelationshipStatus.EXPIRED)
    make_relationship(partner, terminated, status=RelationshipStatus.TERMINATED)
    # when
    results = lookup_results(agent, found(partner, "old "))
    # then
    assert [(r.tenant, r.relationship.display_status) for r in results] == [
        (expired, "expired"),
        (terminated, "terminated"),
    ]
    assert all(not r.is_active and not r.rights for r in results)
    assert not any(r.shows_details for r in results)
    assert all(r.domains == [] and r.subscriptions == [] for r in results)


@pytest.mark.parametrize(
    "status", [RelationshipStatus.EXPIRED, RelationshipStatus.TERMINATED, "past its end"]
)
def test_an_ended_customer_is_found_by_name_only(partner, contoso, status):
    # given: Contoso's relationship has ended (marked, or only past its end time)
    relationship = Relationship.objects.get(partner=partner, customer=contoso)
    if status == "past its end":
        relationship.expires = timezone.now() - timedelta(seconds=1)
        relationship.starts = relationship.expires - timedelta(days=30)
    else:
        relationship.status = status
    relationship.save()
    # then: neither an address nor a domain, old or new, says it is Contoso's
    Domain.objects.create(tenant=contoso, name="contoso-new.example", verified=True)
    for query in (
        "megan@contoso.example",
        "contoso.example",
        "contoso-eu.example",
        "contoso-new.example",
        "contoso-",
    ):
        assert found(partner, query) == [], query
    assert found(partner, "contoso") == [contoso]


def test_an_address_or_domain_finds_a_customer_again_once_a_new_relationship_is_in_force(
    partner, contoso
):
    # given: an ended relationship, then a new one
    Relationship.objects.filter(partner=partner, customer=contoso).update(
        status=RelationshipStatus.TERMINATED
    )
    assert found(partner, "megan@contoso.example") == []
    make_relationship(partner, contoso)
    # then
    assert found(partner, "megan@contoso.example") == [contoso]
    assert found(partner, "contoso-eu.example") == [contoso]


def test_a_customer_with_an_old_and_a_current_relationship_is_one_result_on_the_current_one(
    partner,
):
    # given
    agent = make_partner_user(partner, level="limited")
    tenant = make_tenant(name="Tailspin", domain="tailspin.example")
    Domain.objects.create(tenant=tenant, name="tailspin-toys.example")
    make_relationship(partner, tenant, status=RelationshipStatus.TERMINATED)
    current = make_relationship(partner, tenant)
    # when
    results = lookup_results(agent, found(partner, "tailspin"))
    domain_results = found(partner, "tailspin")
    # then
    assert len(results) == 1
    assert results[0].relationship == current
    assert results[0].can_administer
    assert results[0].shows_details  # a Limited agent too, through a relationship in force
    assert results[0].rights.permissions >= {P.VIEW_TENANT, P.MANAGE_SERVICE_REQUESTS}
    assert domain_results == [tenant]


def test_a_page_of_results_needs_no_query_per_row(partner, django_assert_num_queries):
    # given
    agent = make_partner_user(partner, level="full")
    for n in range(30):
        make_relationship(partner, make_tenant(name=f"Match {n:02}"))
    agent = type(agent).objects.select_related("tenant", "agent_access").get(pk=agent.pk)
    # then: the tenants, then their relationships, domains and subscriptions
    with django_assert_num_queries(4):
        tenants = found(partner, "match")
        results = lookup_results(agent, tenants)
        for result in results:
            list(result.domains)
            list(result.subscriptions)
    assert len(results) == 30
    assert all(r.can_administer for r in results)


@pytest.mark.parametrize(("teams", "customers"), [(1, 3), (5, 20)])
def test_a_page_of_results_of_a_teams_agent_costs_one_query_more_whatever_its_teams(
    partner, django_assert_num_queries, teams, customers
):
    # given: teams holding a default role, and one role in some customers each
    agent = make_partner_user(partner, level="teams")
    relationships = [
        make_relationship(partner, make_tenant(name=f"Match {n:02}")) for n in range(customers)
    ]
    for t in range(teams):
        make_team(
            partner,
            f"Team {t}",
            members=[agent, make_partner_user(partner, level="teams")],
            assignments={None: [Role.PASSWORD_ADMIN], relationships[t]: [Role.USER_ADMIN]},
        )
    agent = type(agent).objects.select_related("tenant", "agent_access").get(pk=agent.pk)
    # then: the tenants, their relationships, domains, subscriptions; the assignments
    with django_assert_num_queries(5):
        results = lookup_results(agent, found(partner, "match"))
        for result in results:
            list(result.domains)
            list(result.subscriptions)
    assert len(results) == customers
    assert all(r.can_administer for r in results)
    users = [r for r in results if r.rights.has(P.MANAGE_USERS)]
    assert [r.tenant.name for r in users] == [f"Match {n:02}" for n in range(teams)]
    # every team's default applies in every customer
    assert {r.rights.teams for r in results} == {tuple(f"Team {t}" for t in range(teams))}


@pytest.mark.postgres
def test_the_domain_prefix_search_can_use_the_prefix_index():
    from django.db import connection

    # given: the lookup's domain filter, as customer_lookup builds it
    query = Domain.objects.filter(name__startswith="contoso.ex").values("tenant_id").query
    sql, params = query.sql_with_params()
    # when
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # then
    assert "domain_name_prefix_idx" in plan


def test_a_result_lists_domains_default_first_and_subscriptions_by_plan(partner, contoso):
    # given: a second domain before the default by name, and two subscriptions
    Domain.objects.create(tenant=contoso, name="a-contoso.example", verified=True)
    Subscription.objects.create(
        tenant=contoso, plan="Office 365 E3", seats=25, renewal_date=date(2027, 3, 4)
    )
    Subscription.objects.create(
        tenant=contoso, plan="Exchange Online", seats=3, status=SubscriptionStatus.SUSPENDED
    )
    agent = make_partner_user(partner, level="full")
    # when
    (result,) = lookup_results(agent, found(partner, "contoso ltd"))
    # then
    assert [(d.name, d.is_default) for d in result.domains] == [
        ("contoso.example", True),
        ("a-contoso.example", False),
        ("contoso-eu.example", False),
    ]
    assert [(s.plan, s.seats, s.status_label, s.renewal_date) for s in result.subscriptions] == [
        ("Exchange Online", 3, "Suspended", None),
        ("Office 365 E3", 25, "Active", date(2027, 3, 4)),
    ]


def test_a_result_without_domains_or_subscriptions_lists_none(partner):
    # given
    tenant = make_tenant(name="Bare Co")
    make_relationship(partner, tenant)
    tenant.domains.all().delete()
    agent = make_partner_user(partner, level="full")
    # when
    (result,) = lookup_results(agent, found(partner, "bare co"))
    # then
    assert result.domains == []
    assert result.subscriptions == []


@pytest.mark.parametrize("customers", [1, 4, 11, 12])
def test_a_page_carries_the_same_relationships_as_the_lookup_queryset(partner, customers):
    # given: customers with an ended relationship and a current one, and another
    # partner's relationship with each
    from delegation.selectors import customer_lookup_page

    other = make_partner()
    for n in range(customers):
        tenant = make_tenant(name=f"Northwind {n:02}")
        make_relationship(partner, tenant, status="terminated")
        make_relationship(partner, tenant)
        make_relationship(other, tenant)
    # when
    page = customer_lookup_page(partner, "northwind", size=customers)
    # then: each tenant's relationships with this partner, newest first, as prefetched
    expected = {t.pk: t.partner_relationships_here for t in found(partner, "northwind")}
    assert len(page.tenants) == customers
    for tenant in page.tenants:
        got = getattr(tenant, "partner_relationships_here")  # noqa: B009 - set by the page
        assert [r.pk for r in got] == [r.pk for r in expected[tenant.pk]]
        assert [r.status for r in got] == ["active", "terminated"]
        assert all(r.customer is tenant for r in got)
        for mine, theirs in zip(got, expected[tenant.pk], strict=True):
            assert fields(mine) == fields(theirs)
            assert (mine._state.adding, mine._state.db) == (False, theirs._state.db)


def fields(relationship: Relationship) -> dict[str, object]:
    """Every column's value of ``relationship``, as loaded."""
    return {f.attname: getattr(relationship, f.attname) for f in Relationship._meta.concrete_fields}


# Times of any fraction of a second, trailing zeros or none.
@pytest.mark.parametrize("micro", [123456, 120000, 5, 0])
def test_relationships_from_the_page_query_keep_every_value(partner, micro):
    # given: a relationship with every column set, ended, and a renewed one of the same
    # moment (the page orders them as the ORM does: newest, then by id)
    from delegation.selectors import customer_lookup_page

    tenant = make_tenant(name="Northwind Traders")
    moment = timezone.now().replace(microsecond=micro)
    ended = make_relationship(partner, tenant, status="terminated", roles=[Role.USER_ADMIN])
    Relationship.objects.filter(pk=ended.pk).update(
        terminated_at=moment,
        terminated_by=ended.accepted_by,
        termination_reason='Ended <by> "us"',
        created=moment,
    )
    renewed = make_relationship(partner, tenant)
    Relationship.objects.filter(pk=renewed.pk).update(created=moment)
    # when
    (found,) = customer_lookup_page(partner, "northwind").tenants
    # then
    expected = sorted(Relationship.objects.filter(customer=tenant), key=lambda r: r.pk)
    got = getattr(found, "partner_relationships_here")  # noqa: B009 - set by the page
    assert [fields(r) for r in got] == [fields(r) for r in expected]


@pytest.mark.parametrize("default", [False, True])
def test_teams_hold_roles_is_the_same_condition_as_a_list_and_as_a_probe(partner, default):
    from delegation.selectors import teams_hold_roles

    # given: an agent's team holding a role in one customer, an empty assignment in
    # another, nothing in a third, a role where the relationship grants none, and a
    # team of another member; with ``default``, the team's default names a role too
    agent = make_partner_user(partner, level="teams")
    other = make_partner_user(partner, level="teams")
    held, empty, unassigned, granted_none, others = (
        make_relationship(partner, make_tenant(name=name))
        for name in ("Held", "Empty", "Unassigned", "Granted none", "Others")
    )
    Relationship.objects.filter(pk=granted_none.pk).update(roles=[])
    assignments: dict[Relationship | None, Iterable[Role]] = {
        held: [Role.PASSWORD_ADMIN],
        empty: [],
        granted_none: [Role.USER_ADMIN],
    }
    if default:
        assignments[None] = [Role.PASSWORD_ADMIN]
    make_team(partner, "Helpdesk", members=[agent], assignments=assignments)
    make_team(partner, "Elsewhere", members=[other], assignments={others: [Role.USER_ADMIN]})
    expected = {held, empty, unassigned, others} if default else {held}
    # when
    mine = Relationship.objects.filter(partner=partner)
    as_list = set(mine.filter(teams_hold_roles(agent)))
    as_probe = set(mine.filter(teams_hold_roles(agent, probe=True)))
    # then
    assert as_list == as_probe == expected
