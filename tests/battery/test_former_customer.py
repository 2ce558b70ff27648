"""After a relationship ends, the partner's pages read nothing of the former customer's
directory: an address or a domain finds nothing, a name finds the customer shown as ended."""

import pytest
from django.urls import reverse

from delegation.models import Relationship, RelationshipStatus
from tenants.models import Domain
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


@pytest.fixture(autouse=True)
def _counted(record_property):
    record_property("battery.attacks", 1)


@pytest.fixture
def former(client):
    """A Full agent of Fabrikam, signed in, and Contoso, whose relationship has ended and
    which has since added a domain and a user."""
    partner = make_partner(name="Fabrikam", domain="fabrikam.example")
    agent = make_partner_user(partner, level="full")
    contoso = make_tenant(name="Contoso Ltd", domain="contoso.example")
    make_user(contoso, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN])
    make_relationship(partner, contoso)
    Relationship.objects.filter(partner=partner, customer=contoso).update(
        status=RelationshipStatus.TERMINATED
    )
    Domain.objects.create(tenant=contoso, name="contoso-secret.example", verified=True)
    make_user(contoso, email="new.hire@contoso-secret.example")
    sign_in(client, agent)
    return contoso


def lookup(client, query):
    response = client.get(reverse("delegation:lookup"), {"q": query})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "megan@contoso.example",
        "new.hire@contoso-secret.example",
        "contoso.example",
        "contoso-secret.example",
        "contoso-secret.",
    ],
)
def test_an_address_or_domain_of_a_former_customer_finds_nothing(client, former, query):
    page = lookup(client, query)
    assert "Contoso Ltd" not in page
    assert "No customer found" in page
    assert "a former customer is found by its name" in page


def test_a_former_customer_found_by_name_is_shown_ended_without_directory_data(client, former):
    page = lookup(client, "contoso")
    # the card, after the search form (whose help names example values)
    page = page[page.index('<article class="card') :]
    assert "Contoso Ltd" in page
    assert "Terminated" in page
    assert "contoso-secret.example" not in page
    assert "contoso.example" not in page
    assert "megan@contoso.example" not in page
    assert "Administer on behalf of" not in page


def test_the_customers_list_shows_no_domain_of_a_former_customer(client, former):
    page = client.get(reverse("delegation:customers")).content.decode()
    assert "Contoso Ltd" in page
    assert "contoso.example" not in page
    assert "contoso-secret.example" not in page
