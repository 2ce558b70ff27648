"""The public link: every offer state, every kind of visitor, and the answers."""

import html
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from delegation.models import Relationship
from offers.models import Offer, OfferPreset, OfferResponse
from offers.services import offer_accept, offer_revoke
from offers.services import offer_text as offer_text_of
from partnerportal.reauth import SIGNED_IN_AT_KEY
from tenants.models import Domain
from tenants.roles import ROLE_INFO, Role
from tests.factories import (
    PASSWORD,
    make_partner_user,
    make_relationship,
    make_user,
    sign_in,
    totp_code,
)
from tests.offers.helpers import make_customer_admin, make_offer, make_world

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- offer states ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "A" * 43,  # well-formed, unknown
        "short",
        "A" * 42 + "!",
        "A" * 44,
        "A" * 20 + "=" + "A" * 22,
    ],
)
def test_an_unknown_or_malformed_token_is_a_plain_404_that_reveals_nothing(client, token):
    world = make_world()
    make_offer(world.partner_admin)
    response = client.get(f"/offer/{token}/")
    assert response.status_code == 404
    assert "This offer link is not valid" in text(response)
    assert "Fabrikam" not in text(response)


def test_a_tampered_token_is_not_valid(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    last = offer.token[-1]
    tampered = offer.token[:-1] + ("A" if last != "A" else "B")
    for path in (
        f"/offer/{tampered}/",
        f"/offer/{offer.token.upper()}/" if offer.token.upper() != offer.token else "/offer/x/",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert "Fabrikam" not in text(response)


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_answering_a_huge_malformed_token_is_not_valid_without_asking_to_sign_in(client, answer):
    # given: an anonymous visitor and a link far too long to be an offer's
    token = "A" * 20_000
    # when
    response = client.post(f"/offer/{token}/{answer}/")
    # then: the link is not valid (no sign-in page that would lead back to it)
    assert response.status_code == 404
    assert "This offer link is not valid" in text(response)


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("revoked", "withdrawn"),
        ("expired", "expired"),
        ("exhausted", "used up"),
    ],
)
def test_a_finished_offer_is_410_naming_the_partner_and_why(client, state, says):
    # given
    world = make_world()
    offer = make_offer(world.partner_admin, max_uses=1)
    if state == "revoked":
        offer_revoke(offer=offer, acting_user=world.partner_admin)
    elif state == "expired":
        Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    else:
        offer_accept(offer=offer, acting_user=make_customer_admin())
    sign_in(client, world.customer_admin)
    # when
    responses = [
        client.get(offer.get_public_path()),
        client.post(reverse("offers:accept", args=[offer.token])),
        client.post(reverse("offers:decline", args=[offer.token])),
    ]
    # then
    for response in responses:
        assert response.status_code == 410
        assert says in text(response)
        assert "Fabrikam Partners" in text(response)
        assert "new offer" in text(response)
    assert not Relationship.objects.filter(customer=world.customer).exists()


def test_an_active_offer_shows_anonymous_visitors_who_asks_and_how_to_sign_in(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    response = client.get(offer.get_public_path())
    assert response.status_code == 200
    body = text(response)
    assert "Fabrikam Partners" in body
    assert "Sign in to review" in body
    assert "Sign up your organisation" in body
    assert 'name="csrfmiddlewaretoken"' not in body  # nothing to answer yet


# --- who may answer ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "says"),
    [
        ("partner_admin_of_the_offer", "the partner that made this offer"),
        ("partner_staff_of_the_offer", "the partner that made this offer"),
        ("admin_of_another_partner", "which is a partner organisation"),
        ("customer_password_admin", "which you do not hold"),
        ("customer_user", "which you do not hold"),
    ],
)
def test_each_kind_of_wrong_user_is_told_why_not_and_who_can(client, who, says):
    # given
    world = make_world()
    offer = make_offer(world.partner_admin)
    users = {
        "partner_admin_of_the_offer": world.partner_admin,
        "partner_staff_of_the_offer": make_partner_user(world.partner, level="full"),
        "admin_of_another_partner": make_world(partner_name="Litware").partner_admin,
        "customer_password_admin": make_user(world.customer, roles=[Role.PASSWORD_ADMIN]),
        "customer_user": make_user(world.customer),
    }
    sign_in(client, users[who])
    # when
    page = client.get(offer.get_public_path())
    accept = client.post(reverse("offers:accept", args=[offer.token]))
    decline = client.post(reverse("offers:decline", args=[offer.token]))
    # then
    for response in (page, accept, decline):
        assert response.status_code == 403
        assert says in text(response)
        assert "Who can:" in text(response)
    if who.startswith("customer"):
        assert world.customer_admin.email in text(page)  # names its global admins
    assert not Relationship.objects.exists()
    assert not OfferResponse.objects.exists()


