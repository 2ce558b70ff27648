"""Constraints of the directory live in the database; these tests bypass the forms."""

import pytest
from django.db import IntegrityError, transaction

from tenants.models import Domain, RoleAssignment, User
from tenants.roles import Role
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.django_db


def test_a_second_verified_holder_of_a_name_is_rejected_by_the_database():
    # given
    make_tenant(domain="contoso.example")  # verified
    other = make_tenant()
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.bulk_create([Domain(tenant=other, name="contoso.example", verified=True)])
    # an unverified claim of the name is allowed
    Domain.objects.bulk_create([Domain(tenant=other, name="contoso.example")])


def test_a_tenant_holds_a_name_once():
    tenant = make_tenant(domain="contoso.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.bulk_create([Domain(tenant=tenant, name="contoso.example")])


def test_domain_in_another_case_is_the_same_domain():
    make_tenant(domain="contoso.example")
    other = make_tenant()
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.create(tenant=other, name="CONTOSO.example", verified=True)


def test_upper_case_domain_cannot_be_stored_behind_save():
    tenant = make_tenant()
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.bulk_create([Domain(tenant=tenant, name="Mixed.Example")])


def test_two_default_domains_are_rejected_by_the_database():
    tenant = make_tenant()
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.bulk_create([Domain(tenant=tenant, name="second.example", is_default=True)])
    # a second, non-default domain is fine
    Domain.objects.create(tenant=tenant, name="second.example", is_default=False)
    assert tenant.domains.count() == 2


def test_duplicate_email_in_any_letter_case_is_rejected_by_the_database():
    tenant = make_tenant()
    make_user(tenant, email="megan@contoso.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(tenant=tenant, email="Megan@Contoso.example")])


def test_a_role_is_held_once():
    tenant = make_tenant()
    user = make_user(tenant, roles=[Role.GLOBAL_ADMIN])
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.GLOBAL_ADMIN)


def test_unknown_role_is_rejected_by_the_database():
    tenant = make_tenant()
    user = make_user(tenant)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role="emperor")])


def test_emails_are_stored_lower_case():
    tenant = make_tenant()
    user = make_user(tenant, email="Adele.Vance@Fabrikam.example")
    assert user.email == "adele.vance@fabrikam.example"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Contoso", "Contoso's"),
        ("Fabrikam Partners", "Fabrikam Partners'"),
        ("LITWARE INC", "LITWARE INC's"),
    ],
)
def test_possessive_of_an_organisation_name(name, expected):
    from tenants.text import possessive

    assert possessive(name) == expected
