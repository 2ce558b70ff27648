"""Domains and subscriptions in the admin center."""

import pytest
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tenants.models import Domain, Subscription
from tenants.roles import Role
from tests.factories import make_user, sign_in

pytestmark = pytest.mark.django_db


def _post(client, actors, name, domain, follow=True):
    return client.post(reverse(name, args=[actors.customer.pk, domain.pk]), follow=follow)


def test_add_verify_make_default_and_remove_a_domain(client, actors, dns):
    # given
    sign_in(client, actors.full_agent)
    old_default = actors.customer.domains.get(is_default=True)
    # when: add
    response = client.post(
        reverse("tenants:domain-add", args=[actors.customer.pk]), {"name": " Sales.Contoso.TEST. "}
    )
    # then
    assert response.status_code == 302
    domain = Domain.objects.get(name="sales.contoso.test")
    assert domain.tenant == actors.customer
    assert not domain.verified
    # when: making an unverified domain the default
    response = _post(client, actors, "tenants:domain-default", domain)
    # then
    assert "Verify the domain" in response.content.decode()
    # when: the TXT record is published, verify, then make default
    dns.txt("sales.contoso.test", domain.txt_record)
    _post(client, actors, "tenants:domain-verify", domain)
    _post(client, actors, "tenants:domain-verify", domain)  # double submit
    _post(client, actors, "tenants:domain-default", domain)
    # then
    domain.refresh_from_db()
    old_default.refresh_from_db()
    assert domain.verified
    assert domain.is_default
    assert not old_default.is_default
    # when: the default cannot go, the old one can
    response = _post(client, actors, "tenants:domain-remove", domain)
    assert "default domain cannot be removed" in response.content.decode()
    assert Domain.objects.filter(pk=domain.pk).exists()
    actions = list(
        AuditEvent.objects.filter(tenant_id=actors.customer.pk)
        .exclude(action=Action.ADMIN_CENTER_ENTERED)
        .order_by("seq")
        .values_list("action", "relationship_id")
    )
    assert actions == [
        (Action.DOMAIN_ADDED, actors.relationship.pk),
        (Action.DOMAIN_VERIFIED, actors.relationship.pk),
        (Action.DOMAIN_DEFAULT_SET, actors.relationship.pk),
    ]


def test_a_domain_in_use_by_users_is_not_removed(client, actors):
    # given
    domain = Domain.objects.create(tenant=actors.customer, name="hr.contoso.test", verified=True)
    make_user(actors.customer, email="ann@hr.contoso.test")
    sign_in(client, actors.customer_admin)
    # when
    response = _post(client, actors, "tenants:domain-remove", domain)
    # then
    assert "Users still have addresses" in response.content.decode()
    assert Domain.objects.filter(pk=domain.pk).exists()


def test_an_unused_domain_is_removed_once(client, actors):
    # given
    domain = Domain.objects.create(tenant=actors.customer, name="old.contoso.test")
    sign_in(client, actors.customer_admin)
    # when
    _post(client, actors, "tenants:domain-remove", domain)
    again = _post(client, actors, "tenants:domain-remove", domain, follow=False)
    # then
    assert not Domain.objects.filter(pk=domain.pk).exists()
    assert again.status_code == 404
    assert AuditEvent.objects.filter(action=Action.DOMAIN_REMOVED).count() == 1


def test_a_domain_verified_by_another_organisation_cannot_be_added(client, actors):
    # given: northwind.test is verified by the other tenant
    sign_in(client, actors.customer_admin)
    # when
    response = client.post(
        reverse("tenants:domain-add", args=[actors.customer.pk]), {"name": "NORTHWIND.test"}
    )
    # then
    assert response.status_code == 200
    assert "already verified by another organisation" in response.content.decode()
    assert actors.customer.domains.count() == 1


def test_a_domain_is_added_once_to_an_organisation(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    Domain.objects.create(tenant=actors.customer, name="spare.contoso.test")
    # when
    response = client.post(
        reverse("tenants:domain-add", args=[actors.customer.pk]), {"name": "Spare.contoso.test"}
    )
    # then
    assert response.status_code == 200
    assert "already one of the organisation" in response.content.decode()
    assert actors.customer.domains.count() == 2


def test_the_limited_agent_sees_domains_without_any_action(client, actors):
    # given
    Domain.objects.create(tenant=actors.customer, name="spare.contoso.test")
    sign_in(client, actors.limited_agent)
    # when
    response = client.get(reverse("tenants:domains", args=[actors.customer.pk]))
    # then
    body = response.content.decode()
    assert "spare.contoso.test" in body
    for action in ("/verify/", "/default/", "/remove/", "/domains/new/"):
        assert action not in body


def test_seats_change_and_cancel_are_audited_and_idempotent(client, actors):
    # given
    sub = Subscription.objects.create(tenant=actors.customer, plan="Business Basic", seats=10)
    sign_in(client, actors.customer_admin)
    seats_url = reverse("tenants:subscription-seats", args=[actors.customer.pk, sub.pk])
    cancel_url = reverse("tenants:subscription-cancel", args=[actors.customer.pk, sub.pk])
    # when
    client.post(seats_url, {"seats": 12})
    client.post(seats_url, {"seats": 12})
    invalid = client.post(seats_url, {"seats": 0})
    client.post(cancel_url)
    client.post(cancel_url)
    after_cancel = client.post(seats_url, {"seats": 3})
    # then
    sub.refresh_from_db()
    assert sub.seats == 12
    assert sub.status == "cancelled"
    assert invalid.status_code == 200
    assert "greater than or equal to 1" in invalid.content.decode()
    assert "Only an active subscription" in after_cancel.content.decode()
    changes = list(
        AuditEvent.objects.filter(tenant_id=actors.customer.pk)
        .order_by("seq")
        .values_list("action", "changes")
    )
    assert changes == [
        (Action.SUBSCRIPTION_SEATS_CHANGED, {"seats": [10, 12]}),
        (Action.SUBSCRIPTION_CANCELLED, {"status": ["active", "cancelled"]}),
    ]


def test_a_billing_admin_manages_subscriptions_but_not_users(client, actors):
    # given
    billing = make_user(actors.customer, roles=[Role.BILLING_ADMIN])
    sign_in(client, billing)
    # when / then
    assert (
        client.get(reverse("tenants:subscriptions", args=[actors.customer.pk])).status_code == 200
    )
    assert client.get(reverse("tenants:user-create", args=[actors.customer.pk])).status_code == 404
