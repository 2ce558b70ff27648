"""The benchmark's own endpoints: the baseline page and the query-count header."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from partnerportal.benchmark import QueryCountMiddleware
from tenants.roles import Role
from tests.factories import make_partner, make_partner_user, make_tenant, make_user, sign_in

pytestmark = pytest.mark.django_db


def test_the_baseline_page_is_not_found_unless_benchmark_endpoints_are_on(client, settings):
    # given
    settings.BENCHMARK_ENDPOINTS = False
    sign_in(client, make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN]))
    # when
    response = client.get("/_baseline/")
    # then
    assert response.status_code == 404


def test_the_baseline_page_is_also_not_found_for_anonymous_visitors_when_off(client, settings):
    settings.BENCHMARK_ENDPOINTS = False
    assert client.get(reverse("baseline")).status_code == 404


def test_the_baseline_page_asks_anonymous_visitors_to_sign_in(client, settings):
    # given
    settings.BENCHMARK_ENDPOINTS = True
    # when
    response = client.get("/_baseline/")
    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_baseline_page_renders_the_base_layout_for_a_signed_in_user(client, settings):
    # given
    settings.BENCHMARK_ENDPOINTS = True
    user = make_partner_user(make_partner(), level="full")
    sign_in(client, user)
    # when
    response = client.get("/_baseline/")
    # then
    assert response.status_code == 200
    assert response.templates[0].name == "base.html"
    assert f"Signed in as {user.email}" in response.content.decode()


def test_the_baseline_page_runs_only_the_layouts_queries(
    client, settings, django_assert_num_queries
):
    # given: the session, and the user with its tenant, roles, second factor and access
    # level, are what every page loads
    settings.BENCHMARK_ENDPOINTS = True
    sign_in(client, make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN]))
    client.get("/_baseline/")
    # when / then
    with django_assert_num_queries(2):
        assert client.get("/_baseline/").status_code == 200


def test_the_query_count_header_counts_every_statement_of_the_request():
    # given
    def view(request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.execute("SELECT 2")
        return HttpResponse("ok")

    middleware = QueryCountMiddleware(view)
    # when
    response = middleware(RequestFactory().get("/"))
    # then
    assert response["X-Query-Count"] == "2"


def test_the_query_count_header_is_there_only_with_benchmark_endpoints(client, settings):
    # given: the test settings leave BENCHMARK_ENDPOINTS off
    assert "partnerportal.benchmark.QueryCountMiddleware" not in settings.MIDDLEWARE
    # then
    assert "X-Query-Count" not in client.get("/healthz")
