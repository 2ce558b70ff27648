"""Account events land in the user's home tenant chain, through the real allauth views."""

import pytest
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from audit.verify import verify_chains
from tests.factories import PASSWORD, make_tenant, make_user, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return make_user(make_tenant(name="Contoso"), email="ana@contoso.example")


def login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_a_sign_in_is_recorded_in_the_home_tenant(client, ana):
    # when
    response = login(client, "ana@contoso.example", PASSWORD)
    # then
    assert response.status_code == 302
    event = AuditEvent.objects.get()
    assert event.action == Action.SIGN_IN
    assert event.tenant_id == ana.tenant_id
    assert event.actor_id == ana.pk
    assert event.ip_address == "127.0.0.1"
    assert len(event.request_id) == 32


def test_a_failed_sign_in_is_recorded_without_the_password(client, ana):
    login(client, "ANA@contoso.example", "wrong-password-123")
    event = AuditEvent.objects.get()
    assert event.action == Action.SIGN_IN_FAILED
    assert event.tenant_id == ana.tenant_id
    assert "wrong-password-123" not in str(event.changes)


def test_a_failed_sign_in_for_an_unknown_address_records_nothing(client, ana):
    login(client, "nobody@contoso.example", "wrong-password-123")
    assert not AuditEvent.objects.exists()


def test_sign_out_and_password_change_are_recorded(client, ana):
    # given
    sign_in(client, ana)
    # when
    client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-passphrase",
            "password2": "a-new-long-passphrase",
        },
    )
    client.post(reverse("account_logout"))
    # then
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == [Action.PASSWORD_CHANGED, Action.SIGN_OUT]
    assert all(r.intact for r in verify_chains())


def test_turning_off_two_factor_is_recorded(client, ana):
    from allauth.mfa.models import Authenticator

    from tests.factories import enrol_totp

    # given
    enrol_totp(ana)
    sign_in(client, ana)
    session = client.session  # allauth asks for a re-authentication before this change
    for record in session["account_authentication_methods"]:
        record["reauthenticated"] = True
    session.save()
    totp = Authenticator.objects.get(user=ana, type=Authenticator.Type.TOTP)
    # when
    response = client.post(reverse("mfa_deactivate_totp"), {"id": totp.pk})
    # then
    assert response.status_code == 302
    event = AuditEvent.objects.get()
    assert event.action == Action.MFA_DISABLED
    assert event.changes == {"method": ["totp", None]}
