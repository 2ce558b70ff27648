"""Prepared statements on PostgreSQL: a statement run often is prepared on its
connection; what runs inside ``planned_each_run`` never is."""

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.services import audit_record
from partnerportal.db import planned_each_run
from partnerportal.settings.base import prepare_threshold
from tenants.models import Tenant
from tenants.roles import Role
from tests.factories import make_tenant, make_user, sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", 5), ("off", None), (" OFF ", None), ("0", 0), ("12", 12)],
)
def test_the_threshold_is_read_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", value)
    assert prepare_threshold("DATABASE_PREPARE_THRESHOLD") == expected


@pytest.mark.parametrize("value", ["-1", "five", "5.0"])
def test_a_threshold_that_is_no_count_is_refused(monkeypatch, value):
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", value)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_PREPARE_THRESHOLD"):
        prepare_threshold("DATABASE_PREPARE_THRESHOLD")


def test_statements_inside_planned_each_run_give_what_they_give_outside():
    make_tenant(name="Bridgewater")
    with planned_each_run():
        assert [t.name for t in Tenant.objects.filter(name__icontains="ridge")] == ["Bridgewater"]


# --- PostgreSQL ---------------------------------------------------------------------


def prepared(marker: str) -> list[str]:
    """The statements prepared on this connection that contain ``marker``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if marker in row[0]]


def run_often(sql: str, params: list[str]) -> None:
    """Run ``sql`` more times than a connection waits before preparing it."""
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    assert threshold is not None, "the settings prepare statements"
    with connection.cursor() as cursor:
        for _ in range(threshold + 2):
            cursor.execute(sql, params)
            cursor.fetchall()


@pytest.mark.postgres
def test_a_statement_run_often_is_prepared_with_its_parameters_bound_by_the_server():
    run_often("SELECT id AS probe_often FROM tenants_tenant WHERE name = %s", ["Contoso"])
    assert prepared("probe_often") == [
        "SELECT id AS probe_often FROM tenants_tenant WHERE name = $1"
    ]


@pytest.mark.postgres
def test_a_search_by_part_of_a_name_is_planned_each_run_never_prepared():
    from tenants.selectors import users_page

    tenant = make_tenant(name="Bridgewater")
    make_user(tenant, email="megan@bridgewater.example")
    for _ in range(10):
        page = users_page(tenant, q="megan")
        assert [u.email for u in page.users] == ["megan@bridgewater.example"]
    assert prepared("LIKE") == []


@pytest.mark.postgres
def test_inside_planned_each_run_nothing_is_prepared_and_after_it_preparing_resumes():
    marker = "probe_resumes"
    sql = "SELECT id AS probe_resumes FROM tenants_tenant WHERE name = %s"
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold  # type: ignore[union-attr]
    with planned_each_run():
        run_often(sql, ["Contoso"])
        assert prepared(marker) == []
    assert connection.connection.prepare_threshold == threshold  # type: ignore[union-attr]
    run_often(sql, ["Contoso"])
    assert len(prepared(marker)) == 1


@pytest.mark.postgres
def test_the_audit_log_filtered_by_dates_is_planned_each_run(client: Client):
    tenant = make_tenant(name="Contoso")
    admin = make_user(tenant, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN])
    audit_record(tenant=tenant, action=Action.USER_UPDATED)
    sign_in(client, admin)
    url = reverse("audit:log", kwargs={"tenant_id": tenant.pk})
    for _ in range(10):
        assert client.get(url, {"date_from": "2020-01-01"}).status_code == 200
        assert client.get(url, {"date_from": "2020-01-01", "after": "1"}).status_code == 200
    assert prepared('"occurred_at" >=') == []
    for _ in range(10):
        assert client.get(url).status_code == 200
    assert len(prepared('FROM "audit_auditevent"')) >= 1


@pytest.mark.postgres
def test_a_page_of_a_tenants_users_is_planned_for_its_tenant_each_run(client: Client):
    tenant = make_tenant(name="Contoso")
    admin = make_user(tenant, email="megan@contoso.example", roles=[Role.GLOBAL_ADMIN])
    sign_in(client, admin)
    url = reverse("tenants:users", kwargs={"tenant_id": tenant.pk})
    for _ in range(10):
        response = client.get(url)
        assert response.status_code == 200
        assert "megan@contoso.example" in response.content.decode()
    # the page's statement; the signed-in user's own, also with its roles, is prepared
    assert prepared('WHERE "tenants_user"."tenant_id" = $1 ORDER BY') == []
    assert prepared('AS "role_codes"') != []
