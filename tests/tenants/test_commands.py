"""seed_demo and create_partner."""

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tenants.models import Domain, Tenant, User
from tenants.roles import Role

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list]:
    """Every row of every project model, as plain values."""
    result = {}
    for label in ("tenants", "offers", "delegation", "audit", "account", "mfa"):
        for model in apps.get_app_config(label).get_models():
            result[model._meta.label] = sorted(
                (
                    tuple(sorted((k, str(v)) for k, v in row.items()))
                    for row in model._default_manager.values()
                ),
            )
    return result


def test_seed_demo_twice_leaves_the_same_rows():
    call_command("seed_demo", stdout=io.StringIO())
    first = snapshot()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == first
    assert "nothing changed" in out.getvalue()


def test_no_two_demo_people_share_a_name():
    call_command("seed_demo", stdout=io.StringIO())
    names = [f"{u.first_name} {u.last_name}" for u in User.objects.all()]
    first_names = [u.first_name for u in User.objects.all()]
    assert len(names) == len(set(names))
    # nor a first name, so "Adele" in a walk-through is one person
    assert len(first_names) == len(set(first_names))


def test_seed_demo_creates_the_documented_accounts():
    call_command("seed_demo", stdout=io.StringIO())
    fabrikam = Tenant.objects.get(name="Fabrikam Partners")
    assert fabrikam.is_partner
    assert {u.email for u in fabrikam.users.all()} == {
        "alex@fabrikam.example",
        "adele@fabrikam.example",
        "lee@fabrikam.example",
        "nina@fabrikam.example",
        "omar@fabrikam.example",
    }
    contoso = Tenant.objects.get(name="Contoso")
    assert contoso.users.count() >= 27
    megan = User.objects.get(email="megan@contoso.example")
    assert megan.role_assignments.filter(role=Role.GLOBAL_ADMIN).exists()
    for name in ("Contoso", "Northwind Traders", "Tailspin Toys"):
        assert Tenant.objects.get(name=name).subscriptions.count() >= 2
    client = Client()
    response = client.post(
        reverse("account_login"),
        {"login": "megan@contoso.example", "password": "portal-demo-2026"},
    )
    assert response["Location"] == reverse("tenants:admin-center", args=[contoso.pk])


def test_create_partner_prints_a_working_set_password_link():
    out = io.StringIO()
    call_command(
        "create_partner", "Litware Partners", "Litware.example", "Kim@Litware.example", stdout=out
    )
    partner = Tenant.objects.get(name="Litware Partners")
    assert partner.is_partner
    admin = User.objects.get(email="kim@litware.example")
    assert admin.tenant == partner
    assert admin.role_assignments.filter(role=Role.GLOBAL_ADMIN).exists()
    assert not admin.has_usable_password()
    link = out.getvalue().strip().splitlines()[-1]
    path = link.removeprefix("http://testserver")
    client = Client()
    response = client.get(path, follow=True)
    assert response.status_code == 200
    # the page welcomes the admin by its organisation, not a bare "Change Password"
    assert "Welcome to Partner Portal, Litware Partners: choose your password" in (
        response.content.decode()
    )
    form_path = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(
        form_path, {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"}
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password("a-brand-new-passphrase")
    # then: on to the partner overview (through sign-in and MFA enrolment)
    assert response["Location"] == reverse("delegation:partner-overview")
    response = client.get(response["Location"])
    assert response["Location"].startswith(reverse("account_login"))
    response = client.post(
        response["Location"], {"login": admin.email, "password": "a-brand-new-passphrase"}
    )
    assert response["Location"] == reverse("delegation:partner-overview")
    assert client.get(response["Location"])["Location"] == reverse("mfa_index")
    # and the link works only once
    response = Client().get(path, follow=True)
    assert "Link not valid" in response.content.decode()


def test_create_partner_leaves_the_domain_unverified_unless_told():
    # when
    out = io.StringIO()
    call_command("create_partner", "Litware", "litware.example", "kim@litware.example", stdout=out)
    call_command(
        "create_partner",
        "Proseware",
        "proseware.example",
        "pat@proseware.example",
        "--verified",
        stdout=io.StringIO(),
    )
    # then
    litware = Domain.objects.get(name="litware.example")
    assert (litware.verified, litware.is_default) == (False, True)
    assert "litware.example is not verified" in out.getvalue()
    assert Domain.objects.get(name="proseware.example").verified


def test_create_partner_verified_takes_the_name_over_from_a_claim():
    # given: a customer claimed the name, unverified
    call_command(
        "create_partner", "Squat", "litware.example", "eve@squat.example", stdout=io.StringIO()
    )
    # when
    call_command(
        "create_partner",
        "Litware",
        "litware.example",
        "kim@litware.example",
        "--verified",
        stdout=io.StringIO(),
    )
    # then
    domain = Domain.objects.get(name="litware.example")
    assert domain.verified
    assert domain.tenant.name == "Litware"
    assert AuditEvent.objects.filter(tenant__name="Squat", action=Action.DOMAIN_LOST).exists()


def test_seed_demo_domains_are_verified():
    call_command("seed_demo", stdout=io.StringIO())
    assert Domain.objects.exists()
    assert not Domain.objects.filter(verified=False).exists()


def test_create_partner_refuses_a_verified_domain():
    call_command(
        "create_partner",
        "Litware",
        "litware.example",
        "kim@litware.example",
        "--verified",
        stdout=io.StringIO(),
    )
    with pytest.raises(CommandError, match="already verified"):
        call_command(
            "create_partner", "Other", "LITWARE.example", "x@other.example", stdout=io.StringIO()
        )
    with pytest.raises(CommandError, match="valid domain"):
        call_command(
            "create_partner", "Other", "not a domain", "x@other.example", stdout=io.StringIO()
        )
