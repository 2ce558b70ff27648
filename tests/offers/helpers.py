"""Offers, partners and customers as the tests of offers need them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from offers.models import Offer, OfferPreset
from offers.services import offer_create
from tenants.models import Tenant, User
from tenants.roles import Role
from tests.factories import make_partner, make_partner_user, make_tenant, make_user


@dataclass
class World:
    partner: Tenant
    partner_admin: User
    customer: Tenant
    customer_admin: User


def make_world(*, partner_name: str = "Fabrikam Partners") -> World:
    partner = make_partner(name=partner_name)
    partner_admin = make_partner_user(
        partner, roles=[Role.GLOBAL_ADMIN], first_name="Alex", last_name="Wilber"
    )
    customer = make_tenant(name="Contoso")
    customer_admin = make_user(
        customer, roles=[Role.GLOBAL_ADMIN], first_name="Megan", last_name="Bowen"
    )
    return World(partner, partner_admin, customer, customer_admin)


def make_offer(
    admin: User,
    *,
    preset: OfferPreset = OfferPreset.FULL,
    roles: list[Role] | None = None,
    duration_days: int = 730,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> Offer:
    return offer_create(
        acting_user=admin,
        preset=preset,
        roles=[str(r) for r in roles or []],
        duration_days=duration_days,
        expires_at=expires_at,
        max_uses=max_uses,
    )


def make_customer_admin(name: str = "Northwind Traders") -> User:
    return make_user(make_tenant(name=name), roles=[Role.GLOBAL_ADMIN])
