"""The demo story: Fabrikam's adele (Limited) and lee (Full) in Contoso, and megan at home."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import AgentAccess, Relationship
from tenants.models import ServiceRequest, Tenant, User
from tests.factories import enrol_totp, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    contoso = Tenant.objects.get(name="Contoso")
    fabrikam = Tenant.objects.get(name="Fabrikam Partners")
    users = {u.email.split("@")[0]: u for u in User.objects.all()}
    AgentAccess.objects.create(user=users["adele"], level="limited")
    AgentAccess.objects.create(user=users["lee"], level="full")
    # seed_demo gives Fabrikam its Full relationship with Contoso
    relationship = Relationship.objects.effective().get(partner=fabrikam, customer=contoso)
    # megan enrols her authenticator at her first sign-in, as Contoso requires
    enrol_totp(users["megan"])
    return contoso, users, relationship


def test_adele_lee_and_megan(demo):
    contoso, users, relationship = demo
    t = contoso.pk
    adele, lee, megan = Client(), Client(), Client()
    sign_in(adele, users["adele"])
    sign_in(lee, users["lee"])
    sign_in(megan, users["megan"])
    ordinary = users["grady.archie"]

    # adele (Limited) sees the banner and the users, and resets an ordinary user's password
    page = adele.get(reverse("tenants:users", args=[t])).content.decode()
    assert "Administering Contoso on behalf of Fabrikam Partners" in page
    assert "Limited administration" in page
    reset = adele.post(reverse("tenants:user-reset-password", args=[t, ordinary.pk]), follow=True)
    assert reset.status_code == 200
    ordinary.refresh_from_db()
    assert ordinary.check_password(reset.context["password"])
    assert ordinary.must_change_password
    # ... is refused for megan's, a global admin
    refused = adele.post(reverse("tenants:user-reset-password", args=[t, users["megan"].pk]))
    assert refused.status_code == 404
    # ... files a service request and shows the administrators
    filed = adele.post(
        reverse("tenants:service-request-create", args=[t]),
        {
            "title": "Licence question",
            "description": "Which plan covers shared mailboxes?",
            "severity": "low",
            "contact_name": "Adele Vance",
            "contact_email": "adele@fabrikam.example",
        },
    )
    assert filed.status_code == 302
    admins = adele.get(reverse("tenants:administrators", args=[t])).content.decode()
    assert "megan@contoso.example" in admins
    assert "patti@contoso.example" in admins
    assert "Password administrator" in admins
    assert "Fabrikam Partners" in admins
    # ... and sees no action it may not take
    assert "Add a user" not in page
    assert adele.get(reverse("tenants:subscriptions", args=[t])).status_code == 404

    # lee (Full) adds a user to Contoso
    added = lee.post(
        reverse("tenants:user-create", args=[t]),
        {"email": "new.hire@contoso.example", "first_name": "New", "last_name": "Hire"},
        follow=True,
    )
    assert added.status_code == 200
    assert "Full administration" in added.content.decode()
    assert contoso.users.filter(email="new.hire@contoso.example").exists()

    # megan sees all of it in Contoso's admin center
    users_page = megan.get(reverse("tenants:users", args=[t]) + "?q=new.hire").content.decode()
    assert "new.hire@contoso.example" in users_page
    assert "Administering" not in users_page
    requests = megan.get(reverse("tenants:service-requests", args=[t])).content.decode()
    assert "Licence question" in requests
    sr = ServiceRequest.objects.get()
    assert sr.filed_on_behalf_by_partner == relationship.partner
    assert sr.created_by == users["adele"]
    audited = AuditEvent.objects.filter(tenant_id=t, relationship=relationship).values_list(
        "action", "actor_email"
    )
    assert (Action.USER_PASSWORD_RESET, "adele@fabrikam.example") in audited
    assert (Action.SERVICE_REQUEST_CREATED, "adele@fabrikam.example") in audited
    assert (Action.USER_CREATED, "lee@fabrikam.example") in audited
