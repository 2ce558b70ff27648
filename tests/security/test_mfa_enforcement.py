"""MFA is enforced: who must enrol, which pages stay open until then, and the way back."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from delegation.models import AccessLevel, Relationship
from offers.models import OfferResponse
from tenants.models import TenantKind, User
from tenants.roles import Role
from tenants.security import MFA_NEXT_SESSION_KEY, has_mfa, mfa_required_for
from tests.factories import (
    PASSWORD,
    enrol_totp,
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
    sign_in,
    totp_code,
)
from tests.offers.helpers import make_offer, make_world

pytestmark = pytest.mark.django_db

ENROL = reverse("mfa_index")


def admin_center(tenant):
    return reverse("tenants:admin-center", args=[tenant.pk])


def set_require(tenant, value):
    tenant.require_admin_mfa = value
    tenant.save(update_fields=["require_admin_mfa"])


# --- who must have MFA ------------------------------------------------------------------


def test_every_partner_user_must_have_mfa_and_admins_of_a_requiring_customer():
    # given
    partner = make_partner()
    customer = make_tenant()
    relaxed = make_tenant()
    set_require(relaxed, False)
    # then
    assert mfa_required_for(make_user(partner, roles=[Role.GLOBAL_ADMIN]))
    assert mfa_required_for(make_user(partner))  # staff without roles too
    assert mfa_required_for(make_user(customer, roles=[Role.GLOBAL_ADMIN]))
    assert mfa_required_for(make_user(customer, roles=[Role.PASSWORD_ADMIN]))
    assert not mfa_required_for(make_user(customer))
    assert not mfa_required_for(make_user(relaxed, roles=[Role.GLOBAL_ADMIN]))


def test_a_new_customer_tenant_requires_mfa_of_its_admins_by_default():
    assert make_tenant().require_admin_mfa
    assert make_tenant(kind=TenantKind.CUSTOMER).require_admin_mfa


def test_recovery_codes_alone_are_not_mfa():
    # given
    user = make_user(make_partner(), mfa=False)
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00"}
    )
    # then
    assert not has_mfa(user)
    enrol_totp(user)
    assert has_mfa(user)


# --- enforcement ------------------------------------------------------------------------


def test_partner_user_without_mfa_is_led_to_enrolment_from_every_page(client):
    # given: an agent with Full access to a customer, not enrolled yet
    partner = make_partner()
    customer = make_tenant()
    make_relationship(partner, customer)
    agent = make_partner_user(partner, level=AccessLevel.FULL, mfa=False)
    sign_in(client, agent, mfa=False)
    # when / then
    for url in (reverse("delegation:partner-overview"), admin_center(customer), "/", "/profile/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == ENROL, url


def test_partner_user_gets_through_once_enrolled(client):
    # given
    partner = make_partner()
    customer = make_tenant()
    make_relationship(partner, customer)
    agent = make_partner_user(partner, level=AccessLevel.FULL, mfa=False)
    sign_in(client, agent, mfa=False)
    assert client.get(reverse("delegation:partner-overview")).status_code == 302
    # when
    enrol_totp(agent)
    # then
    assert client.get(reverse("delegation:partner-overview")).status_code == 200
    assert client.get(admin_center(customer)).status_code == 200


def test_customer_admin_of_a_requiring_tenant_without_mfa_is_redirected(client):
    # given
    customer = make_tenant()
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in(client, admin, mfa=False)
    # when
    response = client.get(admin_center(customer))
    # then
    assert response.status_code == 302
    assert response["Location"] == ENROL


def test_customer_admin_of_a_tenant_that_does_not_require_mfa_gets_through(client):
    # given
    customer = make_tenant()
    set_require(customer, False)
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    assert not has_mfa(admin)
    sign_in(client, admin, mfa=False)
    # then
    assert client.get(admin_center(customer)).status_code == 200


def test_a_plain_customer_user_is_never_forced(client):
    # given
    customer = make_tenant()
    user = make_user(customer)
    sign_in(client, user, mfa=False)
    # then
    assert client.get(reverse("tenants:profile")).status_code == 200


def test_allauth_pages_and_sign_out_stay_open_before_enrolment_but_an_offer_does_not(client):
    # given
    admin = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in(client, admin, mfa=False)
    # then: the MFA pages themselves, and other account pages
    for name in ("mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "usersessions_list"):
        assert client.get(reverse(name)).status_code == 200, name
    # reading an offer comes after enrolment, and the offer is the way back
    response = client.get("/offer/sometoken/")
    assert response["Location"] == ENROL
    assert client.session[MFA_NEXT_SESSION_KEY] == "/offer/sometoken/"
    # so does answering one
    response = client.post("/offer/sometoken/", {"action": "accept"})
    assert response.status_code == 302
    assert response["Location"] == ENROL
    # and signing out works
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_platform_operator_without_mfa_cannot_open_django_admin(client):
    # given: operators hold the keys to every tenant, so MFA is required of them
    operator = User.objects.create_superuser("ops@platform.example", PASSWORD)
    sign_in(client, operator, mfa=False)
    # when
    response = client.get(reverse("admin:index"))
    # then
    assert response.status_code == 302
    assert response["Location"] == ENROL
    enrol_totp(operator)
    assert client.get(reverse("admin:index")).status_code == 200


def test_turning_the_last_authenticator_off_leads_back_to_enrolment(client):
    # given
    partner = make_partner()
    user = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    sign_in(client, user)
    assert client.get(reverse("delegation:partner-overview")).status_code == 200
    # when
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    # then
    assert not has_mfa(user)
    response = client.get(reverse("delegation:partner-overview"))
    assert response["Location"] == ENROL


# --- the way back after enrolment -------------------------------------------------------


def enrol_through_the_form(client) -> None:
    """Activate TOTP the way a person does: read the secret, type the current code.

    allauth asks for the password first unless the user signed in or re-authenticated
    within the re-authentication window.
    """
    page = client.get(reverse("mfa_activate_totp"))
    if page.status_code == 302 and page["Location"].startswith(reverse("account_reauthenticate")):
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("mfa_view_recovery_codes")


def test_after_enrolment_the_user_is_offered_the_page_it_was_going_to(client):
    # given
    customer = make_tenant()
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in(client, admin, mfa=False)
    target = admin_center(customer) + "?tab=domains"
    assert client.get(target)["Location"] == ENROL
    # when
    enrol_through_the_form(client)
    page = client.get(reverse("mfa_view_recovery_codes"))
    # then
    html = page.content.decode()
    assert 'id="mfa-continue"' in html
    assert 'href="{}"'.format(target.replace("&", "&amp;")) in html
    assert client.get(target).status_code == 200
    # the way back is used once; afterwards the MFA pages no longer offer it
    assert MFA_NEXT_SESSION_KEY not in client.session
    assert 'id="mfa-continue"' not in client.get(reverse("mfa_index")).content.decode()


def test_a_new_customer_answering_an_offer_comes_back_to_it_after_enrolment(client):
    # given: a customer admin that signed up through an offer link reads the consent page
    customer = make_tenant()
    admin = make_user(customer, roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in(client, admin, mfa=False)
    offer = "/offer/sometoken/"
    client.get(offer)
    # when: it answers, and is sent to enrol first
    response = client.post(offer, {"action": "accept"}, HTTP_REFERER="http://testserver" + offer)
    assert response["Location"] == ENROL
    enrol_through_the_form(client)
    # then: the recovery codes page leads back to the consent page
    html = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert f'href="{offer}"' in html


def test_a_foreign_referer_is_never_used_as_the_way_back(client):
    # given
    admin = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in(client, admin, mfa=False)
    # when
    client.post("/offer/x/", HTTP_REFERER="https://evil.example/phish")
    # then
    assert MFA_NEXT_SESSION_KEY not in client.session


@pytest.mark.parametrize(
    "referer", ["http://testserver//evil.example/x", "http://testserver/\\evil.example/x"]
)
def test_a_local_referer_whose_path_leaves_the_site_is_never_the_way_back(
    client, referer, record_property
):
    record_property("battery.attacks", 1)
    # given: a Referer on this host whose path alone is protocol-relative
    admin = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in(client, admin, mfa=False)
    # when
    client.post("/offer/x/", HTTP_REFERER=referer)
    # then
    assert MFA_NEXT_SESSION_KEY not in client.session


def test_password_sign_in_of_an_enrolled_partner_asks_for_the_code(client):
    # given
    partner = make_partner()
    user = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    # when
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    # then: not signed in before the second factor
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response["Location"] == reverse("delegation:partner-overview")
    assert client.get(reverse("delegation:partner-overview")).status_code == 200


def test_a_new_customer_signs_up_verifies_enrols_and_reaches_its_admin_center(
    client, django_capture_on_commit_callbacks
):
    import re

    from django.core import mail

    from tenants.models import Tenant

    # given: sign-up and the confirmation link
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "organisation": "Wide World Importers",
                "domain": "wideworld.example",
                "first_name": "Ana",
                "last_name": "Alves",
                "email": "ana@wideworld.example",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    body = str(mail.outbox[0].body)
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", body)
    assert link
    # when: confirming signs in, and leads to enrolment
    response = client.post(link.group(1), follow=True)
    assert response.redirect_chain[-1][0] == ENROL
    assert "requires two-factor authentication" in response.content.decode()
    enrol_through_the_form(client)
    # then: the way on is offered, and it reaches the new tenant's admin center
    html = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert 'id="mfa-continue"' in html
    tenant = Tenant.objects.get(name="Wide World Importers")
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == admin_center(tenant)
    assert response.status_code == 200


# --- an offer opened before enrolment ------------------------------------------------------


def sign_in_with_the_password(client, user) -> None:
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def continue_link(client) -> str:
    """The "Continue where you were going" link of the recovery codes page."""
    html = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    match = re.search(r'id="mfa-continue" href="([^"]+)"', html)
    assert match, "no way back after enrolment"
    return match.group(1).replace("&amp;", "&")


def test_a_new_customer_admin_enrols_before_the_consent_page_then_accepts_once(client):
    # given: a partner's offer, and a new customer's admin who has not enrolled
    world = make_world()
    offer = make_offer(world.partner_admin)
    admin = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in_with_the_password(client, admin)
    # when: it opens the link
    response = client.get(offer.get_public_path())
    # then: enrolment comes first, with the consent page as the way back
    assert response.status_code == 302
    assert response["Location"] == ENROL
    assert client.session[MFA_NEXT_SESSION_KEY] == offer.get_public_path()
    # when: it enrols and continues
    enrol_through_the_form(client)
    way_back = continue_link(client)
    page = client.get(way_back)
    # then: the consent page, and one click accepts
    assert way_back == offer.get_public_path()
    assert page.status_code == 200
    assert reverse("offers:accept", args=[offer.token]) in page.content.decode()
    assert not Relationship.objects.exists()
    response = client.post(reverse("offers:accept", args=[offer.token]))
    assert response["Location"] == admin_center(admin.tenant)
    assert Relationship.objects.get().accepted_by == admin


@pytest.mark.parametrize("answer", ["offers:accept", "offers:decline"])
def test_an_answer_posted_before_enrolment_leads_back_to_the_consent_page_not_an_answer(
    client, answer
):
    # given: the consent page was read elsewhere; the answer arrives without a Referer
    world = make_world()
    offer = make_offer(world.partner_admin)
    admin = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in_with_the_password(client, admin)
    # when
    response = client.post(reverse(answer, args=[offer.token]))
    # then: enrolment first, and nothing answered
    assert response["Location"] == ENROL
    enrol_through_the_form(client)
    assert continue_link(client) == offer.get_public_path()
    assert client.get(offer.get_public_path()).status_code == 200
    assert not Relationship.objects.exists()
    assert not OfferResponse.objects.exists()
