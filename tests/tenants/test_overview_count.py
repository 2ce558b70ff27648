"""The overview's user count stops counting at a cap instead of counting every row."""

import pytest
from django.urls import reverse

from tenants.models import User
from tenants.roles import Role
from tenants.selectors import user_count_display
from tests.factories import make_tenant, make_user, sign_in

pytestmark = pytest.mark.django_db


def _add_users(tenant, n):
    start = tenant.users.count()
    User.objects.bulk_create(
        [User(tenant=tenant, email=f"bulk{start + i}@{tenant.default_domain}") for i in range(n)]
    )


def test_below_the_cap_the_count_is_exact():
    # given
    tenant = make_tenant()
    _add_users(tenant, 4)
    # then
    assert user_count_display(tenant, cap=5) == "4"
    _add_users(tenant, 1)
    assert user_count_display(tenant, cap=5) == "5"


def test_above_the_cap_it_says_more_than_with_one_limited_query(django_assert_num_queries):
    # given
    tenant = make_tenant()
    _add_users(tenant, 7)
    # when / then
    with django_assert_num_queries(1) as captured:
        shown = user_count_display(tenant, cap=5)
    assert shown == "more than 5"
    sql = captured.captured_queries[0]["sql"]
    assert "LIMIT 6" in sql
    assert "ORDER BY" not in sql  # nothing to sort: the scan stops at the limit


def test_the_overview_shows_the_count(client):
    # given
    tenant = make_tenant()
    admin = make_user(tenant, roles=[Role.GLOBAL_ADMIN])
    _add_users(tenant, 2)
    sign_in(client, admin)
    # when
    response = client.get(reverse("tenants:admin-center", args=[tenant.pk]))
    # then
    assert response.context["user_count"] == "3"
