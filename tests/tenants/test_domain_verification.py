"""Domains are proven by a DNS TXT record, looked up on a real DNS server on 127.0.0.1."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tenants import services
from tenants.models import Domain, OutboundEmail, User
from tenants.roles import Role
from tests.factories import enrol_totp, make_tenant, make_user, sign_in

pytestmark = pytest.mark.django_db


def _verify(client, tenant, domain):
    url = reverse("tenants:domain-verify", args=[tenant.pk, domain.pk])
    return client.post(url, follow=True)


def _claim(tenant, name, **fields):
    return Domain.objects.create(tenant=tenant, name=name, **fields)


def test_adding_a_domain_shows_its_own_txt_record(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    # when
    response = client.post(
        reverse("tenants:domain-add", args=[actors.customer.pk]),
        {"name": "sales.contoso.test"},
        follow=True,
    )
    # then
    domain = Domain.objects.get(name="sales.contoso.test")
    other = _claim(actors.other_tenant, "sales.contoso.test")
    assert len(domain.verification_token) == 32
    assert domain.verification_token != other.verification_token
    assert domain.txt_record == f"partner-portal-verification={domain.verification_token}"
    body = response.content.decode()
    assert f'value="{domain.txt_record}"' in body
    assert "TXT" in body
    assert "create the TXT record shown below" in body


def test_verify_succeeds_when_the_record_is_published(client, actors, dns):
    # given
    domain = _claim(actors.customer, "sales.contoso.test")
    dns.txt("sales.contoso.test", "v=spf1 -all", domain.txt_record)
    sign_in(client, actors.full_agent)
    # when
    response = _verify(client, actors.customer, domain)
    again = _verify(client, actors.customer, domain)
    # then
    domain.refresh_from_db()
    assert domain.verified
    assert "sales.contoso.test is verified." in response.content.decode()
    assert "was already verified" in again.content.decode()
    assert "sales.contoso.test" in dns.queries
    event = AuditEvent.objects.get(action=Action.DOMAIN_VERIFIED)
    assert event.tenant_id == actors.customer.pk
    assert event.relationship_id == actors.relationship.pk
    assert event.changes == {"verified": [False, True]}


@pytest.mark.parametrize(
    "records",
    [
        None,  # NXDOMAIN: the name has no records at all
        (),  # the name exists, with no TXT record
        ("partner-portal-verification=0123456789abcdef0123456789abcdef",),  # another token
    ],
    ids=["nxdomain", "no-txt", "wrong-token"],
)
def test_verify_fails_with_a_clear_message_without_the_exact_record(client, actors, dns, records):
    # given
    domain = _claim(actors.customer, "sales.contoso.test")
    if records is not None:
        dns.txt("sales.contoso.test", *records)
    sign_in(client, actors.customer_admin)
    # when
    response = _verify(client, actors.customer, domain)
    # then
    domain.refresh_from_db()
    assert not domain.verified
    body = response.content.decode()
    assert response.status_code == 200
    assert "We could not find the TXT record" in body
    assert domain.txt_record in body
    assert "DNS changes can take time" in body
    assert not AuditEvent.objects.filter(action=Action.DOMAIN_VERIFIED).exists()


def test_a_record_of_the_parent_domain_does_not_verify_a_subdomain(actors, dns):
    domain = _claim(actors.customer, "sales.contoso.test")
    dns.txt("contoso.test", domain.txt_record)
    with pytest.raises(services.ValidationError) as error:
        services.domain_verify(
            acting_user=actors.customer_admin, tenant=actors.customer, domain=domain
        )
    assert error.value.code == "not_found"


def test_verify_says_dns_could_not_be_reached_when_it_does_not_answer(client, actors, silent_dns):
    # given
    domain = _claim(actors.customer, "sales.contoso.test")
    sign_in(client, actors.customer_admin)
    # when
    response = _verify(client, actors.customer, domain)
    # then
    domain.refresh_from_db()
    assert response.status_code == 200
    assert not domain.verified
    assert "We could not reach DNS" in response.content.decode()
    assert "try again" in response.content.decode().lower()


@pytest.mark.django_db(transaction=True)
def test_the_lookup_runs_outside_any_transaction(actors, dns, monkeypatch):
    # given
    domain = _claim(actors.customer, "sales.contoso.test")
    dns.txt("sales.contoso.test", domain.txt_record)
    seen = []
    lookup = services.txt_records

    def spy(name):
        seen.append(connection.in_atomic_block)
        return lookup(name)

    monkeypatch.setattr(services, "txt_records", spy)
    # when
    services.domain_verify(acting_user=actors.customer_admin, tenant=actors.customer, domain=domain)
    # then
    assert seen == [False]
    domain.refresh_from_db()
    assert domain.verified


def test_an_unverified_claim_blocks_no_one(actors):
    # given: another organisation claims the name without proving it
    _claim(actors.other_tenant, "fabrikam-sales.test")
    # when
    domain = services.domain_add(
        acting_user=actors.customer_admin, tenant=actors.customer, name="Fabrikam-Sales.test"
    )
    # then
    assert not domain.verified
    assert Domain.objects.filter(name="fabrikam-sales.test").count() == 2
    assert not services.domain_is_taken("fabrikam-sales.test")
    assert services.domain_is_taken("fabrikam-sales.test", tenant=actors.customer)


def test_a_name_is_added_once_to_a_tenant_and_not_when_verified_elsewhere(actors):
    # given
    services.domain_add(acting_user=actors.customer_admin, tenant=actors.customer, name="a.test")
    _claim(actors.other_tenant, "b.test", verified=True)
    # when / then
    with pytest.raises(services.ValidationError) as twice:
        services.domain_add(
            acting_user=actors.customer_admin, tenant=actors.customer, name="A.test"
        )
    with pytest.raises(services.ValidationError) as taken:
        services.domain_add(
            acting_user=actors.customer_admin, tenant=actors.customer, name="b.test"
        )
    assert twice.value.code == "duplicate"
    assert taken.value.code == "taken"
    assert actors.customer.domains.filter(name__in=["a.test", "b.test"]).count() == 1


def test_verifying_moves_the_name_from_the_organisations_that_only_claimed_it(actors, dns):
    # given: a squatter claimed the name first, as its default, with a user in it
    squatter = make_tenant(name="Squatter", domain="squatter.test")
    squatter_admin = make_user(squatter, email="eve@squatter.test", roles=[Role.GLOBAL_ADMIN])
    squatter.domains.update(is_default=False)
    lost = _claim(squatter, "sales.contoso.test", is_default=True)
    squatter_user = make_user(squatter, email="mallory@sales.contoso.test")
    mine = _claim(actors.customer, "sales.contoso.test")
    dns.txt("sales.contoso.test", mine.txt_record)
    client = Client(REMOTE_ADDR="203.0.113.9")
    sign_in(client, actors.customer_admin)
    # when
    response = _verify(client, actors.customer, mine)
    # then: the name is the prover's alone
    assert "sales.contoso.test is verified." in response.content.decode()
    rows = Domain.objects.filter(name="sales.contoso.test").values_list("pk", "verified")
    assert list(rows) == [(mine.pk, True)]
    assert not Domain.objects.filter(pk=lost.pk).exists()
    # the loser falls back to its verified domain as default, keeps its users
    default = squatter.default_domain
    assert default is not None
    assert default.name == "squatter.test"
    squatter_user.refresh_from_db()
    assert squatter_user.tenant_id == squatter.pk
    # both sides audited
    assert AuditEvent.objects.filter(
        tenant_id=actors.customer.pk, action=Action.DOMAIN_VERIFIED
    ).exists()
    event = AuditEvent.objects.get(tenant_id=squatter.pk, action=Action.DOMAIN_LOST)
    assert event.actor_id is None
    assert (event.target_type, event.target_id) == ("domain", str(lost.pk))
    assert event.actor_tenant_id is None
    assert event.ip_address is None  # where the prover came from is not the loser's to read
    assert AuditEvent.objects.get(action=Action.DOMAIN_VERIFIED).ip_address == "203.0.113.9"
    assert event.changes == {
        "name": ["sales.contoso.test", None],
        "default_domain": ["sales.contoso.test", "squatter.test"],
    }
    # the loser's admins are told, without naming the prover
    message = OutboundEmail.objects.get(kind="lost")
    assert message.to == squatter_admin.email
    assert "sales.contoso.test" in message.subject
    assert "The default domain is now squatter.test" in message.body_text
    assert "Contoso" not in message.subject + message.body_text


def test_a_loser_without_another_verified_domain_is_left_without_a_default(actors, dns):
    # given: a fresh sign-up whose only domain is the claimed one
    squatter = make_tenant(name="Squatter", domain="squatter.test")
    squatter.domains.all().delete()
    _claim(squatter, "sales.contoso.test", is_default=True)
    mine = _claim(actors.customer, "sales.contoso.test")
    dns.txt("sales.contoso.test", mine.txt_record)
    # when
    services.domain_verify(acting_user=actors.customer_admin, tenant=actors.customer, domain=mine)
    # then
    assert squatter.default_domain is None
    assert not squatter.domains.exists()


def test_a_name_verified_elsewhere_is_not_verified_again(actors, dns):
    # given: a claim left over from before the other organisation proved the name
    _claim(actors.other_tenant, "sales.contoso.test", verified=True)
    mine = _claim(actors.customer, "sales.contoso.test")
    dns.txt("sales.contoso.test", mine.txt_record)
    # when / then
    with pytest.raises(services.ValidationError) as error:
        services.domain_verify(
            acting_user=actors.customer_admin, tenant=actors.customer, domain=mine
        )
    assert error.value.code == "taken"
    assert dns.queries == []  # no lookup for a name that is not to be had
    mine.refresh_from_db()
    assert not mine.verified


def test_two_tenants_cannot_both_hold_a_name_verified(actors):
    _claim(actors.other_tenant, "sales.contoso.test", verified=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.bulk_create(
            [Domain(tenant=actors.customer, name="sales.contoso.test", verified=True)]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        _claim(actors.customer, "sales.contoso.test").__class__.objects.filter(
            tenant=actors.customer, name="sales.contoso.test"
        ).update(verified=True)


def test_the_verify_service_refuses_who_may_not_manage_domains(actors, dns):
    domain = _claim(actors.customer, "sales.contoso.test")
    dns.txt("sales.contoso.test", domain.txt_record)
    with pytest.raises(services.PermissionDenied):
        services.domain_verify(
            acting_user=actors.limited_agent, tenant=actors.customer, domain=domain
        )
    assert dns.queries == []  # no lookup for someone who may not verify


def test_an_operator_marks_domains_verified_in_django_admin_and_it_is_audited(client, actors):
    # given: a claim to prove, and another organisation's claim of the same name
    mine = _claim(actors.customer, "sales.contoso.test")
    theirs = _claim(actors.other_tenant, "sales.contoso.test")
    operator = User.objects.create_superuser("ops@platform.example", "x" * 16)
    enrol_totp(operator)
    sign_in(client, operator)
    # when
    response = client.post(
        reverse("admin:tenants_domain_changelist"),
        {"action": "mark_verified", "_selected_action": [str(mine.pk)]},
        follow=True,
    )
    # then
    assert response.status_code == 200
    assert "Verified 1 domain(s)." in response.content.decode()
    mine.refresh_from_db()
    assert mine.verified
    assert not Domain.objects.filter(pk=theirs.pk).exists()
    event = AuditEvent.objects.get(action=Action.DOMAIN_VERIFIED)
    assert (event.tenant_id, event.actor_id) == (actors.customer.pk, operator.pk)
    assert event.changes == {"verified": [False, True], "by_operator": [None, True]}
    assert AuditEvent.objects.filter(
        tenant_id=actors.other_tenant.pk, action=Action.DOMAIN_LOST
    ).exists()


def test_only_a_platform_operator_verifies_by_hand(actors):
    domain = _claim(actors.customer, "sales.contoso.test")
    staff = make_user(actors.customer, is_staff=True, roles=[Role.GLOBAL_ADMIN])
    with pytest.raises(services.PermissionDenied):
        services.domain_verify_by_operator(operator=staff, domain=domain)
    domain.refresh_from_db()
    assert not domain.verified


def test_verify_clicks_are_limited_per_user(client, actors, dns, settings):
    # given
    settings.DOMAIN_VERIFY_RATE_LIMIT = "2/m"
    domain = _claim(actors.customer, "sales.contoso.test")
    sign_in(client, actors.customer_admin)
    url = reverse("tenants:domain-verify", args=[actors.customer.pk, domain.pk])
    # when
    statuses = [client.post(url).status_code for _ in range(3)]
    # then
    assert statuses == [302, 302, 429]
    assert dns.queries == ["sales.contoso.test"] * 2


def test_a_claim_lost_meanwhile_is_answered_without_asking_dns(actors, dns):
    # given: the page was loaded, then another organisation proved the name
    mine = _claim(actors.customer, "sales.contoso.test")
    Domain.objects.filter(pk=mine.pk).delete()
    _claim(actors.other_tenant, "sales.contoso.test", verified=True)
    # when / then
    with pytest.raises(services.ValidationError) as error:
        services.domain_verify(
            acting_user=actors.customer_admin, tenant=actors.customer, domain=mine
        )
    assert error.value.code == "gone"
    assert dns.queries == []