# --- the consent page --------------------------------------------------------------------


def test_the_consent_page_names_the_partner_the_roles_the_end_and_the_way_out(client):
    # given
    world = make_world()
    offer = make_offer(world.partner_admin, preset=OfferPreset.HELPDESK, duration_days=90)
    sign_in(client, world.customer_admin)
    # when
    response = client.get(offer.get_public_path())
    # then
    assert response.status_code == 200
    body = text(response)
    assert "Fabrikam Partners" in body
    assert world.partner.default_domain.name in body  # type: ignore[union-attr]
    for role in (Role.PASSWORD_ADMIN, Role.SERVICE_SUPPORT_ADMIN):
        info = ROLE_INFO[role]
        assert info.label in body
        for item in info.can:
            assert item in body
    assert ROLE_INFO[Role.GLOBAL_ADMIN].label not in body
    ends = timezone.now() + timedelta(days=90)
    assert f"{ends.day} {ends:%b %Y}" in body
    assert "You can remove Fabrikam Partners' access at any time" in body
    for name in ("accept", "decline"):
        action = reverse(f"offers:{name}", args=[offer.token])
        assert f'<form method="post" action="{action}">' in body
    assert body.count('name="csrfmiddlewaretoken"') >= 2


def test_the_consent_page_of_a_partner_without_a_verified_domain_shows_none(client):
    # given: the partner has only claimed its domains, verified none
    world = make_world()
    claimed = world.partner.default_domain
    assert claimed is not None
    Domain.objects.create(tenant=world.partner, name="second.fabrikam.example")
    world.partner.domains.update(verified=False)
    offer = make_offer(world.partner_admin)
    # when
    signed_in = Client()
    sign_in(signed_in, world.customer_admin)
    page = text(signed_in.get(offer.get_public_path()))
    anonymous = text(client.get(offer.get_public_path()))
    offer_text = offer_text_of(offer)
    # then: the partner is named, by no domain
    for body in (page, anonymous, offer_text):
        assert "Fabrikam Partners" in body
        assert claimed.name not in body
        assert "fabrikam.example" not in body
    assert "verified domain" not in page


def test_the_consent_page_shows_what_would_change_in_an_active_relationship(client):
    world = make_world()
    make_relationship(
        world.partner,
        world.customer,
        roles=[Role.GLOBAL_ADMIN],
        days=20,
        accepted_by=world.customer_admin,
    )
    offer = make_offer(world.partner_admin, preset=OfferPreset.USER_MANAGEMENT, duration_days=365)
    sign_in(client, world.customer_admin)
    response = client.get(offer.get_public_path())
    body = text(response)
    assert "You already have an active relationship with Fabrikam Partners" in body
    assert "Adds <strong>User administrator</strong>" in body
    assert "Adds <strong>Password administrator</strong>" in body
    assert "Removes <strong>Global administrator</strong>" in body
    change = response.context["change"]
    assert change.new_expires - change.old_expires > timedelta(days=340)


def test_a_get_never_changes_anything(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.customer_admin)
    for name in ("public", "accept", "decline"):
        response = client.get(reverse(f"offers:{name}", args=[offer.token]))
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert response["Location"] == offer.get_public_path()
    assert not Relationship.objects.exists()
    assert not OfferResponse.objects.exists()


def test_answers_need_the_csrf_token():
    world = make_world()
    offer = make_offer(world.partner_admin)
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.customer_admin)
    for name in ("accept", "decline"):
        response = client.post(reverse(f"offers:{name}", args=[offer.token]))
        assert response.status_code == 403
    assert not OfferResponse.objects.exists()


# --- answering ---------------------------------------------------------------------------


def test_accept_then_accept_again(client, django_capture_on_commit_callbacks):
    # given
    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.customer_admin)
    url = reverse("offers:accept", args=[offer.token])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, follow=True)
    second = client.post(url, follow=True)
    # then
    admin_center = reverse("tenants:admin-center", args=[world.customer.pk])
    assert first.redirect_chain[-1][0] == admin_center
    assert "You accepted Fabrikam Partners" in text(first)
    assert "You accepted this offer on" in text(second)
    assert "Nothing more was changed" in text(second)
    assert Relationship.objects.filter(status="active").count() == 1
    offer.refresh_from_db()
    assert offer.uses == 1


