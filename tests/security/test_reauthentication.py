"""Turning MFA off, or changing authenticators, asks for a recent sign-in (allauth's MFA pages)."""

import time

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.urls import reverse

from tenants.roles import Role
from tests.factories import PASSWORD, make_partner, make_tenant, make_user, sign_in

pytestmark = pytest.mark.django_db

REAUTH_PREFIXES = (reverse("account_reauthenticate"), reverse("mfa_reauthenticate"))


def sign_in_an_hour_ago(client, user):
    sign_in(client, user)
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] = time.time() - 3600
    session.save()


def asks_to_reauthenticate(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(REAUTH_PREFIXES)


@pytest.fixture
def admin():
    return make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN])


def test_the_reauthentication_window_is_short_and_mfa_pages_use_it():
    assert settings.MFA_REAUTHENTICATION_REQUIRED is True
    assert settings.ACCOUNT_REAUTHENTICATION_TIMEOUT <= 600


def test_a_code_sent_by_mail_never_stands_in_for_reauthentication(client, admin, mailoutbox):
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
