"""The audit log names the team through which an agent in Teams mode acted: the teams
that give the permission the act needed, recorded in the event, covered by its hash,
shown to the customer and exported."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditChainHead, AuditEvent
from audit.verify import verify_chain
from delegation.access import require, rights
from delegation.models import AccessLevel
from tenants.roles import Permission as P
from tenants.roles import Role
from tenants.services import user_add, user_password_reset
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_team,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    partner = make_partner(name="Fabrikam Partners")
    customer = make_tenant(name="Contoso")
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    relationship = make_relationship(partner, customer, roles=[Role.GLOBAL_ADMIN])
    nina = make_partner_user(partner, level=AccessLevel.TEAMS, first_name="Nina", last_name="Patel")
    # Helpdesk resets passwords everywhere; the project team administers Contoso's users.
    make_team(partner, "Helpdesk", members=[nina], assignments={None: [Role.PASSWORD_ADMIN]})
    make_team(
        partner, "Contoso project", members=[nina], assignments={relationship: [Role.USER_ADMIN]}
    )
    return customer, admin, nina


def last_event(customer, action: Action) -> AuditEvent:
    return AuditEvent.objects.filter(tenant=customer, action=action).latest("seq")


def test_an_act_names_only_the_teams_that_give_what_it_needed(world):
    customer, _, nina = world
    user, _ = user_add(
        acting_user=nina, tenant=customer, email=f"pat@{customer.default_domain.name}"
    )
    created = last_event(customer, Action.USER_CREATED)
    assert created.actor_partner_level == AccessLevel.TEAMS
    assert created.actor_teams == ["Contoso project"]  # Helpdesk creates no user
    user_password_reset(acting_user=nina, tenant=customer, user=user)
    reset = last_event(customer, Action.USER_PASSWORD_RESET)
    assert reset.actor_teams == ["Contoso project", "Helpdesk"]  # both reset passwords


def test_rights_checked_by_a_service_know_which_teams_gave_the_permission(world):
    customer, _, nina = world
    here = rights(nina, customer)
    assert here.acting_teams == ("Contoso project", "Helpdesk")  # nothing asked yet
    assert require(nina, customer, P.MANAGE_USERS).acting_teams == ("Contoso project",)
    assert require(nina, customer, P.RESET_PASSWORDS).acting_teams == (
        "Contoso project",
        "Helpdesk",
    )


def test_full_and_limited_agents_and_the_customers_own_admins_record_no_team(world):
    customer, admin, nina = world
    full = make_partner_user(nina.tenant, level=AccessLevel.FULL)
    user_add(acting_user=full, tenant=customer, email=f"a@{customer.default_domain.name}")
    assert last_event(customer, Action.USER_CREATED).actor_teams == []
    user_add(acting_user=admin, tenant=customer, email=f"b@{customer.default_domain.name}")
    assert last_event(customer, Action.USER_CREATED).actor_teams == []


def test_the_customer_reads_the_technician_and_the_team_and_exports_them(client, world):
    customer, admin, nina = world
    user_add(acting_user=nina, tenant=customer, email=f"pat@{customer.default_domain.name}")
    sign_in(client, admin)
    page = client.get(reverse("audit:log", args=[customer.pk])).content.decode()
    assert "Nina Patel (Fabrikam Partners, through Contoso project)" in page
    export = client.get(reverse("audit:export", args=[customer.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    created = next(r for r in rows if r["action"] == Action.USER_CREATED)
    assert created["actor_teams"] == "Contoso project"
    assert created["actor_partner_level"] == "teams"


def test_the_teams_are_covered_by_the_hash(world):
    customer, _, nina = world
    user_add(acting_user=nina, tenant=customer, email=f"pat@{customer.default_domain.name}")
    event = last_event(customer, Action.USER_CREATED)
    head = AuditChainHead.objects.get(tenant=customer)
    assert verify_chain(customer.pk, head).intact
    # Naming another team afterwards (under the database's guard, where there is one)
    # breaks the chain at that event.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE audit_auditevent SET actor_teams = %s WHERE id = %s",
            ['["Helpdesk"]', event.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
    report = verify_chain(customer.pk, head)
    assert report.broken_seq == event.seq
    assert report.reason == "hash mismatch"
