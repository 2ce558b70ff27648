"""The admin center's Security page: a customer's global admin requires MFA of its admins."""

import pytest
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import AccessLevel
from tenants.roles import Role
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db


def security_url(tenant):
    return reverse("tenants:security", args=[tenant.pk])


def test_global_admin_sees_the_setting_and_the_nav_entry(client):
    # given
    customer = make_tenant()
    sign_in(client, make_user(customer, roles=[Role.GLOBAL_ADMIN]))
    # when
    response = client.get(security_url(customer))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "Require two-factor authentication of administrators" in html
    assert 'name="require_admin_mfa"' in html
    overview = client.get(reverse("tenants:admin-center", args=[customer.pk])).content.decode()
    assert f'href="{security_url(customer)}"' in overview


def test_turning_the_requirement_off_is_saved_and_audited_once(client):
    # given
    customer = make_tenant()
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    sign_in(client, admin)
    # when: submitted twice (a double click)
    for _ in range(2):
        response = client.post(security_url(customer), {})
        assert response.status_code == 302
        assert response["Location"] == security_url(customer)
    # then
    customer.refresh_from_db()
    assert customer.require_admin_mfa is False
    events = AuditEvent.objects.filter(tenant=customer, action=Action.TENANT_SETTINGS_CHANGED)
    assert events.count() == 1
    event = events.get()
    assert event.actor == admin
    assert event.changes == {"require_admin_mfa": [True, False]}
    assert event.relationship is None


def test_turning_it_back_on_leads_unenrolled_admins_to_enrolment(client):
    # given
    customer = make_tenant()
    customer.require_admin_mfa = False
    customer.save()
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    other_admin = make_user(customer, roles=[Role.USER_ADMIN])
    sign_in(client, admin)
    # when
    client.post(security_url(customer), {"require_admin_mfa": "on"})
    # then
    customer.refresh_from_db()
    assert customer.require_admin_mfa is True
    sign_in(client, other_admin, mfa=False)
    response = client.get(reverse("tenants:admin-center", args=[customer.pk]))
    assert response["Location"] == reverse("mfa_index")


def test_get_changes_nothing(client):
    customer = make_tenant()
    sign_in(client, make_user(customer, roles=[Role.GLOBAL_ADMIN]))
    client.get(security_url(customer), {"require_admin_mfa": ""})
    customer.refresh_from_db()
    assert customer.require_admin_mfa is True
    assert not AuditEvent.objects.filter(action=Action.TENANT_SETTINGS_CHANGED).exists()


@pytest.mark.parametrize("role", [Role.USER_ADMIN, Role.PASSWORD_ADMIN, Role.BILLING_ADMIN])
def test_other_admins_do_not_find_the_page(client, role):
    customer = make_tenant()
    sign_in(client, make_user(customer, roles=[role]))
    assert client.get(security_url(customer)).status_code == 404
    assert client.post(security_url(customer), {}).status_code == 404
    customer.refresh_from_db()
    assert customer.require_admin_mfa is True
    overview = client.get(reverse("tenants:admin-center", args=[customer.pk])).content.decode()
    assert security_url(customer) not in overview


def test_a_partner_agent_with_full_access_never_changes_it(client):
    # given: a relationship granting global admin, and an agent with Full access
    partner = make_partner()
    customer = make_tenant()
    make_relationship(partner, customer, roles=[Role.GLOBAL_ADMIN])
    agent = make_partner_user(partner, level=AccessLevel.FULL)
    sign_in(client, agent)
    # then
    assert client.get(reverse("tenants:admin-center", args=[customer.pk])).status_code == 200
    assert client.get(security_url(customer)).status_code == 404
    assert client.post(security_url(customer), {}).status_code == 404
    customer.refresh_from_db()
    assert customer.require_admin_mfa is True
    assert not AuditEvent.objects.filter(action=Action.TENANT_SETTINGS_CHANGED).exists()


def test_another_tenants_admin_does_not_find_it(client):
    customer = make_tenant()
    sign_in(client, make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN]))
    assert client.get(security_url(customer)).status_code == 404
    assert client.post(security_url(customer), {}).status_code == 404


def test_a_partner_tenant_always_requires_mfa(client):
    # given
    partner = make_partner()
    sign_in(client, make_partner_user(partner, roles=[Role.GLOBAL_ADMIN]))
    # when
    page = client.get(security_url(partner))
    response = client.post(security_url(partner), {}, follow=True)
    # then
    assert page.status_code == 200
    assert "cannot be turned off" in page.content.decode()
    assert "always requires two-factor authentication" in response.content.decode()
    partner.refresh_from_db()
    assert partner.require_admin_mfa is True
    assert not AuditEvent.objects.filter(action=Action.TENANT_SETTINGS_CHANGED).exists()


def test_changing_it_needs_a_recent_sign_in(client):
    # given: signed in an hour ago
    customer = make_tenant()
    sign_in(client, make_user(customer, roles=[Role.GLOBAL_ADMIN]))
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= 3600
    session.save()
    # then: the page can be read, but the change asks for the password first
    assert client.get(security_url(customer)).status_code == 200
    response = client.post(security_url(customer), {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    customer.refresh_from_db()
    assert customer.require_admin_mfa is True
