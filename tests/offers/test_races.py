"""Answers at the same moment, on PostgreSQL with real threads and connections."""

from collections import Counter
from collections.abc import Callable

import pytest

from delegation.models import Relationship
from offers.models import Offer, OfferPreset, OfferResponse
from offers.services import AcceptOutcome, OfferError, offer_accept
from tenants.models import OutboundEmail, User
from tenants.roles import Role
from tests import racing
from tests.factories import make_user
from tests.offers.helpers import make_customer_admin, make_offer, make_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def race(jobs: list[Callable[[], object]]) -> list[object]:
    """Answers at once; a refused one comes back as its code ("exhausted", ...)."""
    return racing.race(jobs, refusals=(OfferError,), name=_code)


def _code(exc: Exception) -> str:
    assert isinstance(exc, OfferError)
    return exc.code.value


def outcome(acting_user: User, offer: Offer) -> Callable[[], object]:
    return lambda: offer_accept(offer=offer, acting_user=acting_user).outcome.value


def test_admins_of_one_customer_accepting_at_once_leave_one_relationship(record_property):
    # given: several global admins of one customer, and an unlimited offer
    world = make_world()
    admins = [world.customer_admin] + [
        make_user(world.customer, roles=[Role.GLOBAL_ADMIN]) for _ in range(THREADS - 1)
    ]
    offer = make_offer(world.partner_admin)
    # when
    results = race([outcome(admin, offer) for admin in admins])
    # then
    assert Counter(results) == {
        AcceptOutcome.CREATED.value: 1,
        AcceptOutcome.UNCHANGED.value: THREADS - 1,
    }, results
    assert Relationship.objects.filter(customer=world.customer, status="active").count() == 1
    offer.refresh_from_db()
    assert offer.uses == 1
    assert OfferResponse.objects.count() == 1
    assert OutboundEmail.objects.filter(kind="accepted_receipt").count() == 1
    record_property("battery.races", 1)


def test_a_one_use_offer_raced_by_many_customers_is_accepted_once(record_property):
    # given
    world = make_world()
    offer = make_offer(world.partner_admin, max_uses=1)
    customers = [make_customer_admin(f"Customer {i}") for i in range(THREADS)]
    # when
    results = race([outcome(admin, offer) for admin in customers])
    # then: one acceptance, every other answer a clean "exhausted"
    assert Counter(results) == {AcceptOutcome.CREATED.value: 1, "exhausted": THREADS - 1}, results
    assert Relationship.objects.filter(partner=world.partner).count() == 1
    offer.refresh_from_db()
    assert (offer.uses, offer.current_status) == (1, "exhausted")
    record_property("battery.races", 1)


def test_a_capped_offer_raced_by_many_customers_stops_at_its_cap(record_property):
    world = make_world()
    offer = make_offer(world.partner_admin, max_uses=3)
    customers = [make_customer_admin(f"Customer {i}") for i in range(THREADS)]
    results = race([outcome(admin, offer) for admin in customers])
    assert Counter(results) == {AcceptOutcome.CREATED.value: 3, "exhausted": THREADS - 3}, results
    offer.refresh_from_db()
    assert offer.uses == 3
    record_property("battery.races", 1)


def test_two_offers_of_one_partner_accepted_at_once_leave_one_active_relationship(
    record_property,
):
    # given: two offers, so the offer row lock does not serialise the answers
    world = make_world()
    second_admin = make_user(world.customer, roles=[Role.GLOBAL_ADMIN])
    offers = [
        make_offer(world.partner_admin, preset=OfferPreset.FULL),
        make_offer(world.partner_admin, preset=OfferPreset.HELPDESK),
    ]
    for _ in range(5):
        Relationship.objects.filter(customer=world.customer).delete()
        # when
        results = race([outcome(world.customer_admin, offers[0]), outcome(second_admin, offers[1])])
        # then: no error; one created, the other replaced it or found it in place
        assert all(isinstance(r, str) for r in results), results
        assert AcceptOutcome.CREATED.value in results
        assert Relationship.objects.filter(customer=world.customer, status="active").count() == 1
        record_property("battery.races", 1)