def test_back_and_accept_again_is_not_taken_for_someone_elses_change(client):
    # given: the consent page read before accepting, then accepted
    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.customer_admin)
    seen = client.get(offer.get_public_path()).context["seen"]
    url = reverse("offers:accept", args=[offer.token])
    client.post(url, {"seen": seen})
    # when: Back, and Accept again with what the old page showed
    again = client.post(url, {"seen": seen}, follow=True)
    # then
    body = text(again)
    assert "changed while you were reading" not in body
    assert "You accepted this offer on" in body
    assert Relationship.objects.filter(status="active").count() == 1


def test_an_offer_declined_before_says_so_when_opened_again(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.customer_admin)
    client.post(reverse("offers:decline", args=[offer.token]))
    body = text(client.get(offer.get_public_path()))
    assert "Your organisation declined this offer" in body
    assert f"{world.customer_admin.get_full_name()} declined it on" in body
    assert reverse("offers:accept", args=[offer.token]) in body  # it may still say yes


def test_decline(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.customer_admin)
    response = client.post(reverse("offers:decline", args=[offer.token]), follow=True)
    assert "You declined Fabrikam Partners" in text(response)
    response_row = OfferResponse.objects.get()
    assert (response_row.response, response_row.responded_by) == ("declined", world.customer_admin)
    assert not Relationship.objects.exists()


def test_an_anonymous_answer_goes_to_sign_in_and_back_to_the_consent_page(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    response = client.post(reverse("offers:accept", args=[offer.token]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    response = client.post(
        response["Location"], {"login": world.customer_admin.email, "password": PASSWORD}
    )
    # an administrator is asked for its second factor
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    # the suspended POST is not replayed by a sign-in: the consent page is shown again
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == offer.get_public_path()
    assert not Relationship.objects.exists()


def test_a_stale_sign_in_must_confirm_the_password_then_the_answer_goes_through(client):
    # given: signed in longer ago than the re-authentication window
    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.customer_admin)
    session = client.session
    long_ago = time.time() - 3600
    for record in session["account_authentication_methods"]:
        record["at"] = long_ago
    session[SIGNED_IN_AT_KEY] = long_ago
    session.save()
    # when
    response = client.post(reverse("offers:accept", args=[offer.token]))
    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not Relationship.objects.exists()
    # when it confirms its password, the suspended POST is replayed
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("tenants:admin-center", args=[world.customer.pk])
    assert Relationship.objects.get().accepted_by == world.customer_admin


def test_the_consent_page_of_an_offer_already_in_force_says_so_and_offers_no_answer(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    offer_accept(offer=offer, acting_user=world.customer_admin)
    sign_in(client, world.customer_admin)
    body = text(client.get(offer.get_public_path()))
    assert "You have already accepted this offer" in body
    assert reverse("offers:accept", args=[offer.token]) not in body


def test_accepting_what_changed_since_the_page_was_read_asks_to_read_it_again(client):
    # given: the consent page showed Contoso's relationship as it was
    world = make_world()
    existing = make_offer(world.partner_admin)
    sign_in(client, world.customer_admin)
    client.post(reverse("offers:accept", args=[existing.token]))
    offer = make_offer(world.partner_admin, preset=OfferPreset.HELPDESK)
    page = client.get(offer.get_public_path())
    seen = page.context["seen"]
    assert seen != "none"
    # when: another admin renews it meanwhile, then this admin accepts
    relationship = Relationship.objects.get(status="active")
    Relationship.objects.filter(pk=relationship.pk).update(
        expires=relationship.expires + timedelta(days=1)
    )
    response = client.post(reverse("offers:accept", args=[offer.token]), {"seen": seen})
    # then: nothing changed, and the page is shown again with the new difference
    assert response.status_code == 302
    assert response["Location"] == offer.get_public_path()
    relationship.refresh_from_db()
    assert relationship.offer_id == existing.pk
    follow = client.get(response["Location"])
    assert "changed while you were reading" in follow.content.decode()
    # and answering with what is now shown goes through
    response = client.post(
        reverse("offers:accept", args=[offer.token]), {"seen": follow.context["seen"]}
    )
    relationship.refresh_from_db()
    assert relationship.offer_id == offer.pk


def test_the_link_is_rate_limited_per_address(client, settings):
    # given: someone trying tokens from one address (counted by the hour, so that the
    # count's window does not turn over during the test)
    settings.OFFER_LINK_RATE_LIMIT = "60/h"
    for _ in range(60):
        assert client.get(reverse("offers:public", args=["x" * 43])).status_code == 404
    # when
    response = client.get(reverse("offers:public", args=["y" * 43]))
    # then
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # and another address is not held back
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.get(reverse("offers:public", args=["z" * 43])).status_code == 404
