"""seed_scale: a platform-sized data set by COPY, whose audit chain verifies."""

import io
from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.test import Client

from audit.actions import Action
from audit.models import AuditChainHead, AuditEvent
from audit.services import GENESIS_HASH, audit_record, compute_hash
from bench.pages import BASELINE, PAGES, Data
from bench.prepare import session_cookie
from delegation.access import rights
from delegation.models import AccessAssignment, AgentAccess, Relationship, Team
from offers.models import Offer
from tenants.management.commands.seed_scale import (
    BIG_CUSTOMER_DOMAIN,
    MAIN_PARTNER_DOMAIN,
    MAIN_PARTNER_TEAM_AGENT,
    SeededEvent,
    Sizes,
    _text,
)
from tenants.models import Domain, RoleAssignment, Subscription, Tenant, TenantKind, User
from tenants.roles import Permission, Role

pytestmark = pytest.mark.django_db

TINY = {
    "tenants": 300,
    "users": 2_000,
    "relationships": 40,
    "big_tenant_users": 400,
    "audit_events": 1_500,
    "offers": 12,
}


def seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_scale", stdout=out, **{**TINY, **options})
    return out.getvalue()


def test_sizes_scale_every_default_and_spread_the_users():
    # when
    sizes = Sizes().scaled(0.1)
    # then
    assert sizes == Sizes(10_000, 100_000, 1_000, 10_000, 100_000, 100)
    per_tenant = sizes.users_per_tenant()
    assert sum(per_tenant) == 100_000
    assert per_tenant[sizes.partners] == 10_000  # the big customer
    assert min(per_tenant) >= 1


def test_seed_scale_refuses_anything_but_postgresql():
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("runs on SQLite: checks the refusal there")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        seed()


def test_a_seeded_event_fills_every_column_of_an_audit_event_but_its_id():
    columns = {f.column for f in AuditEvent._meta.concrete_fields}
    assert set(SeededEvent._fields) == columns - {AuditEvent._meta.pk.column}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        ("back\\slash\ttab\nnew\rreturn", "back\\\\slash\\ttab\\nnew\\rreturn"),
        (None, "\\N"),
        (True, "t"),
        (False, "f"),
        (0, "0"),
        (12, "12"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05+00:00"),
        (date(2026, 1, 2), "2026-01-02"),
        ({"a": ["b\tc", "é"]}, '{"a": ["b\\\\tc", "é"]}'),
        (["x"], '["x"]'),
        (UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    ],
)
def test_a_value_is_written_in_copys_text_format(value, text):
    assert _text(value) == text


@pytest.mark.postgres
def test_seed_scale_loads_every_model_in_the_asked_sizes():
    # when
    output = seed()
    # then
    assert "Seeded" in output
    assert Tenant.objects.count() == 300
    assert Tenant.objects.filter(kind=TenantKind.PARTNER).count() == 3
    assert User.objects.count() == 2_000
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == 2_000
    assert Domain.objects.filter(is_default=True).count() == 300
    assert Subscription.objects.exists()
    assert RoleAssignment.objects.filter(role=Role.GLOBAL_ADMIN).count() == 300
    partner = Tenant.objects.get(domains__name=MAIN_PARTNER_DOMAIN)
    big = Tenant.objects.get(domains__name=BIG_CUSTOMER_DOMAIN)
    assert big.users.count() == 400
    assert Relationship.objects.effective().filter(partner=partner).count() == 40
    assert Relationship.objects.effective().filter(partner=partner, customer=big).exists()
    assert AgentAccess.objects.filter(user__tenant=partner, level="full").exists()
    assert AgentAccess.objects.filter(user__tenant=partner, level="limited").exists()
    assert Authenticator.objects.filter(user__tenant=partner).count() == partner.users.count()
    assert Offer.objects.filter(partner=partner).count() == 12
    assert AuditEvent.objects.filter(tenant=big).count() == 1_500


@pytest.mark.postgres
def test_a_staff_member_in_teams_mode_reaches_every_active_customer_through_one_team():
    # when
    seed()
    # then: 20 teams of the partner, the agent in each, in Teams mode and with TOTP
    partner = Tenant.objects.get(domains__name=MAIN_PARTNER_DOMAIN)
    agent = User.objects.get(email=MAIN_PARTNER_TEAM_AGENT)
    assert agent.tenant == partner
    assert agent.agent_access.level == "teams"
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
    assert Team.objects.filter(partner=partner).count() == 20
    assert agent.team_memberships.filter(team__partner=partner).count() == 20
    # then: each active relationship of the partner is held by exactly one team, with
    # roles (of several kinds across the teams) and no default assignment
    active = Relationship.objects.effective().filter(partner=partner)
    assignments = AccessAssignment.objects.filter(team__partner=partner)
    assert sorted(assignments.values_list("relationship_id", flat=True)) == sorted(
        active.values_list("pk", flat=True)
    )
    assert assignments.exclude(roles=[]).count() == 40
    assert len({tuple(roles) for roles in assignments.values_list("roles", flat=True)}) > 3
    assert assignments.values("team").distinct().count() == 20
    # then: the rule gives it rights through a team, and none in another partner's customer
    big = Tenant.objects.get(domains__name=BIG_CUSTOMER_DOMAIN)
    through_team = rights(agent, big)
    assert Permission.VIEW_TENANT in through_team
    assert through_team.teams == ("Helpdesk EU 1",)
    far = active.exclude(customer=big).order_by("pk").first()
    assert far is not None
    assert Permission.VIEW_TENANT in rights(agent, far.customer)
    elsewhere = (
        Relationship.objects.effective()
        .exclude(partner=partner)
        .exclude(customer__in=Relationship.objects.filter(partner=partner).values("customer"))
        .select_related("customer")
        .first()
    )
    assert elsewhere is not None
    assert not rights(agent, elsewhere.customer)


