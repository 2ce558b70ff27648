"""The lookup's searches are served by indexes on PostgreSQL, not by scans."""

import pytest
from django.db import connection

from delegation.selectors import customer_lookup
from tenants.models import Tenant
from tests.factories import make_partner, make_relationship, make_tenant, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _plan(qs) -> str:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        # A test database is too small for the planner to prefer an index by itself.
        cursor.execute("SET LOCAL enable_seqscan = off")
    return qs.explain()


def test_part_of_a_name_is_found_through_the_trigram_index():
    # given
    partner = make_partner()
    tenant = make_tenant(name="Northridge Traders")
    make_relationship(partner, tenant)
    # when
    qs = customer_lookup(partner, "RiDgE")
    # then: the lookup's name condition (UPPER(name) LIKE '%...%') is the index's
    # expression (with a partner's few customers, the planner may start from them)
    assert list(qs) == [tenant]
    assert "UPPER" in str(qs.query)
    assert "tenant_name_upper_trgm_idx" in _plan(Tenant.objects.filter(name__icontains="RiDgE"))


def test_a_users_email_is_found_through_the_email_index():
    # given
    partner = make_partner()
    tenant = make_tenant()
    user = make_user(tenant, email="grady.archie@findme.example")
    make_relationship(partner, tenant)
    # when
    qs = customer_lookup(partner, "Grady.Archie@FindMe.example")
    # then: an exact match on the stored (lower-case) address, which its unique index
    # serves, where a case-insensitive comparison (UPPER) would scan
    assert list(qs) == [tenant]
    plan = _plan(qs)
    assert "Seq Scan on tenants_user" not in plan
    assert "upper" not in str(qs.query).lower()
    assert user.email == "grady.archie@findme.example"
