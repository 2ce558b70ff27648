"""The demo data of offers, as ``seed_demo`` loads it."""

import io

import pytest
from django.core.management import call_command

from delegation.models import Relationship
from offers.models import Offer
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_fabrikams_relationships_and_one_open_offer():
    # when
    call_command("seed_demo", stdout=io.StringIO())
    # then
    fabrikam = Tenant.objects.get(name="Fabrikam Partners")
    rows = {
        r.customer.name: (r.roles, r.accepted_by.email, r.is_effective())
        for r in Relationship.objects.filter(partner=fabrikam).select_related(
            "customer", "accepted_by"
        )
    }
    assert rows == {
        "Contoso": (["global_admin"], "megan@contoso.example", True),
        "Northwind Traders": (
            ["password_admin", "service_support_admin"],
            "nestor@northwind.example",
            True,
        ),
    }
    assert not Relationship.objects.filter(customer__name="Tailspin Toys").exists()
    open_offers = [
        o for o in Offer.objects.filter(partner=fabrikam) if o.current_status == "active"
    ]
    assert len(open_offers) == 1
    assert open_offers[0].preset == "full"
    assert open_offers[0].created_by.email == "alex@fabrikam.example"
