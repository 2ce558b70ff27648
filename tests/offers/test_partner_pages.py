"""The partner's pages: overview link, offers list, new offer, offer text, email, revoke."""

import html

import pytest
from django.urls import reverse

from offers.models import Offer
from offers.services import offer_accept
from tenants.models import OutboundEmail
from tests.factories import make_partner_user, sign_in
from tests.offers.helpers import make_customer_admin, make_offer, make_world

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_partner_overview_links_to_sending_offers_and_the_list(client):
    world = make_world()
    sign_in(client, world.partner_admin)
    body = text(client.get(reverse("delegation:partner-overview")))
    assert "Send delegated administration offers" in body
    assert f'href="{reverse("offers:create")}"' in body
    assert f'href="{reverse("offers:list")}"' in body


def test_the_list_shows_author_access_uses_and_status(client, django_assert_max_num_queries):
    # given
    world = make_world()
    used = make_offer(world.partner_admin, max_uses=1)
    offer_accept(offer=used, acting_user=world.customer_admin)
    for _ in range(5):
        make_offer(world.partner_admin)
    sign_in(client, world.partner_admin)
    # when
    with django_assert_max_num_queries(12):
        response = client.get(reverse("offers:list"))
    # then
    body = text(response)
    assert response.status_code == 200
    assert body.count("Alex Wilber") >= 6
    assert "Full delegated administration" in body
    assert "1 of 1" in body
    assert "Exhausted" in body
    assert "Active" in body
    assert body.count(">Revoke</button>") == 5  # a used-up offer has nothing left to revoke


