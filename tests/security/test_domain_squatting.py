"""Domains are proven, not claimed: a stranger who claims an organisation's domain first
locks no one out, and a partner cannot show a domain it has not proved as its identity."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tenants.models import Domain, OutboundEmail, Tenant
from tenants.roles import Role
from tests.factories import PASSWORD, enrol_totp, make_partner, make_user, sign_in
from tests.offers.helpers import make_offer

pytestmark = pytest.mark.django_db


def signup(client: Client, organisation: str, domain: str, email: str):
    return client.post(
        reverse("account_signup"),
        {
            "organisation": organisation,
            "domain": domain,
            "first_name": "Sam",
            "last_name": "Stone",
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


def test_a_stranger_signs_up_with_northwindtraders_com_and_does_not_lock_the_owner_out(
    dns, record_property
):
    record_property("battery.attacks", 1)
    # given: a stranger signs up first, claiming the real organisation's domain
    assert signup(Client(), "Northwind Traders", "northwindtraders.com", "eve@mailbox.example")
    squatter = Tenant.objects.get(users__email="eve@mailbox.example")
    # when: the real owner signs up too, adds the name and proves it by DNS
    response = signup(Client(), "Northwind Traders Ltd", "northwindtraders.com", "it@nwt.example")
    assert response.status_code == 302
    owner = Tenant.objects.get(users__email="it@nwt.example")
    admin = owner.users.get()
    domain = owner.domains.get(name="northwindtraders.com")
    dns.txt("northwindtraders.com", domain.txt_record)
    enrol_totp(admin)
    owner_client = Client()
    sign_in(owner_client, admin)
    verified = owner_client.post(
        reverse("tenants:domain-verify", args=[owner.pk, domain.pk]), follow=True
    )
    assert "northwindtraders.com is verified." in verified.content.decode()
    # then: the owner holds the name verified; the stranger holds nothing of it
    assert list(
        Domain.objects.filter(name="northwindtraders.com").values_list("tenant", "verified")
    ) == [(owner.pk, True)]
    assert not squatter.domains.exists()
    assert AuditEvent.objects.filter(tenant=squatter, action=Action.DOMAIN_LOST).exists()
    assert OutboundEmail.objects.filter(to="eve@mailbox.example", kind="lost").exists()
    # and the stranger can neither take it back by claiming nor by signing up again
    again = signup(Client(), "Northwind", "northwindtraders.com", "eve2@mailbox.example")
    assert "already verified by an organisation" in again.content.decode()


def test_the_stranger_cannot_verify_with_the_owners_record(dns, record_property):
    record_property("battery.attacks", 1)
    # given: both claim the name; only the owner's record is published
    owner = make_partner(name="Owner", domain="owner.example")
    squatter = make_partner(name="Squatter", domain="squatter.example")
    owner_claim = Domain.objects.create(tenant=owner, name="northwindtraders.com")
    squatter_claim = Domain.objects.create(tenant=squatter, name="northwindtraders.com")
    dns.txt("northwindtraders.com", owner_claim.txt_record)
    eve = make_user(squatter, roles=[Role.GLOBAL_ADMIN])
    client = Client()
    sign_in(client, eve)
    # when
    response = client.post(
        reverse("tenants:domain-verify", args=[squatter.pk, squatter_claim.pk]), follow=True
    )
    # then
    assert "We could not find the TXT record" in response.content.decode()
    squatter_claim.refresh_from_db()
    assert not squatter_claim.verified


def test_a_partner_cannot_show_an_unproved_domain_on_its_consent_page(client, record_property):
    record_property("battery.attacks", 1)
    # given: a partner that claims microsoft.com as its default domain, unverified
    partner = make_partner(name="Contoso Partners", domain="contoso-partners.example")
    partner.domains.all().delete()
    Domain.objects.create(tenant=partner, name="microsoft.com", is_default=True)
    admin = make_user(partner, roles=[Role.GLOBAL_ADMIN])
    offer = make_offer(admin)
    # when
    body = html.unescape(client.get(offer.get_public_path()).content.decode())
    # then
    assert "Contoso Partners" in body
    assert "microsoft.com" not in body
