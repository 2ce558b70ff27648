"""The constraints offers rely on live in the database; these tests bypass the services."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from delegation.models import Relationship
from offers.models import Offer
from tests.factories import make_relationship
from tests.offers.helpers import make_offer, make_world

pytestmark = pytest.mark.django_db


def test_one_active_relationship_per_partner_and_customer():
    world = make_world()
    make_relationship(world.partner, world.customer, accepted_by=world.customer_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_relationship(world.partner, world.customer, accepted_by=world.customer_admin)
    # ended ones do not count
    make_relationship(
        world.partner, world.customer, accepted_by=world.customer_admin, status="terminated"
    )
    assert Relationship.objects.filter(customer=world.customer).count() == 2


@pytest.mark.parametrize(
    "change",
    [
        {"uses": 3},  # over the cap of 2
        {"duration_days": 0},
        {"duration_days": 731},
        {"status": "exhausted"},  # only active and revoked are stored
    ],
)
def test_offer_constraints(change):
    world = make_world()
    offer = make_offer(world.partner_admin, max_uses=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(**change)


def test_current_status_follows_time_and_uses():
    world = make_world()
    offer = make_offer(
        world.partner_admin, max_uses=1, expires_at=timezone.now() + timedelta(days=1)
    )
    assert offer.current_status == "active"
    offer.uses = 1
    assert offer.current_status == "exhausted"
    offer.expires_at = timezone.now() - timedelta(seconds=1)
    assert offer.current_status == "expired"
    offer.status = "revoked"
    assert offer.current_status == "revoked"
