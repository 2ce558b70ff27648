"""A brand-new customer signs up through the offer link and lands back on the consent page."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from delegation.models import Relationship
from tenants.models import OutboundEmail, User
from tenants.security import MFA_NEXT_SESSION_KEY
from tests.factories import PASSWORD, totp_code
from tests.offers.helpers import make_offer, make_world

pytestmark = pytest.mark.django_db


def test_sign_up_through_the_link_comes_back_to_the_consent_page_and_accepts(
    client, django_capture_on_commit_callbacks
):
    # given
    world = make_world()
    offer = make_offer(world.partner_admin)
    public = offer.get_public_path()
    page = client.get(public)
    assert page.status_code == 200
    signup_url = page.context["signup_url"]
    assert signup_url.startswith(reverse("account_signup"))
    # when: the customer signs up from the link
    signup_page = client.get(signup_url)
    assert signup_page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            signup_url,
            {
                "organisation": "Wide World Importers",
                "domain": "wideworld.example",
                "first_name": "Ana",
                "last_name": "Alves",
                "email": "ana@wideworld.example",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "next": public,
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    # and confirms its address from the mail, in the same browser
    body = str(mail.outbox[-1].body)
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+/)", body)
    assert link, body
    response = client.post(link.group(1), follow=True)
    # then: signed in, it sets up the second factor its new tenant requires first, with
    # the consent page as the way back
    assert response.redirect_chain[-1][0] == reverse("mfa_index")
    assert client.session[MFA_NEXT_SESSION_KEY] == public
    assert not Relationship.objects.exists()
    # confirming the address signed it in just now: no password asked to activate
    activate = client.get(reverse("mfa_activate_totp"))
    assert activate.status_code == 200
    secret = activate.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert f'href="{public}"' in codes
    # and it is back on the consent page, without retyping anything
    response = client.get(public)
    assert response.status_code == 200
    assert "Accept" in response.content.decode()
    assert not Relationship.objects.exists()
    ana = User.objects.get(email="ana@wideworld.example")
    # then it can accept at once: confirming the address signed it in just now
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("offers:accept", args=[offer.token]))
    assert response.status_code == 302
    rel = Relationship.objects.get()
    assert rel.customer == ana.tenant
    assert rel.accepted_by == ana
    assert OutboundEmail.objects.filter(kind="accepted_receipt", to=ana.email).exists()


def test_sign_in_through_the_link_comes_back_to_the_consent_page(client):
    # given
    world = make_world()
    offer = make_offer(world.partner_admin)
    page = client.get(offer.get_public_path())
    login_url = page.context["login_url"]
    # when
    response = client.post(login_url, {"login": world.customer_admin.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()}, follow=True)
    # then
    assert response.redirect_chain[-1][0] == offer.get_public_path()
    assert response.templates[0].name == "offers/public.html"
