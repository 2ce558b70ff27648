"""The cast of the admin center's tests: one customer and everyone who may (not) reach it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from tenants.roles import Role
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
)

if TYPE_CHECKING:
    from delegation.models import Relationship
    from tenants.models import Tenant, User

# The eight ways of arriving at a customer's admin center.
ACTOR_NAMES = (
    "anonymous",
    "other_tenant_admin",
    "agent_without_access",
    "limited_agent",
    "full_agent",
    "other_partner_agent",
    "customer_admin",
    "customer_user",
)


@dataclass
class Actors:
    customer: Tenant
    partner: Tenant
    relationship: Relationship
    customer_admin: User  # the customer's own global admin
    customer_user: User  # a plain user of the customer, no roles
    password_admin: User  # a password admin of the customer
    other_tenant: Tenant
    other_tenant_admin: User  # global admin of another customer
    agent_without_access: User  # the partner's staff with no delegated access
    limited_agent: User
    full_agent: User
    other_partner: Tenant
    other_partner_agent: User  # a Full agent of a partner without a relationship here

    def get(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


@pytest.fixture
def actors(db: None) -> Actors:
    customer = make_tenant(name="Contoso", domain="contoso.test")
    customer_admin = make_user(customer, email="megan@contoso.test", roles=[Role.GLOBAL_ADMIN])
    partner = make_partner(name="Fabrikam", domain="fabrikam.test")
    relationship = make_relationship(
        partner, customer, roles=[Role.GLOBAL_ADMIN], accepted_by=customer_admin
    )
    other_tenant = make_tenant(name="Northwind", domain="northwind.test")
    other_partner = make_partner(name="Litware", domain="litware.test")
    make_relationship(other_partner, other_tenant)
    return Actors(
        customer=customer,
        partner=partner,
        relationship=relationship,
        customer_admin=customer_admin,
        customer_user=make_user(customer, email="alex@contoso.test", first_name="Alex"),
        password_admin=make_user(customer, email="patti@contoso.test", roles=[Role.PASSWORD_ADMIN]),
        other_tenant=other_tenant,
        other_tenant_admin=make_user(
            other_tenant, email="nestor@northwind.test", roles=[Role.GLOBAL_ADMIN]
        ),
        agent_without_access=make_partner_user(partner, email="sam@fabrikam.test"),
        limited_agent=make_partner_user(partner, email="adele@fabrikam.test", level="limited"),
        full_agent=make_partner_user(partner, email="lee@fabrikam.test", level="full"),
        other_partner=other_partner,
        other_partner_agent=make_partner_user(
            other_partner, email="lou@litware.test", level="full"
        ),
    )
