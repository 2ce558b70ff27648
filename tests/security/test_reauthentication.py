"""Turning MFA off, or changing authenticators, asks for a recent sign-in (allauth's MFA pages)."""

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.urls import reverse

from partnerportal.reauth import SIGNED_IN_AT_KEY
from tenants.roles import Role
from tests.factories import (
    PASSWORD,
    age_sign_in,
    fresh_totp_code,
    make_partner,
    make_partner_user,
    make_tenant,
    make_user,
    sign_in,
    totp_code,
)

pytestmark = pytest.mark.django_db

REAUTH_PREFIXES = (reverse("account_reauthenticate"), reverse("mfa_reauthenticate"))


def sign_in_an_hour_ago(client, user):
    # every trace of the sign-in is an hour old: allauth's records and the portal's moment
    sign_in(client, user)
    age_sign_in(client, 3600)


def asks_to_reauthenticate(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(REAUTH_PREFIXES)


@pytest.fixture
def admin():
    return make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN])


def test_the_reauthentication_window_is_short_and_mfa_pages_use_it():
    assert settings.MFA_REAUTHENTICATION_REQUIRED is True
    assert settings.ACCOUNT_REAUTHENTICATION_TIMEOUT <= 600


def test_a_code_sent_by_mail_never_stands_in_for_reauthentication(
    client, admin, mailoutbox, record_property
):
    record_property("battery.attacks", 1)
    # given: a stale session, and someone with the mailbox
    sign_in_an_hour_ago(client, admin)
    page = client.get(reverse("account_reauthenticate")).content.decode()
    # when
    response = client.post(reverse("account_request_reauthentication_code"))
    # then: no code is offered, asked for or sent
    assert reverse("account_request_reauthentication_code") not in page
    assert response.status_code == 403
    assert client.get(reverse("account_confirm_reauthentication_code")).status_code == 403
    assert mailoutbox == []


def test_turning_totp_off_after_a_stale_sign_in_asks_to_sign_in_again(client, admin):
    # given
    sign_in_an_hour_ago(client, admin)
    # when
    page = client.get(reverse("mfa_deactivate_totp"))
    response = client.post(reverse("mfa_deactivate_totp"))
    # then
    assert asks_to_reauthenticate(page)
    assert asks_to_reauthenticate(response)
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()


def test_turning_totp_off_works_right_after_reauthenticating(client, admin):
    # given
    sign_in_an_hour_ago(client, admin)
    # when: the password is confirmed, then MFA turned off
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    response = client.post(reverse("mfa_deactivate_totp"))
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    assert not Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()


def test_removing_a_security_key_after_a_stale_sign_in_asks_to_sign_in_again(client):
    # given
    user = make_user(make_partner(), roles=[Role.GLOBAL_ADMIN])
    key = Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Key", "credential": {}}
    )
    sign_in_an_hour_ago(client, user)
    # when
    response = client.post(reverse("mfa_remove_webauthn", args=[key.pk]))
    # then
    assert asks_to_reauthenticate(response)
    assert Authenticator.objects.filter(pk=key.pk).exists()


@pytest.mark.parametrize(
    "name", ["mfa_activate_totp", "mfa_add_webauthn", "mfa_generate_recovery_codes"]
)
def test_adding_authenticators_or_new_codes_after_a_stale_sign_in_asks_again(client, name):
    user = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN], mfa=name != "mfa_activate_totp")
    sign_in_an_hour_ago(client, user)
    assert asks_to_reauthenticate(client.post(reverse(name)))


# --- a fresh sign-in counts ------------------------------------------------------------


def sign_in_through_the_form(client, user, *, totp: bool) -> None:
    """Sign in as a person does: the password, then (if enrolled) the current code."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    if totp:
        assert response["Location"] == reverse("mfa_authenticate")
        response = client.post(reverse("mfa_authenticate"), {"code": fresh_totp_code()})
        assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def move_the_sign_in_back(client, seconds: float) -> None:
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= seconds
    session[SIGNED_IN_AT_KEY] -= seconds
    session.save()


def test_right_after_signing_in_the_authenticator_app_is_activated_without_the_password(
    client,
):
    # given: a new customer admin who must enrol signs in with its password
    admin = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in_through_the_form(client, admin, totp=False)
    # when: it opens the activation page and types the code seconds later
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()


def test_once_the_window_has_passed_since_signing_in_activation_asks_again(client):
    # given
    admin = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in_through_the_form(client, admin, totp=False)
    move_the_sign_in_back(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
    # when
    page = client.get(reverse("mfa_activate_totp"))
    response = client.post(reverse("mfa_activate_totp"), {"code": "123456"})
    # then
    assert asks_to_reauthenticate(page)
    assert asks_to_reauthenticate(response)
    assert not Authenticator.objects.filter(user=admin).exists()


def test_right_after_a_partner_signs_in_with_its_code_it_may_add_a_key_or_new_codes(client):
    # given: a partner user signs in with its password and its authenticator code
    user = make_partner_user(make_partner(), roles=[Role.GLOBAL_ADMIN])
    sign_in_through_the_form(client, user, totp=True)
    # when
    add_key = client.get(reverse("mfa_add_webauthn"))
    codes_page = client.get(reverse("mfa_generate_recovery_codes"))
    response = client.post(reverse("mfa_generate_recovery_codes"))
    # then
    assert add_key.status_code == 200
    assert codes_page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    # and once the window has passed, it asks again
    move_the_sign_in_back(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
    assert asks_to_reauthenticate(client.post(reverse("mfa_generate_recovery_codes")))
