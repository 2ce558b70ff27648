"""The partner's own users: add with an invitation, edit, disable and enable."""

import re
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import AgentAccess
from tenants.models import Domain, OutboundEmail, User
from tenants.roles import Role
from tests.factories import (
    PASSWORD,
    age_sign_in,
    make_partner,
    make_partner_user,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-passphrase-2026"
LINK_RE = re.compile(r"http://testserver(/accounts/password/reset/key/\S+)")


@pytest.fixture
def world():
    partner = make_partner(name="Fabrikam Partners", domain="fabrikam.example")
    partner.contact_email = "office@fabrikam.example"
    partner.save(update_fields=["contact_email"])
    Domain.objects.create(tenant=partner, name="fabrikam-eu.example", verified=True)
    Domain.objects.create(tenant=partner, name="unproven.example", verified=False)
    customer = make_tenant(name="Contoso", domain="contoso.example")
    return SimpleNamespace(
        partner=partner,
        alex=make_partner_user(partner, email="alex@fabrikam.example", roles=[Role.GLOBAL_ADMIN]),
        adele=make_partner_user(partner, email="adele@fabrikam.example", first_name="Adele"),
        limited=make_partner_user(partner, level="limited"),
        megan=make_user(customer, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN]),
    )


def add_url():
    return reverse("delegation:staff-add")


def form(**overrides):
    data = {
        "first_name": "Lee",
        "last_name": "Gu",
        "email": "lee@fabrikam-eu.example",
        "assign": "yes",
        "level": "limited",
    }
    data.update(overrides)
    return data


def snapshot():
    return (User.objects.count(), AgentAccess.objects.count(), AuditEvent.objects.count(),
            OutboundEmail.objects.count())  # fmt: skip


# --- add -----------------------------------------------------------------------------------