def test_staff_see_the_list_but_cannot_create_or_revoke(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    staff = make_partner_user(world.partner, level="full")
    sign_in(client, staff)
    body = text(client.get(reverse("offers:list")))
    assert "Full delegated administration" in body
    assert "Revoke" not in body
    response = client.get(reverse("offers:create"))
    assert response.status_code == 403
    assert "Only administrators send offers" in text(response)
    assert client.post(reverse("offers:create"), {"preset": "full"}).status_code == 403
    assert client.post(reverse("offers:revoke", args=[offer.pk])).status_code == 404
    assert client.post(reverse("offers:detail", args=[offer.pk]), {}).status_code == 404
    assert Offer.objects.get().current_status == "active"


def test_the_overview_offers_staff_no_button_they_cannot_use(client):
    world = make_world()
    staff = make_partner_user(world.partner, level="full")
    sign_in(client, staff)
    body = text(client.get(reverse("delegation:partner-overview")))
    assert reverse("offers:create") not in body
    assert "partner admins send delegated administration offers" in body
    client.logout()
    sign_in(client, world.partner_admin)
    assert reverse("offers:create") in text(client.get(reverse("delegation:partner-overview")))


def test_customers_and_visitors_find_no_partner_pages(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    urls = [
        reverse("offers:list"),
        reverse("offers:create"),
        reverse("offers:detail", args=[offer.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302  # to sign in
    sign_in(client, world.customer_admin)
    for url in urls:
        assert client.get(url).status_code == 404


def test_another_partners_offer_is_not_found(client):
    world = make_world()
    other = make_world(partner_name="Litware")
    theirs = make_offer(other.partner_admin)
    sign_in(client, world.partner_admin)
    assert client.get(reverse("offers:detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("offers:revoke", args=[theirs.pk])).status_code == 404
    assert "Litware" not in text(client.get(reverse("offers:list")))


def test_the_form_shows_presets_and_role_descriptions_with_the_defaults(client):
    world = make_world()
    sign_in(client, world.partner_admin)
    response = client.get(reverse("offers:create"))
    body = text(response)
    for label in ("Full delegated administration", "Helpdesk", "User management", "Custom"):
        assert label in body
    assert "Resets passwords of people who are not administrators." in body
    form = response.context["form"]
    assert form["duration_days"].initial == 730
    assert form["valid_days"].initial == 90
    assert form["max_uses"].initial is None


def test_creating_an_offer_leads_to_its_text_with_a_copy_button(client):
    # given
    world = make_world()
    sign_in(client, world.partner_admin)
    # when
    response = client.post(
        reverse("offers:create"),
        {"preset": "custom", "roles": ["user_admin", "billing_admin"], "duration_days": "60"},
        follow=True,
    )
    # then
    offer = Offer.objects.get()
    assert offer.roles == ["user_admin", "billing_admin"]
    assert offer.duration_days == 60
    assert offer.expires_at is None  # the field was left empty
    assert offer.max_uses is None
    assert response.redirect_chain[-1][0] == reverse("offers:detail", args=[offer.pk])
    body = text(response)
    assert 'data-copy-target="offer-text"' in body
    assert 'id="offer-text"' in body
    assert offer.get_public_url() in body
    assert "Fabrikam Partners" in response.context["offer_text"]
    assert offer.get_public_url() in response.context["offer_text"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"preset": "custom", "duration_days": "730"}, "Choose at least one role"),
        ({"preset": "full", "duration_days": "731"}, "less than or equal to 730"),
        ({"preset": "full", "duration_days": "0"}, "greater than or equal to 1"),
        ({"preset": "full", "duration_days": "30", "max_uses": "0"}, "greater than or equal"),
    ],
)
def test_bad_input_is_explained_and_creates_nothing(client, data, error):
    world = make_world()
    sign_in(client, world.partner_admin)
    response = client.post(reverse("offers:create"), data)
    assert response.status_code == 200
    assert error in text(response)
    assert not Offer.objects.exists()


def test_emailing_the_offer_text_goes_through_the_outbox(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail

    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.partner_admin)
    page = client.get(reverse("offers:detail", args=[offer.pk]))
    send_id = page.context["send_form"]["send_id"].value()
    data = {"recipients": "it@contoso.example\nboss@contoso.example", "send_id": send_id}
    # when: submitted twice
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(reverse("offers:detail", args=[offer.pk]), data, follow=True)
    second = client.post(reverse("offers:detail", args=[offer.pk]), data, follow=True)
    # then
    assert "on its way" in text(first)
    assert "already sent" in text(second)
    assert sorted(OutboundEmail.objects.values_list("to", flat=True)) == [
        "boss@contoso.example",
        "it@contoso.example",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@contoso.example", "it@contoso.example"]
    assert offer.get_public_url() in str(mail.outbox[0].body)


def test_a_bad_address_is_explained(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.partner_admin)
    response = client.post(
        reverse("offers:detail", args=[offer.pk]),
        {
            "recipients": "it@contoso.example, nonsense",
            "send_id": "1d7c0a52-9f7e-4d1b-8f43-2b1f0f1e1a11",
        },
    )
    assert response.status_code == 200
    assert "Not a valid email address: nonsense." in text(response)
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("send_id", [None, "not-a-uuid"])
def test_a_missing_or_mangled_send_id_is_explained_and_sends_nothing(client, send_id):
    # given: a submission whose hidden field was lost or altered on the way
    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.partner_admin)
    data = {"recipients": "it@contoso.example"}
    if send_id is not None:
        data["send_id"] = send_id
    # when
    response = client.post(reverse("offers:detail", args=[offer.pk]), data)
    # then: the page says so where a person reads it
    assert response.status_code == 200
    assert "This form was incomplete. Reload the page and send it again." in text(response)
    assert not OutboundEmail.objects.exists()


def test_revoke_is_one_confirmed_post(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    sign_in(client, world.partner_admin)
    body = text(client.get(reverse("offers:list")))
    assert 'data-confirm="Revoke this offer?' in body
    assert client.get(reverse("offers:revoke", args=[offer.pk])).status_code == 405
    response = client.post(reverse("offers:revoke", args=[offer.pk]), follow=True)
    assert "no longer works" in text(response)
    offer.refresh_from_db()
    assert offer.current_status == "revoked"
    assert "Revoked" in text(client.get(reverse("offers:list")))
    # a revoked offer's page shows no text to copy
    detail = text(client.get(reverse("offers:detail", args=[offer.pk])))
    assert 'id="offer-text"' not in detail


def test_a_customer_acceptance_counts_in_the_list(client):
    world = make_world()
    offer = make_offer(world.partner_admin)
    offer_accept(offer=offer, acting_user=world.customer_admin)
    offer_accept(offer=offer, acting_user=make_customer_admin())
    sign_in(client, world.partner_admin)
    response = client.get(reverse("offers:list"))
    assert response.context["offers"][0].uses == 2
