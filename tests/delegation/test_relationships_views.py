"""Partner relationships in the customer's admin center, and the partner's end action."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import Relationship, RelationshipStatus
from tenants.models import OutboundEmail
from tenants.roles import Role
from tests.factories import (
    age_sign_in,
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
    fabrikam = make_partner(name="Fabrikam Partners", domain="fabrikam.example")
    contoso = make_tenant(name="Contoso", domain="contoso.example")
    megan = make_user(
        contoso, email="megan@contoso.example", first_name="Megan", last_name="Bowen",
        roles=[Role.GLOBAL_ADMIN],
    )  # fmt: skip
    patti = make_user(contoso, email="patti@contoso.example", roles=[Role.PASSWORD_ADMIN])
    alex = make_partner_user(fabrikam, email="alex@fabrikam.example", roles=[Role.GLOBAL_ADMIN])
    lee = make_partner_user(
        fabrikam, email="lee@fabrikam.example", first_name="Lee", last_name="Gu", level="full"
    )
    rel = make_relationship(fabrikam, contoso, accepted_by=megan, roles=[Role.GLOBAL_ADMIN])
    return locals()


def urls(w):
    t, r = w["contoso"].pk, w["rel"].pk
    return {
        "list": reverse("delegation:relationships", kwargs={"tenant_id": t}),
        "remove": reverse(
            "delegation:relationship-remove", kwargs={"tenant_id": t, "relationship_id": r}
        ),
        "renew": reverse(
            "delegation:relationship-renew", kwargs={"tenant_id": t, "relationship_id": r}
        ),
        "end": reverse("delegation:customer-relationship-end", kwargs={"relationship_id": r}),
        "center": reverse("tenants:admin-center", kwargs={"tenant_id": t}),
    }


def test_the_customer_sees_each_relationship_with_its_details(client, world):
    w = world
    old = make_relationship(make_partner(name="Litware"), w["contoso"], status="expired")
    sign_in(client, w["megan"])
    response = client.get(urls(w)["list"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fabrikam Partners" in html
    assert "Global administrator" in html
    assert "Megan Bowen" in html
    assert w["rel"].expires.strftime("%Y") in html
    assert "Litware" in html  # history stays visible
    assert response.context["current"] == [w["rel"]]
    assert response.context["history"] == [old]
    assert urls(w)["remove"] in html
    assert urls(w)["renew"] in html


def test_megan_removes_fabrikam_and_lee_is_refused_on_his_next_click(
    client, world, django_capture_on_commit_callbacks
):
    # given lee is working in Contoso's admin center
    w = world
    lee_client = client.__class__()
    sign_in(lee_client, w["lee"])
    assert lee_client.get(urls(w)["center"]).status_code == 200
    # when megan confirms the removal with a reason
    sign_in(client, w["megan"])
    page = client.get(urls(w)["remove"])
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(urls(w)["remove"], {"reason": "Moving to another provider."})
    # then
    assert response.status_code == 302
    assert response.url == urls(w)["list"]
    assert Relationship.objects.get(pk=w["rel"].pk).status == RelationshipStatus.TERMINATED
    assert lee_client.get(urls(w)["center"]).status_code == 404
    assert AuditEvent.objects.filter(action=Action.RELATIONSHIP_TERMINATED).count() == 1
    assert OutboundEmail.objects.filter(to="alex@fabrikam.example", kind="terminated").exists()
    # a second submit of the same form changes nothing and says why
    again = client.post(urls(w)["remove"], {"reason": "Again."}, follow=True)
    assert "already" in again.content.decode()
    assert AuditEvent.objects.filter(action=Action.RELATIONSHIP_TERMINATED).count() == 1


def test_removal_without_a_reason_shows_the_form_again(client, world):
    w = world
    sign_in(client, w["megan"])
    response = client.post(urls(w)["remove"], {"reason": ""})
    assert response.status_code == 200
    assert Relationship.objects.get(pk=w["rel"].pk).status == RelationshipStatus.ACTIVE


@pytest.mark.parametrize("name", ["remove", "renew"])
def test_an_old_sign_in_must_reauthenticate_first(client, world, name):
    w = world
    sign_in(client, w["megan"])
    age_sign_in(client)
    for response in (client.get(urls(w)[name]), client.post(urls(w)[name], {"reason": "x"})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_reauthenticate"))
    assert Relationship.objects.get(pk=w["rel"].pk).status == RelationshipStatus.ACTIVE
    assert Relationship.objects.get(pk=w["rel"].pk).expires == w["rel"].expires


@pytest.mark.parametrize("who", ["lee", "patti", "alex"])
def test_no_one_acting_for_the_customer_sees_or_reaches_remove_and_renew(client, world, who):
    # given
    w = world
    sign_in(client, w[who])
    # then the pages do not exist for them, and a crafted POST changes nothing
    for name in ("list", "remove", "renew"):
        assert client.get(urls(w)[name]).status_code == 404
    assert client.post(urls(w)["remove"], {"reason": "crafted"}).status_code == 404
    assert client.post(urls(w)["renew"]).status_code == 404
    rel = Relationship.objects.get(pk=w["rel"].pk)
    assert rel.status == RelationshipStatus.ACTIVE
    assert rel.expires == w["rel"].expires
    assert not AuditEvent.objects.filter(action__startswith="relationship.").exists()


def test_the_nav_offers_partner_relationships_to_the_global_admin_only(client, world):
    w = world
    sign_in(client, w["megan"])
    assert urls(w)["list"] in client.get(urls(w)["center"]).content.decode()
    sign_in(client, w["lee"])
    assert urls(w)["list"] not in client.get(urls(w)["center"]).content.decode()


def test_renew_is_one_confirmed_action(client, world, django_capture_on_commit_callbacks):
    w = world
    Relationship.objects.filter(pk=w["rel"].pk).update(
        starts=timezone.now() - timedelta(days=720), expires=timezone.now() + timedelta(days=10)
    )
    sign_in(client, w["megan"])
    assert "Renew for 730 days" in client.get(urls(w)["renew"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(urls(w)["renew"])
    assert response.status_code == 302
    rel = Relationship.objects.get(pk=w["rel"].pk)
    assert rel.expires > timezone.now() + timedelta(days=729)
    assert AuditEvent.objects.filter(action=Action.RELATIONSHIP_RENEWED).count() == 1
    assert OutboundEmail.objects.filter(to="alex@fabrikam.example", kind="renewed").exists()


def test_an_expired_relationship_cannot_be_renewed_from_the_page(client, world):
    w = world
    Relationship.objects.filter(pk=w["rel"].pk).update(
        starts=timezone.now() - timedelta(days=40), expires=timezone.now() - timedelta(days=1)
    )
    sign_in(client, w["megan"])
    assert "cannot be renewed" in client.get(urls(w)["renew"]).content.decode()
    response = client.post(urls(w)["renew"], follow=True)
    assert "only a new offer" in response.content.decode()
    assert Relationship.objects.get(pk=w["rel"].pk).expires < timezone.now()


def test_the_partner_admin_ends_a_relationship_from_its_side(
    client, world, django_capture_on_commit_callbacks
):
    # given
    w = world
    lee_client = client.__class__()
    sign_in(lee_client, w["lee"])
    sign_in(client, w["alex"])
    assert client.get(urls(w)["end"]).status_code == 200
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(urls(w)["end"], {"reason": "We no longer serve Contoso."})
    # then
    assert response.status_code == 302
    assert Relationship.objects.get(pk=w["rel"].pk).status == RelationshipStatus.TERMINATED
    assert lee_client.get(urls(w)["center"]).status_code == 404
    event = AuditEvent.objects.get(action=Action.RELATIONSHIP_ENDED_BY_PARTNER)
    assert event.tenant_id == w["contoso"].pk
    assert OutboundEmail.objects.filter(to="megan@contoso.example", kind="terminated").exists()


@pytest.mark.parametrize("who", ["lee", "megan", "other_admin"])
def test_only_that_partners_admins_reach_the_end_action(client, world, who):
    w = world
    user = (
        make_partner_user(make_partner(), roles=[Role.GLOBAL_ADMIN])
        if who == "other_admin"
        else w[who]
    )
    sign_in(client, user)
    assert client.get(urls(w)["end"]).status_code == 404
    assert client.post(urls(w)["end"], {"reason": "crafted"}).status_code == 404
    assert Relationship.objects.get(pk=w["rel"].pk).status == RelationshipStatus.ACTIVE


def test_the_partner_end_action_asks_an_old_sign_in_to_reauthenticate(client, world):
    w = world
    sign_in(client, w["alex"])
    age_sign_in(client)
    response = client.post(urls(w)["end"], {"reason": "x"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert Relationship.objects.get(pk=w["rel"].pk).status == RelationshipStatus.ACTIVE
