"""A refusal is the portal's own page, and says why where the person already knows the
thing exists; an unknown or invisible tenant answers the same plain 404 as ever."""

import html

import pytest
from django.test import override_settings
from django.urls import reverse

from delegation.models import Relationship, RelationshipStatus
from tenants.roles import Role
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    partner = make_partner(name="Fabrikam Partners")
    contoso = make_tenant(name="Contoso")
    megan = make_user(contoso, first_name="Megan", last_name="Bowen", roles=[Role.GLOBAL_ADMIN])
    plain = make_user(contoso, first_name="Allan", last_name="Deyoung")
    make_relationship(partner, contoso, accepted_by=megan)
    stranger = make_tenant(name="Northwind Traders")
    return {
        "partner": partner,
        "contoso": contoso,
        "megan": megan,
        "plain": plain,
        "stranger": stranger,
        "limited": make_partner_user(partner, level="limited"),
        "full": make_partner_user(partner, level="full"),
        "none": make_partner_user(partner),
    }


def page(client, user, url):
    sign_in(client, user)
    response = client.get(url)
    return response.status_code, html.unescape(response.content.decode())


def test_an_agent_whose_access_ended_is_told_so(client, world):
    Relationship.objects.update(status=RelationshipStatus.TERMINATED)
    url = reverse("tenants:admin-center", args=[world["contoso"].pk])
    status, body = page(client, world["full"], url)
    assert status == 404
    assert "Fabrikam Partners' delegated access to Contoso has ended (terminated)" in body
    assert "accepting a new offer" in body


def test_staff_without_access_are_told_to_ask_their_partner_admin(client, world):
    status, body = page(client, world["none"], reverse("delegation:lookup"))
    assert status == 404
    assert "Ask your partner admin to give you Full or Limited administration" in body
    status, body = page(client, world["none"], reverse("delegation:staff"))
    assert "Only the partner admins of Fabrikam Partners manage its staff" in body


def test_a_limited_agent_is_told_why_it_cannot_reset_a_global_admins_password(client, world):
    contoso, megan = world["contoso"], world["megan"]
    url = reverse("tenants:user-reset-password", args=[contoso.pk, megan.pk])
    status, body = page(client, world["limited"], url)
    assert status == 404
    assert "You cannot reset the password of Megan Bowen: they hold Global administrator" in body
    # and the user's page says so where the button would be
    detail = client.get(reverse("tenants:user-detail", args=[contoso.pk, megan.pk]))
    text = detail.content.decode()
    assert "Reset password</a>" not in text
    assert "You cannot reset the password of Megan Bowen" in text
    # while an ordinary user's page offers the button and no reason
    other = client.get(reverse("tenants:user-detail", args=[contoso.pk, world["plain"].pk]))
    assert "Reset password</a>" in other.content.decode()
    assert "You cannot" not in other.content.decode()


def test_a_limited_agent_is_told_what_its_access_does_not_allow(client, world):
    url = reverse("tenants:subscriptions", args=[world["contoso"].pk])
    status, body = page(client, world["limited"], url)
    assert status == 404
    assert "Your delegated access to Contoso (Limited administration) does not allow" in body


def test_an_ordinary_user_is_told_the_admin_center_is_for_administrators(client, world):
    url = reverse("tenants:admin-center", args=[world["contoso"].pk])
    status, body = page(client, world["plain"], url)
    assert status == 404
    assert "The admin center of Contoso is for its administrators" in body


@override_settings(DEBUG=True)
def test_an_unknown_or_invisible_tenant_is_a_plain_not_found_in_development_too(client, world):
    sign_in(client, world["full"])
    invisible = client.get(reverse("tenants:admin-center", args=[world["stranger"].pk]))
    unknown = client.get(
        reverse("tenants:admin-center", args=["00000000-0000-0000-0000-000000000000"])
    )
    for response in (invisible, unknown):
        body = response.content.decode()
        assert response.status_code == 404
        assert "Page not found" in body
        assert "Northwind" not in body
        assert "URLconf" not in body  # not Django's debug page
    assert _without_tokens(invisible) == _without_tokens(unknown)


def _without_tokens(response):
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