def test_an_admin_adds_staff_who_follows_the_mailed_link_and_signs_in(client, world):
    # given
    sign_in(client, world.alex)
    # when
    response = client.post(add_url(), form())
    # then: a row, its access, both audited on the partner's side
    assert response.status_code == 302
    assert response["Location"] == reverse("delegation:staff")
    lee = User.objects.get(email="lee@fabrikam-eu.example")
    assert lee.tenant == world.partner
    assert (lee.first_name, lee.last_name) == ("Lee", "Gu")
    assert not lee.has_usable_password()
    assert AgentAccess.objects.get(user=lee).level == "limited"
    events = AuditEvent.objects.filter(target_id=str(lee.pk)).order_by("seq")
    assert [(e.action, e.tenant_id, e.actor_id) for e in events] == [
        (Action.USER_CREATED, world.partner.pk, world.alex.pk),
        (Action.AGENT_ACCESS_CHANGED, world.partner.pk, world.alex.pk),
    ]
    assert "Lee Gu" in client.get(reverse("delegation:staff")).content.decode()
    # and an invitation in the outbox, with a link to choose a password
    mail = OutboundEmail.objects.get(to="lee@fabrikam-eu.example")
    assert "Fabrikam Partners" in mail.subject
    assert "Fabrikam Partners" in mail.body_html
    found = LINK_RE.search(mail.body_text)
    assert found, mail.body_text
    path = found.group(1)
    # when: Lee follows it
    lee_client = Client()
    page = lee_client.get(path, follow=True)
    assert "Welcome to Partner Portal, Fabrikam Partners: choose your password" in (
        page.content.decode()
    )
    form_path = page.redirect_chain[-1][0]
    done = lee_client.post(form_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    # then: the password is set, and signing in leads to MFA enrolment
    assert done.status_code == 302
    lee.refresh_from_db()
    assert lee.check_password(NEW_PASSWORD)
    signed_in = lee_client.post(
        reverse("account_login"), {"login": lee.email, "password": NEW_PASSWORD}
    )
    assert signed_in["Location"] == reverse("delegation:partner-overview")
    assert lee_client.get(signed_in["Location"])["Location"] == reverse("mfa_index")
    # and the link was single-use
    again = Client().get(path, follow=True)
    assert "Link not valid" in again.content.decode()


def test_the_invitation_link_expires(client, world, settings):
    # given
    sign_in(client, world.alex)
    client.post(add_url(), form())
    found = LINK_RE.search(OutboundEmail.objects.get(to="lee@fabrikam-eu.example").body_text)
    assert found
    # when: its validity has run out
    settings.PASSWORD_RESET_TIMEOUT = -1
    page = Client().get(found.group(1), follow=True)
    # then
    assert "Link not valid" in page.content.decode()
    assert "choose your password" not in page.content.decode()


def test_staff_added_with_no_access_has_no_access_row(client, world):
    sign_in(client, world.alex)
    response = client.post(add_url(), form(assign="no", level=""))
    assert response.status_code == 302
    lee = User.objects.get(email="lee@fabrikam-eu.example")
    assert not AgentAccess.objects.filter(user=lee).exists()
    assert OutboundEmail.objects.filter(to=lee.email).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (form(email="lee@contoso.example"), "email", "verified domains"),
        (form(email="lee@unproven.example"), "email", "verified domains"),
        (form(email="adele@fabrikam.example"), "email", "already exists"),
        (form(email="ADELE@Fabrikam.example"), "email", "already exists"),
        (form(email="not an address"), "email", "valid email"),
        (form(first_name=""), "first_name", "required"),
        (
            form(level=""),
            "level",
            "Choose Full administration, Limited administration or through teams",
        ),
        (form(assign="maybe"), "assign", "valid choice"),
        (form(level="owner"), "level", "valid choice"),
        (form(email="x" * 300 + "@fabrikam.example"), "email", "at most 254"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_writes_nothing(
    client, world, data, field, message
):
    # given
    sign_in(client, world.alex)
    before = snapshot()
    # when
    response = client.post(add_url(), data)
    # then
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_double_submit_adds_one_user_and_says_so_the_second_time(client, world):
    sign_in(client, world.alex)
    first = client.post(add_url(), form())
    second = client.post(add_url(), form())
    assert first.status_code == 302
    assert second.status_code == 400
    assert "already exists" in second.content.decode()
    assert User.objects.filter(email="lee@fabrikam-eu.example").count() == 1
    assert OutboundEmail.objects.filter(to="lee@fabrikam-eu.example").count() == 1


def test_adding_needs_a_recent_sign_in(client, world):
    sign_in(client, world.alex)
    age_sign_in(client)
    response = client.post(add_url(), form())
    assert "reauthenticate" in response["Location"]
    assert not User.objects.filter(email="lee@fabrikam-eu.example").exists()


# --- edit ----------------------------------------------------------------------------------


def test_an_admin_edits_a_name_and_access_and_each_is_audited(client, world):
    sign_in(client, world.alex)
    url = reverse("delegation:staff-edit", kwargs={"user_id": world.adele.pk})
    page = client.get(url).content.decode()
    assert 'value="Adele"' in page
    response = client.post(
        url, {"first_name": "Adele", "last_name": "Vance", "assign": "yes", "level": "full"}
    )
    assert response.status_code == 302
    world.adele.refresh_from_db()
    assert world.adele.last_name == "Vance"
    assert AgentAccess.objects.get(user=world.adele).level == "full"
    updated = AuditEvent.objects.get(action=Action.USER_UPDATED)
    assert updated.tenant_id == world.partner.pk
    assert updated.changes == {"last_name": ["", "Vance"]}
    assert AuditEvent.objects.filter(action=Action.AGENT_ACCESS_CHANGED).count() == 1


def test_editing_a_staff_member_in_teams_mode_keeps_it_there(client, world):
    # given: a staff member whose access comes through its teams
    nina = make_partner_user(world.partner, level="teams", first_name="Nina")
    sign_in(client, world.alex)
    url = reverse("delegation:staff-edit", kwargs={"user_id": nina.pk})
    page = client.get(url).content.decode()
    assert re.search(r'value="teams"[^>]*checked', page)
    # when: only the name changes
    response = client.post(
        url, {"first_name": "Nina", "last_name": "Lindqvist", "assign": "yes", "level": "teams"}
    )
    # then
    assert response.status_code == 302
    assert AgentAccess.objects.get(user=nina).level == "teams"
    assert not AuditEvent.objects.filter(action=Action.AGENT_ACCESS_CHANGED).exists()


# --- disable and enable ---------------------------------------------------------------------


def test_a_disabled_member_is_signed_out_and_cannot_sign_in_until_enabled(client, world):
    # given: Adele is signed in elsewhere
    adele_client = Client()
    sign_in(adele_client, world.adele)
    assert adele_client.get(reverse("tenants:profile")).status_code == 200
    sign_in(client, world.alex)
    # when
    response = client.post(reverse("delegation:staff-disable", args=[world.adele.pk]))
    # then
    assert response.status_code == 302
    world.adele.refresh_from_db()
    assert not world.adele.is_active
    event = AuditEvent.objects.get(action=Action.USER_DISABLED)
    assert (event.tenant_id, event.actor_id) == (world.partner.pk, world.alex.pk)
    assert adele_client.get(reverse("tenants:profile"))["Location"].startswith(
        reverse("account_login")
    )
    refused = Client().post(
        reverse("account_login"), {"login": world.adele.email, "password": PASSWORD}
    )
    assert refused["Location"] == reverse("account_inactive")
    # when: enabled again
    response = client.post(reverse("delegation:staff-enable", args=[world.adele.pk]))
    assert response.status_code == 302
    world.adele.refresh_from_db()
    assert world.adele.is_active
    assert AuditEvent.objects.filter(action=Action.USER_ENABLED).count() == 1
    welcome = Client().post(
        reverse("account_login"), {"login": world.adele.email, "password": PASSWORD}
    )
    assert welcome["Location"] == reverse("mfa_authenticate")


def test_an_admin_cannot_disable_itself(client, world):
    sign_in(client, world.alex)
    response = client.post(reverse("delegation:staff-disable", args=[world.alex.pk]), follow=True)
    assert "You cannot disable or enable yourself" in response.content.decode()
    world.alex.refresh_from_db()
    assert world.alex.is_active


def test_the_last_enabled_partner_admin_stays_enabled(world):
    from django.core.exceptions import ValidationError

    from delegation.services import staff_set_enabled

    # given: a second admin, who is disabled; so Alex is the last enabled one
    lee = make_partner_user(world.partner, roles=[Role.GLOBAL_ADMIN])
    staff_set_enabled(partner_admin=world.alex, staff_user=lee, enabled=False)
    # then: nobody may disable Alex (not itself; no other enabled admin exists to try)
    with pytest.raises(ValidationError):
        staff_set_enabled(partner_admin=world.alex, staff_user=world.alex, enabled=False)
    world.alex.refresh_from_db()
    assert world.alex.is_active


def test_disabling_needs_a_recent_sign_in(client, world):
    sign_in(client, world.alex)
    age_sign_in(client)
    response = client.post(reverse("delegation:staff-disable", args=[world.adele.pk]))
    assert "reauthenticate" in response["Location"]
    world.adele.refresh_from_db()
    assert world.adele.is_active


# --- who reaches these pages ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["limited", "adele", "megan"])
@pytest.mark.parametrize("name", ["staff-add", "staff-disable", "staff-enable"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_partner_admins_reach_the_staff_pages(client, world, persona, name, method):
    sign_in(client, getattr(world, persona))
    args = [] if name == "staff-add" else [world.adele.pk]
    before = snapshot()
    response = getattr(client, method)(reverse(f"delegation:{name}", args=args), form())
    assert response.status_code == 404
    assert snapshot() == before


def test_a_partner_without_a_verified_domain_is_shown_where_to_verify_one(client):
    partner = make_partner(name="Litware Partners", domain="litware.example")
    Domain.objects.filter(tenant=partner).update(verified=False)
    admin = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    sign_in(client, admin)
    body = client.get(reverse("delegation:staff-add")).content.decode()
    domains = reverse("tenants:domains", kwargs={"tenant_id": partner.pk})
    assert f'href="{domains}"' in body
    assert client.get(domains).status_code == 200  # the partner's own admin center


def test_through_teams_is_offered_only_where_it_leads_somewhere(client):
    from delegation.models import Team

    partner = make_partner(name="Litware Partners", domain="litware.example")
    admin = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    staff = make_partner_user(partner, email="kim@litware.example")
    sign_in(client, admin)
    add, edit = reverse("delegation:staff-add"), reverse("delegation:staff-edit", args=[staff.pk])
    # no team yet: the choice would lead nowhere, and a forged one is refused
    assert 'value="teams"' not in client.get(add).content.decode()
    assert 'value="teams"' not in client.get(edit).content.decode()
    forged = client.post(edit, {"assign": "yes", "level": "teams"})
    assert forged.status_code == 400
    # with a team, it is offered
    Team.objects.create(partner=partner, name="Helpdesk")
    assert 'value="teams"' in client.get(add).content.decode()
    assert 'value="teams"' in client.get(edit).content.decode()
