"""Django admin: a partner admin with admin access reaches only its own users, and only
their delegated access; platform operators reach everything."""

import pytest
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import AgentAccess
from tenants.models import Domain, OutboundEmail, Subscription, User
from tenants.roles import Role
from tests.factories import (
    enrol_totp,
    make_partner,
    make_partner_user,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return make_partner(name="Fabrikam Partners", domain="fabrikam.example")


@pytest.fixture
def alex(partner):
    return make_partner_user(
        partner, email="alex@fabrikam.example", roles=[Role.GLOBAL_ADMIN], is_staff=True
    )


@pytest.fixture
def adele(partner):
    return make_partner_user(partner, email="adele@fabrikam.example", first_name="Adele")


@pytest.fixture
def elsewhere():
    """Another partner's staff member and a customer, with their admin URLs' objects."""
    other = make_partner(name="Woodgrove")
    customer = make_tenant(name="Contoso")
    return {
        "partner": other,
        "staff": make_partner_user(other, email="kim@woodgrove.example"),
        "customer": customer,
        "customer_admin": make_user(
            customer, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN]
        ),
    }


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def inline_data(user, level, *, existing):
    return {
        "agent_access-TOTAL_FORMS": "1",
        "agent_access-INITIAL_FORMS": "1" if existing else "0",
        "agent_access-MIN_NUM_FORMS": "0",
        "agent_access-MAX_NUM_FORMS": "1",
        "agent_access-0-user": str(user.pk),
        "agent_access-0-level": level,
        "_save": "Save",
    }


def test_a_partner_admin_lists_only_its_own_tenants_users(client, alex, adele, elsewhere):
    sign_in(client, alex)
    response = client.get(reverse("admin:tenants_user_changelist"))
    body = response.content.decode()
    assert response.status_code == 200
    assert adele.email in body
    assert alex.email in body
    assert elsewhere["staff"].email not in body
    assert elsewhere["customer_admin"].email not in body


def test_a_partner_admin_sees_only_users_on_the_admin_index(client, alex):
    sign_in(client, alex)
    body = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:tenants_user_changelist") in body
    for name in ["tenant", "domain", "subscription", "outboundemail"]:
        assert reverse(f"admin:tenants_{name}_changelist") not in body


def test_a_partner_admin_changes_only_the_delegated_access_and_it_is_audited(
    client, partner, alex, adele
):
    # given
    sign_in(client, alex)
    url = change_url(adele)
    page = client.get(url).content.decode()
    assert 'name="agent_access-0-level"' in page
    assert 'name="email"' not in page
    assert 'name="is_active"' not in page
    # when: the level, and fields it may not change, crafted into the post
    data = inline_data(adele, "limited", existing=False)
    data.update({"email": "evil@fabrikam.example", "is_active": "", "is_superuser": "on"})
    response = client.post(url, data)
    # then
    assert response.status_code == 302
    adele.refresh_from_db()
    assert adele.email == "adele@fabrikam.example"
    assert adele.is_active
    assert not adele.is_superuser
    assert AgentAccess.objects.get(user=adele).level == "limited"
    event = AuditEvent.objects.get(action=Action.AGENT_ACCESS_CHANGED)
    assert (event.tenant_id, event.actor_id, event.changes) == (
        partner.pk,
        alex.pk,
        {"level": ["none", "limited"]},
    )


def test_changing_an_existing_level_in_admin_records_old_and_new(client, alex, adele):
    AgentAccess.objects.create(user=adele, level="limited")
    sign_in(client, alex)
    response = client.post(change_url(adele), inline_data(adele, "full", existing=True))
    assert response.status_code == 302
    assert AgentAccess.objects.get(user=adele).level == "full"
    event = AuditEvent.objects.get(action=Action.AGENT_ACCESS_CHANGED)
    assert event.changes == {"level": ["limited", "full"]}


def test_a_partner_admin_cannot_raise_its_own_access_in_admin(client, alex):
    sign_in(client, alex)
    response = client.post(change_url(alex), inline_data(alex, "full", existing=False))
    assert response.status_code == 200
    assert "cannot raise your own delegated access" in response.content.decode()
    assert not AgentAccess.objects.filter(user=alex).exists()


