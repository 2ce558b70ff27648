"""The partner's pages: who gets in, what they see, what a save does, what it costs."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import AgentAccess, Relationship, RelationshipStatus
from delegation.selectors import LOOKUP_PAGE_SIZE
from tenants.models import Domain, Subscription, Tenant
from tenants.roles import Role
from tests.factories import (
    age_sign_in,
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    partner = make_partner(name="Fabrikam Partners", domain="fabrikam.example")
    contoso = make_tenant(name="Contoso", domain="contoso.example")
    Domain.objects.create(tenant=contoso, name="contoso-eu.example", verified=True)
    Subscription.objects.create(tenant=contoso, plan="Business Premium", seats=50)
    other_partner = make_partner(name="Woodgrove")
    northwind = make_tenant(name="Northwind", domain="northwind.example")
    w = SimpleNamespace(
        partner=partner,
        contoso=contoso,
        northwind=northwind,
        other_partner=other_partner,
        alex=make_partner_user(partner, email="alex@fabrikam.example", roles=[Role.GLOBAL_ADMIN]),
        adele=make_partner_user(partner, email="adele@fabrikam.example"),
        limited=make_partner_user(partner, level="limited"),
        full=make_partner_user(partner, level="full"),
        other_agent=make_partner_user(other_partner, level="full"),
        other_admin=make_partner_user(other_partner, roles=[Role.GLOBAL_ADMIN]),
        megan=make_user(contoso, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN]),
        plain=make_user(contoso),
        stranger=make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN]),
    )
    w.relationship = make_relationship(partner, contoso, accepted_by=w.megan)
    make_relationship(other_partner, northwind)
    return w


PERSONAS = [
    "anonymous",
    "stranger",  # a user of another tenant
    "adele",  # an agent without access
    "limited",
    "full",
    "other_agent",  # an agent of another partner
    "other_admin",  # an admin of another partner
    "megan",  # the customer's own admin
    "plain",  # a plain customer user
    "alex",  # the partner admin
]
PARTNER_PAGES = {"lookup": "delegation:lookup", "customers": "delegation:customers"}
PAGE_ACCESS = {
    # who gets 200 on each page; everyone else signed in gets 404, anonymous signs in
    "staff": {"alex", "other_admin"},  # each sees its own staff
    "staff-edit": {"alex"},
    "lookup": {"limited", "full", "other_agent", "other_admin", "alex"},
    "customers": {"limited", "full", "other_agent", "other_admin", "alex"},
    "partner-overview": {"adele", "limited", "full", "other_agent", "other_admin", "alex"},
}


def url_of(page, w):
    if page == "staff-edit":
        return reverse("delegation:staff-edit", kwargs={"user_id": w.adele.pk})
    return reverse(f"delegation:{page}")


def as_persona(client, w, persona):
    if persona != "anonymous":
        sign_in(client, getattr(w, persona))


@pytest.mark.parametrize("page", list(PAGE_ACCESS))
@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_open_each_page(client, world, page, persona):
    # given
    as_persona(client, world, persona)
    # when
    response = client.get(url_of(page, world))
    # then
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif persona in PAGE_ACCESS[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_save_a_staff_members_access(client, world, persona):
    # given
    as_persona(client, world, persona)
    # when
    response = client.post(url_of("staff-edit", world), {"assign": "yes", "level": "full"})
    # then
    if persona == "alex":
        assert response.status_code == 302
        assert AgentAccess.objects.get(user=world.adele).level == "full"
    else:
        assert response.status_code == (302 if persona == "anonymous" else 404)
        assert not AgentAccess.objects.filter(user=world.adele).exists()


def test_another_partners_admin_cannot_reach_this_partners_staff(client, world):
    sign_in(client, world.other_admin)
    assert client.get(url_of("staff-edit", world)).status_code == 404
    # and its own staff list does not show them
    response = client.get(reverse("delegation:staff"))
    assert world.adele.email not in response.content.decode()


# --- the staff pages ---------------------------------------------------------------


def test_the_staff_list_shows_each_member_with_its_level(client, world):
    sign_in(client, world.alex)
    response = client.get(reverse("delegation:staff"))
    body = response.content.decode()
    assert "adele@fabrikam.example" in body
    assert world.limited.email in body
    assert "Limited administration" in body
    assert "Full administration" in body
    assert world.megan.email not in body
    assert world.other_agent.email not in body


def test_alex_gives_adele_limited_and_lee_full_access(client, world):
    # given
    lee = make_partner_user(world.partner, email="lee@fabrikam.example")
    sign_in(client, world.alex)
    # when
    first = client.post(
        reverse("delegation:staff-edit", kwargs={"user_id": world.adele.pk}),
        {"assign": "yes", "level": "limited"},
    )
    second = client.post(
        reverse("delegation:staff-edit", kwargs={"user_id": lee.pk}),
        {"assign": "yes", "level": "full"},
        follow=True,
    )
    # then
    assert first.status_code == 302
    assert first["Location"] == reverse("delegation:staff")
    assert "Lee" in second.content.decode() or lee.email in second.content.decode()
    assert AgentAccess.objects.get(user=world.adele).level == "limited"
    assert AgentAccess.objects.get(user=lee).level == "full"
    events = AuditEvent.objects.filter(
        action=Action.AGENT_ACCESS_CHANGED, tenant_id=world.partner.pk
    ).order_by("seq")
    assert [(e.target_id, e.changes["level"]) for e in events] == [
        (str(world.adele.pk), ["none", "limited"]),
        (str(lee.pk), ["none", "full"]),
    ]


def test_the_edit_form_shows_the_stored_level(client, world):
    sign_in(client, world.alex)
    response = client.get(reverse("delegation:staff-edit", kwargs={"user_id": world.limited.pk}))
    body = response.content.decode()
    assert "Assign administrative access to companies you support" in body
    assert 'value="yes" id="id_assign_0" checked' in body
    assert 'value="limited" id="id_level_1" checked' in body


def test_yes_without_a_level_is_refused_with_a_message(client, world):
    sign_in(client, world.alex)
    response = client.post(url_of("staff-edit", world), {"assign": "yes"})
    assert response.status_code == 400
    assert (
        "Choose Full administration, Limited administration or through teams."
        in response.content.decode()
    )
    assert not AgentAccess.objects.filter(user=world.adele).exists()


def test_no_removes_access(client, world):
    sign_in(client, world.alex)
    url = reverse("delegation:staff-edit", kwargs={"user_id": world.full.pk})
    response = client.post(url, {"assign": "no", "level": "full"})
    assert response.status_code == 302
    assert AgentAccess.objects.get(user=world.full).level == "none"


def test_a_partner_admin_cannot_raise_its_own_access_on_the_page(client, world):
    # given: another admin it can ask (four eyes)
    make_partner_user(world.partner, roles=[Role.GLOBAL_ADMIN])
    sign_in(client, world.alex)
    url = reverse("delegation:staff-edit", kwargs={"user_id": world.alex.pk})
    response = client.post(url, {"assign": "yes", "level": "full"})
    assert response.status_code == 400
    assert "cannot raise your own delegated access" in response.content.decode()
    assert not AgentAccess.objects.filter(user=world.alex).exists()


def test_saving_needs_a_recent_sign_in(client, world):
    # given: signed in, but not recently
    sign_in(client, world.alex)
    age_sign_in(client)
    # when
    response = client.post(url_of("staff-edit", world), {"assign": "yes", "level": "full"})
    # then
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert not AgentAccess.objects.filter(user=world.adele).exists()


def test_a_double_submit_changes_and_records_once(client, world):
    sign_in(client, world.alex)
    for _ in range(2):
        client.post(url_of("staff-edit", world), {"assign": "yes", "level": "limited"})
    assert AuditEvent.objects.filter(action=Action.AGENT_ACCESS_CHANGED).count() == 1


def test_access_given_takes_effect_on_the_agents_next_request(client, world):
    # given
    agent_client = client
    sign_in(agent_client, world.adele)
    admin_center = reverse("tenants:admin-center", kwargs={"tenant_id": world.contoso.pk})
    assert agent_client.get(admin_center).status_code == 404
    # when
    AgentAccess.objects.create(user=world.adele, level="limited")
    # then
    assert agent_client.get(admin_center).status_code == 200
    # when
    AgentAccess.objects.filter(user=world.adele).update(level="none")
    # then
    assert agent_client.get(admin_center).status_code == 404


# --- the lookup --------------------------------------------------------------------


def lookup(client, q, **params):
    return client.get(reverse("delegation:lookup"), {"q": q, **params})


def test_adele_with_limited_access_looks_up_contoso(client, world):
    # given
    AgentAccess.objects.create(user=world.adele, level="limited")
    sign_in(client, world.adele)
    # when
    response = lookup(client, "contoso.example")
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "Contoso" in body
    assert "contoso-eu.example" in body
    assert "Business Premium" in body
    assert "Global administrator" in body
    assert "Administer on behalf of" in body
    assert reverse("tenants:admin-center", kwargs={"tenant_id": world.contoso.pk}) in body


def test_the_lookup_card_says_which_domains_are_only_claimed(client, world):
    # given: a customer that signed up with a domain it has not proved yet
    AgentAccess.objects.create(user=world.adele, level="limited")
    Domain.objects.create(tenant=world.contoso, name="claimed.contoso.example")
    sign_in(client, world.adele)
    # when
    body = lookup(client, "claimed.contoso.example").content.decode()
    # then: it is found, and marked unverified; the verified ones are not
    assert "Contoso" in body
    assert "claimed.contoso.example" in body
    assert body.count("Unverified") == 1


@pytest.mark.parametrize(
    ("q", "miss"),
    [
        ("northwind.example", "nothing.example"),
        ("Northwind", "Nothing"),
        ("nestor@northwind.example", "nobody@nothing.example"),
    ],
)
def test_another_partners_customer_answers_exactly_like_a_miss(client, world, q, miss):
    # given
    make_user(world.northwind, email="nestor@northwind.example")
    sign_in(client, world.full)
    # when: a miss of the same shape (the page's hint depends on the shape only)
    hidden = lookup(client, q).content.decode().replace(q, "QUERY")
    missing = lookup(client, miss).content.decode().replace(miss, "QUERY")
    # then
    assert "No customer found" in hidden
    assert "Northwind" not in hidden
    assert _strip_tokens(hidden) == _strip_tokens(missing)


def _strip_tokens(html):
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_the_other_partners_agent_finds_its_own_customer_not_ours(client, world):
    sign_in(client, world.other_agent)
    assert "Northwind" in lookup(client, "northwind").content.decode()
    assert "No customer found" in lookup(client, "contoso").content.decode()


@pytest.mark.parametrize(
    "status_change",
    [
        {"status": RelationshipStatus.TERMINATED},
        {"status": RelationshipStatus.EXPIRED},
        {"expires": timezone.now() - timedelta(minutes=1)},
    ],
)
def test_an_ended_relationship_is_marked_and_loses_its_actions_on_the_next_request(
    client, world, status_change
):
    # given
    sign_in(client, world.full)
    admin_center = reverse("tenants:admin-center", kwargs={"tenant_id": world.contoso.pk})
    assert "Administer on behalf of" in lookup(client, "contoso").content.decode()
    assert client.get(admin_center).status_code == 200
    # when
    Relationship.objects.filter(pk=world.relationship.pk).update(
        starts=timezone.now() - timedelta(days=1), **status_change
    )
    # then
    body = lookup(client, "contoso").content.decode()
    assert "Contoso" in body
    assert "Terminated" in body or "Expired" in body
    assert "Administer on behalf of" not in body
    assert "Business Premium" not in body
    assert admin_center not in body
    assert client.get(admin_center).status_code == 404


def test_a_partner_admin_without_a_level_finds_customers_but_gets_no_actions(client, world):
    sign_in(client, world.alex)
    body = lookup(client, "contoso").content.decode()
    assert "Contoso" in body
    assert "Administer on behalf of" not in body


@pytest.mark.parametrize("persona", ["limited", "full"])
def test_all_three_actions_show_when_the_pages_exist_and_rights_allow(client, world, persona):
    sign_in(client, getattr(world, persona))
    body = lookup(client, "contoso").content.decode()
    tid = world.contoso.pk
    assert reverse("tenants:admin-center", kwargs={"tenant_id": tid}) in body
    assert reverse("tenants:service-request-create", kwargs={"tenant_id": tid}) in body
    assert reverse("tenants:administrators", kwargs={"tenant_id": tid}) in body


def test_no_action_shows_for_an_ended_relationship_even_when_the_pages_exist(client, world):
    Relationship.objects.filter(pk=world.relationship.pk).update(
        status=RelationshipStatus.TERMINATED
    )
    sign_in(client, world.full)
    body = lookup(client, "contoso").content.decode()
    assert "Create service requests" not in body
    assert "Show all administrators" not in body


def test_an_empty_or_too_long_query_shows_the_form_only(client, world):
    sign_in(client, world.full)
    assert "found" not in lookup(client, "").content.decode()
    response = lookup(client, "x" * 300)
    assert response.status_code == 200
    assert "Ensure this value has at most 254 characters" in response.content.decode()


def add_customers(partner, n, prefix="Bulk"):
    for i in range(n):
        tenant = make_tenant(name=f"{prefix} {i:03}")
        Subscription.objects.create(tenant=tenant, plan="Business Basic", seats=5)
        make_relationship(partner, tenant, accepted_by=make_user(tenant))


def test_many_matches_page_by_name_there_and_back(client, world):
    # given: names that sort differently by case and by byte
    size = LOOKUP_PAGE_SIZE
    add_customers(world.partner, size + 5)
    Tenant.objects.filter(name="Bulk 003").update(name="bULK 003")
    sign_in(client, world.full)
    # when
    first = lookup(client, "bulk")
    second = lookup(client, "bulk", after=first.context["page"].next_after)
    back = lookup(client, "bulk", before=second.context["page"].previous_before)
    # then
    names = [t.name for t in first.context["page"].tenants]
    assert names == [f"Bulk {i:03}" if i != 3 else "bULK 003" for i in range(size)]
    assert [t.name for t in second.context["page"].tenants] == [
        f"Bulk {i:03}" for i in range(size, size + 5)
    ]
    assert [t.name for t in back.context["page"].tenants] == names
    first_html = first.content.decode()
    assert f"More than {size} customers found" in first_html
    assert f"?q=bulk&amp;after={first.context['page'].next_after}" in first_html
    assert second.context["page"].next_after is None
    assert back.context["page"].previous_before is None


def test_a_page_cursor_of_another_partners_customer_finds_nothing(client, world):
    # given: a customer of another partner only, named like the partner's own
    add_customers(world.partner, 3)
    stranger = make_tenant(name="Bulk 001a")
    sign_in(client, world.full)
    # when
    response = lookup(client, "bulk", after=stranger.pk)
    # then
    assert response.status_code == 200
    assert response.context["page"].tenants == []
    assert "No customer found" in response.content.decode()


def test_a_malformed_page_cursor_is_ignored(client, world):
    add_customers(world.partner, 3)
    sign_in(client, world.full)
    response = lookup(client, "bulk", after="not-a-uuid", before="'; drop table")
    assert response.status_code == 200
    assert "3 customers found" in response.content.decode()


# Each: the session, then the user (with tenant, roles, mfa, level), then as said.
LOOKUP_QUERIES = 6  # page, rels, domains, plans
CUSTOMERS_QUERIES = 5  # count, page, default domains
STAFF_QUERIES = 6  # count, page, role assignments, team memberships


def test_the_lookup_query_count_is_pinned_and_does_not_grow(
    client, world, django_assert_num_queries
):
    # given
    add_customers(world.partner, 1)
    sign_in(client, world.full)
    url = reverse("delegation:lookup")
    # then
    with django_assert_num_queries(LOOKUP_QUERIES):
        assert client.get(url, {"q": "bulk"}).status_code == 200
    # when: 50 more matching customers, each with a subscription and domain
    add_customers(world.partner, 50)
    # then
    with django_assert_num_queries(LOOKUP_QUERIES):
        response = client.get(url, {"q": "bulk"})
    assert f"More than {LOOKUP_PAGE_SIZE} customers found" in response.content.decode()


def test_the_customers_page_lists_every_relationship_with_status_and_end(client, world):
    # given
    ended = make_tenant(name="Alpine Ski House")
    make_relationship(world.partner, ended, status=RelationshipStatus.TERMINATED)
    sign_in(client, world.limited)
    # when
    body = client.get(reverse("delegation:customers")).content.decode()
    # then
    assert "Contoso" in body
    assert "Alpine Ski House" in body
    assert "Active" in body
    assert "Terminated" in body
    assert world.relationship.expires.strftime("%-d %b %Y") in body
    assert "Northwind" not in body


def test_the_customers_page_query_count_is_pinned_and_does_not_grow(
    client, world, django_assert_num_queries
):
    sign_in(client, world.alex)
    url = reverse("delegation:customers")
    with django_assert_num_queries(CUSTOMERS_QUERIES):
        client.get(url)
    add_customers(world.partner, 50)
    with django_assert_num_queries(CUSTOMERS_QUERIES):
        response = client.get(url)
    assert "Page 1 of 3" in response.content.decode()


def test_the_staff_page_query_count_is_pinned_and_does_not_grow(
    client, world, django_assert_num_queries
):
    sign_in(client, world.alex)
    url = reverse("delegation:staff")
    with django_assert_num_queries(STAFF_QUERIES):
        client.get(url)
    for _ in range(30):
        make_partner_user(world.partner, level="limited", roles=[Role.USER_ADMIN])
    with django_assert_num_queries(STAFF_QUERIES):
        response = client.get(url)
    assert "Page 1 of 2" in response.content.decode()


def test_the_nav_offers_lookup_and_customers_and_users_to_admins_only(client, world):
    sign_in(client, world.full)
    body = client.get(reverse("delegation:partner-overview")).content.decode()
    assert reverse("delegation:lookup") in body
    assert reverse("delegation:customers") in body
    assert reverse("delegation:staff") not in body
    client.logout()
    sign_in(client, world.alex)
    body = client.get(reverse("delegation:partner-overview")).content.decode()
    assert reverse("delegation:staff") in body
    client.logout()
    sign_in(client, world.adele)
    body = client.get(reverse("delegation:partner-overview")).content.decode()
    assert reverse("delegation:lookup") not in body


def test_the_access_choices_read_as_written(client, world):
    # given: plain labels, not described choices
    sign_in(client, world.alex)
    # when
    body = client.get(url_of("staff-edit", world)).content.decode()
    # then: neither title-cased nor given an empty description
    assert "Full administration — the privileges of a global admin" in body
    assert "Full Administration — The Privileges" not in body
    assert "<strong>Yes</strong> — <" not in body
