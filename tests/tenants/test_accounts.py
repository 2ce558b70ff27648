"""Sign-up, sign-in, landing and disabling, through the real allauth views."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tenants.models import Domain, OutboundEmail, Tenant, TenantKind, User
from tenants.roles import Role
from tenants.services import user_set_enabled
from tests.factories import PASSWORD, enrol_totp, make_partner, make_tenant, make_user, totp_code

pytestmark = pytest.mark.django_db


def signup(client, **overrides):
    data = {
        "organisation": "Wide World Importers",
        "domain": "wideworld.example",
        "first_name": "Ana",
        "last_name": "Alves",
        "email": "ana@wideworld.example",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("account_signup"), data)


def test_sign_up_creates_one_customer_tenant_and_one_global_admin(client):
    # when
    response = signup(client)
    # then
    assert response.status_code == 302
    assert Tenant.objects.count() == 1
    tenant = Tenant.objects.get()
    assert tenant.kind == TenantKind.CUSTOMER
    assert tenant.name == "Wide World Importers"
    assert list(tenant.domains.values_list("name", "is_default")) == [("wideworld.example", True)]
    user = User.objects.get()
    assert user.tenant == tenant
    assert list(user.role_assignments.values_list("role", flat=True)) == [Role.GLOBAL_ADMIN]


def test_sign_up_requires_email_verification_through_the_outbox(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client)
    message = OutboundEmail.objects.get()
    assert message.to == "ana@wideworld.example"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@wideworld.example"]
    assert message.status == "sent"
    # not signed in until the address is confirmed
    assert client.get(reverse("tenants:profile")).status_code == 302
    body = str(mail.outbox[0].body)
    assert "Partner Portal" in body  # the site is named
    assert " on ." not in body
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", body)
    assert link
    response = client.post(link.group(1), follow=True)
    assert EmailAddress.objects.get().verified
    assert Tenant.objects.get().require_admin_mfa
    # a new tenant requires MFA of its admins: the new global admin is led to enrolment
    assert response.redirect_chain[-1][0] == reverse("mfa_index")
    assert response.status_code == 200


def test_sign_up_with_a_verified_domain_says_so_and_writes_nothing(client):
    make_tenant(domain="wideworld.example")  # verified
    response = signup(client, domain="WideWorld.example")
    assert response.status_code == 200
    assert "already verified by an organisation" in response.content.decode()
    assert Tenant.objects.count() == 1
    assert not User.objects.exists()


def test_sign_up_with_a_domain_only_claimed_elsewhere_succeeds_unverified(client):
    # given: another organisation claimed the name without proving it
    other = make_tenant(domain="other.example")
    Domain.objects.create(tenant=other, name="wideworld.example")
    # when
    response = signup(client, domain="WideWorld.example")
    # then
    assert response.status_code == 302
    mine = Domain.objects.exclude(tenant=other).get(name="wideworld.example")
    assert (mine.verified, mine.is_default) == (False, True)


@pytest.mark.parametrize(
    "domain", ["not a domain", "https://x.example/", "-bad.example", "a" * 300]
)
def test_sign_up_with_a_malformed_domain_says_so(client, domain):
    response = signup(client, domain=domain)
    assert response.status_code == 200
    assert "domain" in response.content.decode().lower()
    assert not Tenant.objects.exists()


def test_sign_in_is_by_email_in_any_case(client):
    tenant = make_tenant()
    make_user(tenant, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN], mfa=False)
    response = client.post(
        reverse("account_login"), {"login": "MEGAN@contoso.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("tenants:admin-center", args=[tenant.pk])


def test_partner_user_lands_on_partner_overview(client):
    partner = make_partner()
    make_user(partner, email="alex@fabrikam.example", roles=[Role.GLOBAL_ADMIN], mfa=False)
    response = client.post(
        reverse("account_login"), {"login": "alex@fabrikam.example", "password": PASSWORD}
    )
    assert response["Location"] == reverse("delegation:partner-overview")


def test_plain_customer_user_lands_on_profile(client):
    tenant = make_tenant()
    make_user(tenant, email="joni@contoso.example")
    response = client.post(
        reverse("account_login"), {"login": "joni@contoso.example", "password": PASSWORD}
    )
    assert response["Location"] == reverse("tenants:profile")
    assert client.get(reverse("tenants:profile")).status_code == 200


def test_disabled_user_cannot_sign_in(client):
    tenant = make_tenant()
    user = make_user(tenant, email="gone@contoso.example")
    user_set_enabled(user=user, enabled=False)
    response = client.post(
        reverse("account_login"), {"login": "gone@contoso.example", "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == reverse("account_inactive")


def test_disabling_a_user_ends_its_open_session(client):
    tenant = make_tenant()
    user = make_user(tenant, email="joni@contoso.example")
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.get(reverse("tenants:profile")).status_code == 200
    # when
    with pytest.MonkeyPatch.context():
        user_set_enabled(user=user, enabled=False)
    # then
    response = client.get(reverse("tenants:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_admin_center_of_another_tenant_is_not_found(client):
    mine = make_tenant()
    theirs = make_tenant()
    user = make_user(mine, roles=[Role.GLOBAL_ADMIN])
    client.force_login(user)
    assert client.get(reverse("tenants:admin-center", args=[mine.pk])).status_code == 200
    assert client.get(reverse("tenants:admin-center", args=[theirs.pk])).status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/t/{missing}/").status_code == 404


def test_domains_are_checked_case_insensitively_at_sign_up(client):
    Domain.objects.all().delete()
    signup(client, domain="UPPER.Example")
    assert Domain.objects.get().name == "upper.example"


def test_platform_operator_lands_in_django_admin_and_is_no_partner(client):
    operator = User.objects.create_superuser("ops@platform.example", PASSWORD)
    assert operator.tenant.kind == TenantKind.OPERATOR
    enrol_totp(operator)
    response = client.post(
        reverse("account_login"), {"login": "ops@platform.example", "password": PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response["Location"] == reverse("admin:index")
    assert client.get(reverse("delegation:partner-overview")).status_code == 404


def test_account_mail_names_the_portal(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client)
    body = str(mail.outbox[0].body)
    assert "— Partner Portal (testserver)" in body
    assert "Hello from !" not in body


@pytest.mark.parametrize(
    ("missing", "message"),
    [("first_name", "Enter your first name."), ("last_name", "Enter your last name.")],
)
def test_sign_up_without_a_name_is_refused_and_says_which(client, missing, message):
    # when
    response = signup(client, **{missing: "  "})
    # then
    assert response.status_code == 200
    assert response.context["form"].errors[missing] == [message]
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not Tenant.objects.exists()


def test_sign_up_asks_for_the_name_by_labelled_fields(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert re.search(r'<label[^>]*for="id_first_name"[^>]*>\s*First name', page)
    assert re.search(r'<label[^>]*for="id_last_name"[^>]*>\s*Last name', page)
    assert 'autocomplete="given-name"' in page
    assert 'autocomplete="family-name"' in page


def test_sign_up_keeps_the_name_and_the_mail_greets_by_it(
    client, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, first_name=" Pat ", last_name="O'Brien", email="pat@wideworld.example")
    # then
    user = User.objects.get()
    assert (user.first_name, user.last_name) == ("Pat", "O'Brien")
    assert user.get_full_name() == "Pat O'Brien"
    (message,) = mail.outbox
    body = str(message.body)
    assert body.startswith("Hello Pat,\n")
    assert "Hello pat@wideworld.example" not in body