@pytest.mark.parametrize("target", ["staff", "customer_admin"])
def test_another_tenants_user_is_out_of_reach_through_crafted_admin_urls(
    client, alex, elsewhere, target
):
    # given
    victim = elsewhere[target]
    sign_in(client, alex)
    # when / then: change, history answer as for a missing user; the rest is forbidden
    for url in [change_url(victim), reverse("admin:tenants_user_history", args=[victim.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:tenants_user_delete", args=[victim.pk])).status_code == 403
    assert (
        client.get(reverse("admin:auth_user_password_change", args=[victim.pk])).status_code == 403
    )
    # and a crafted post changes nothing
    response = client.post(change_url(victim), inline_data(victim, "full", existing=False))
    assert response.status_code == 302
    assert not AgentAccess.objects.filter(user=victim).exists()
    assert not AuditEvent.objects.filter(action=Action.AGENT_ACCESS_CHANGED).exists()


def test_a_partner_admin_reaches_no_tenant_domain_subscription_or_outbox(
    client, partner, alex, elsewhere
):
    # given
    sign_in(client, alex)
    customer = elsewhere["customer"]
    subscription = Subscription.objects.create(tenant=customer, plan="Business Basic")
    mail = OutboundEmail.objects.create(to="x@contoso.example", subject="s", body_text="b")
    objects = [partner, customer, Domain.objects.get(tenant=customer), subscription, mail]
    # then
    for obj in objects:
        assert client.get(change_url(obj)).status_code == 403
        model = obj._meta.model_name
        assert client.get(reverse(f"admin:tenants_{model}_changelist")).status_code == 403
    assert client.get(reverse("admin:tenants_user_add")).status_code == 403
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "tenants", "model_name": "user", "field_name": "tenant", "term": "Con"},
    )
    assert autocomplete.status_code == 403


def test_a_partner_admin_cannot_set_passwords_or_delete_its_own_users(client, alex, adele):
    sign_in(client, alex)
    url = reverse("admin:auth_user_password_change", args=[adele.pk])
    assert client.get(url).status_code == 403
    post = {"password1": "another-long-pass-1", "password2": "another-long-pass-1"}
    assert client.post(url, post).status_code == 403
    assert client.post(reverse("admin:tenants_user_delete", args=[adele.pk])).status_code == 403
    assert User.objects.filter(pk=adele.pk).exists()


@pytest.mark.parametrize("who", ["partner_staff", "customer_admin"])
def test_staff_who_are_not_partner_admins_see_nothing(client, partner, elsewhere, who):
    user = (
        make_partner_user(partner, level="full", is_staff=True)
        if who == "partner_staff"
        else make_user(elsewhere["customer"], roles=[Role.GLOBAL_ADMIN], is_staff=True)
    )
    sign_in(client, user)
    assert client.get(reverse("admin:tenants_user_changelist")).status_code == 403
    assert client.get(change_url(user)).status_code == 403


def test_a_platform_operator_sees_everything_and_its_changes_are_audited(
    client, partner, adele, elsewhere
):
    # given
    operator = User.objects.create_superuser("ops@platform.example", "x" * 16)
    enrol_totp(operator)
    sign_in(client, operator)
    # then
    body = client.get(reverse("admin:tenants_user_changelist")).content.decode()
    assert adele.email in body
    assert elsewhere["customer_admin"].email in body
    assert client.get(change_url(elsewhere["customer"])).status_code == 200
    # when
    data = {
        "email": adele.email,
        "tenant": str(partner.pk),
        "first_name": "Adele",
        "last_name": "",
        "job_title": "",
        "is_active": "on",
        "role_assignments-TOTAL_FORMS": "0",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **inline_data(adele, "full", existing=False),
    }
    response = client.post(change_url(adele), data)
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AgentAccess.objects.get(user=adele).level == "full"
    event = AuditEvent.objects.get(action=Action.AGENT_ACCESS_CHANGED)
    assert (event.tenant_id, event.actor_id) == (partner.pk, operator.pk)


def test_the_delegated_access_inline_shows_for_partner_users_only(client, adele, elsewhere):
    operator = User.objects.create_superuser("ops@platform.example", "x" * 16)
    enrol_totp(operator)
    sign_in(client, operator)
    assert "agent_access-0-level" in client.get(change_url(adele)).content.decode()
    customer_page = client.get(change_url(elsewhere["customer_admin"])).content.decode()
    assert "agent_access-0-level" not in customer_page
