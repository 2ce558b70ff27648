"""A partner admin's own delegated access: four eyes where there is a second admin, and
no dead end for a partner's only admin."""

from types import SimpleNamespace

import pytest
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import AgentAccess
from tenants.models import OutboundEmail
from tenants.roles import Role
from tests.factories import (
    age_sign_in,
    make_partner,
    make_partner_user,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    partner = make_partner(name="Fabrikam Partners", domain="fabrikam.example")
    partner.contact_email = "office@fabrikam.example"
    partner.save(update_fields=["contact_email"])
    return SimpleNamespace(
        partner=partner,
        alex=make_partner_user(partner, email="alex@fabrikam.example", roles=[Role.GLOBAL_ADMIN]),
    )


# --- the only admin's own access ------------------------------------------------------------


def test_the_only_admin_grants_itself_access_after_signing_in_again_and_is_told(client, world):
    # given: Alex, the only admin, signed in just now
    sign_in(client, world.alex)
    url = reverse("delegation:staff-edit", kwargs={"user_id": world.alex.pk})
    assert "only admin" in client.get(url).content.decode()
    # when
    response = client.post(url, {"assign": "yes", "level": "full"})
    # then
    assert response.status_code == 302
    assert AgentAccess.objects.get(user=world.alex).level == "full"
    event = AuditEvent.objects.get(action=Action.AGENT_ACCESS_CHANGED)
    assert (event.actor_id, event.target_id) == (world.alex.pk, str(world.alex.pk))
    assert event.changes == {"level": ["none", "full"]}
    mails = OutboundEmail.objects.filter(kind="self_access")
    assert set(mails.values_list("to", flat=True)) == {
        "office@fabrikam.example",
        "alex@fabrikam.example",
    }
    assert all("Full administration" in m.body_text for m in mails)


def test_the_only_admin_must_sign_in_again_first(client, world):
    sign_in(client, world.alex)
    age_sign_in(client)
    url = reverse("delegation:staff-edit", kwargs={"user_id": world.alex.pk})
    response = client.post(url, {"assign": "yes", "level": "full"})
    assert "reauthenticate" in response["Location"]
    assert not AgentAccess.objects.filter(user=world.alex).exists()
    assert not OutboundEmail.objects.exists()


def test_with_a_second_enabled_admin_the_old_refusal_holds(client, world):
    make_partner_user(world.partner, roles=[Role.GLOBAL_ADMIN])
    sign_in(client, world.alex)
    url = reverse("delegation:staff-edit", kwargs={"user_id": world.alex.pk})
    response = client.post(url, {"assign": "yes", "level": "full"})
    assert response.status_code == 400
    assert "Ask another partner admin" in response.content.decode()
    assert not AgentAccess.objects.filter(user=world.alex).exists()
    assert not OutboundEmail.objects.exists()
