"""A Full agent cannot outgrow its delegation through the customer's directory.

The attack, as found from outside: the agent creates a user in the customer, makes it a
global administrator, signs in as it (it saw its password), and through it turns off the
customer's MFA requirement and, once the customer has removed the partner, accepts the
partner's offer again. Every step that would give the agent more than it holds fails,
and nothing is written.
"""

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from offers.models import Offer
from tenants.models import OutboundEmail, User
from tenants.roles import Role
from tests.factories import (
    PASSWORD,
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db


def test_a_full_agent_cannot_make_a_global_admin_to_act_beyond_its_delegation(
    client, record_property
):
    record_property("battery.attacks", 1)
    # given: a customer that requires MFA of its admins, its partner, and a Full agent
    customer = make_tenant(name="Contoso", domain="contoso.test")
    admin = make_user(customer, email="megan@contoso.test", roles=[Role.GLOBAL_ADMIN])
    partner = make_partner(name="Fabrikam", domain="fabrikam.test")
    make_relationship(partner, customer, roles=[Role.GLOBAL_ADMIN], accepted_by=admin)
    agent = make_partner_user(partner, email="lee@fabrikam.test", level="full")
    assert customer.require_admin_mfa
    sign_in(client, agent)
    t = customer.pk
    create = reverse("tenants:user-create", args=[t])

    # when: step 1, the agent creates a global admin outright
    response = client.post(create, {"email": "backdoor@contoso.test", "roles": ["global_admin"]})
    # then: refused with its reason, nobody created
    assert response.status_code == 200
    assert "You cannot grant or remove the role Global administrator" in response.content.decode()
    assert not User.objects.filter(email="backdoor@contoso.test").exists()

    # when: step 1 again, a plain user (the agent may do that), then made global admin
    response = client.post(create, {"email": "backdoor@contoso.test"}, follow=True)
    assert response.status_code == 200
    backdoor = User.objects.get(email="backdoor@contoso.test")
    password = response.context["password"]
    roles = reverse("tenants:user-roles", args=[t, backdoor.pk])
    response = client.post(roles, {"role": "global_admin", "operation": "assign"}, follow=True)
    # then: refused with its reason, the user holds nothing, the customer hears nothing
    assert "You cannot grant or remove the role Global administrator" in response.content.decode()
    assert not backdoor.role_assignments.exists()
    assert not AuditEvent.objects.filter(action=Action.ROLE_ASSIGNED).exists()

    # when: the other way to a global admin's account: the customer's own admin's
    detail = reverse("tenants:user-detail", args=[t, admin.pk])
    page = client.get(detail).content.decode()
    attempts = [
        client.post(reverse("tenants:user-reset-password", args=[t, admin.pk])),
        client.post(reverse("tenants:user-edit", args=[t, admin.pk]), {"first_name": "X"}),
        client.post(reverse("tenants:user-disable", args=[t, admin.pk])),
    ]
    demote = client.post(
        reverse("tenants:user-roles", args=[t, admin.pk]),
        {"role": "global_admin", "operation": "remove"},
        follow=True,
    )
    # then: no button offers it, and every forged POST is refused
    assert "reset-password" not in page
    assert "/disable/" not in page
    assert [r.status_code for r in attempts] == [404, 404, 404]
    assert "You cannot grant or remove the role Global administrator" in demote.content.decode()
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)
    assert admin.is_active
    assert admin.role_assignments.filter(role=Role.GLOBAL_ADMIN).exists()

    # when: the agent signs in as the user it made, which holds no role
    backdoor_client = Client()
    assert backdoor_client.login(email=backdoor.email, password=password)
    backdoor.must_change_password = False
    backdoor.save(update_fields=["must_change_password"])
    sign_in(backdoor_client, backdoor, mfa=False)
    security = backdoor_client.post(reverse("tenants:security", args=[t]), {})
    offer = Offer.objects.create(partner=partner, roles=[Role.GLOBAL_ADMIN], created_by=agent)
    accept = backdoor_client.post(reverse("offers:accept", args=[offer.token]))
    # then: the MFA requirement stands, and the offer is not its to accept
    assert security.status_code == 404
    customer.refresh_from_db()
    assert customer.require_admin_mfa
    assert accept.status_code == 403
    assert not AuditEvent.objects.filter(action=Action.TENANT_SETTINGS_CHANGED).exists()
    assert not OutboundEmail.objects.filter(kind="admin_role_granted").exists()