@pytest.mark.postgres
def test_every_seeded_user_can_sign_in_with_the_one_password():
    # given
    seed()
    user = User.objects.order_by("?").first()
    # then
    assert user is not None
    assert user.check_password("portal-scale-2026")


@pytest.mark.postgres
def test_the_seeded_audit_chain_verifies_event_by_event():
    # given
    seed()
    big = Tenant.objects.get(domains__name=BIG_CUSTOMER_DOMAIN)
    # when: the chain is walked as a verifier walks it
    prev = GENESIS_HASH
    expected_seq = 1
    for event in AuditEvent.objects.filter(tenant=big).order_by("seq").iterator():
        assert event.seq == expected_seq
        assert event.prev_hash == prev
        assert compute_hash(prev, event) == event.hash
        prev = event.hash
        expected_seq += 1
    # then
    head = AuditChainHead.objects.get(tenant=big)
    assert (head.seq, head.hash) == (1_500, prev)


@pytest.mark.postgres
def test_seed_scale_refuses_to_mix_data_sets_and_reuses_or_resets():
    # given
    seed()
    # then: a second run would mix two data sets
    with pytest.raises(CommandError, match="--reset"):
        seed()
    # when: the same sizes are already there, and the portal has been used since
    big = Tenant.objects.get(domains__name=BIG_CUSTOMER_DOMAIN)
    audit_record(tenant=big, action=Action.SIGN_IN)
    assert "already present" in seed(if_needed=True)
    assert User.objects.count() == 2_000
    assert AuditEvent.objects.count() == 1_501
    # when: the benchmark has added its platform operator (and its tenant)
    Data().operator  # noqa: B018 - made on first use
    # then: the set is still the one seeded
    assert "already present" in seed(if_needed=True)
    # when: a set seeded before the partner had teams is not this one
    AccessAssignment.objects.all().delete()
    # then
    with pytest.raises(CommandError, match="--reset"):
        seed(if_needed=True)
    # when: another size, from scratch
    seed(reset=True, users=1_000, big_tenant_users=100)
    # then
    assert User.objects.count() == 1_000
    assert Tenant.objects.count() == 300


@pytest.mark.postgres
def test_the_benchmark_finds_its_pages_and_signs_in_on_seeded_data(settings):
    # given
    seed()
    settings.BENCHMARK_ENDPOINTS = True
    data = Data()
    # then: every parameter the listed (and the prepared) pages need is found
    assert data.customer_domain().endswith(".example")
    assert data.far_customer != data.big_customer
    assert data.far_customer.partner_relationships.filter(partner=data.partner).exists()
    assert "@" in data.user_email()
    assert Tenant.objects.filter(name__icontains=data.name_fragment()).count() > 1
    assert data.offer.current_status == "active"
    assert data.big_customer_user_count == 400
    resolved = [page.resolve(data) for page in [BASELINE, *PAGES]]
    assert all(r["path"].startswith("/") and "{" not in r["path"] for r in resolved)
    # when: a session is written as bench.prepare writes it
    client = Client()
    name, value = session_cookie(data.agent).split("=", 1)
    client.cookies[name] = value
    # then: the agent is signed in with both factors and reaches the pages
    assert client.get("/_baseline/").status_code == 200
    assert client.get(f"/t/{data.big_customer.pk}/").status_code == 200
    assert client.session["account_authentication_methods"][-1]["method"] == "mfa"
    # when: the same for the agent in Teams mode
    client = Client()
    name, value = session_cookie(data.user("team_agent")).split("=", 1)
    client.cookies[name] = value
    # then: it reaches its pages, and the lookup finds the customer through its team
    assert client.session["account_authentication_methods"][-1]["method"] == "mfa"
    for page in PAGES:
        if page.session == "team_agent":
            assert client.get(page.resolve(data)["path"]).status_code == 200
    found = client.get(f"/partner/lookup/?q={data.customer_domain()}")
    assert data.far_customer.name in found.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seed_scale_vacuums_what_it_loaded_outside_a_transaction():
    from django.db import connection

    # when
    output = seed()
    # then: the visibility map is set, as autovacuum leaves a table in service
    assert "vacuum and analyze" in output
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE relname = %s",
            [User._meta.db_table],
        )
        pages, all_visible = cursor.fetchone()
    assert pages > 0
    assert all_visible == pages


@pytest.mark.postgres
def test_inside_a_transaction_seed_scale_only_analyzes():
    output = seed()
    assert "analyze" in output
    assert "vacuum" not in output
