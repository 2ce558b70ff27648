"""/healthz and /readyz: unauthenticated, cheap, and honest about what is down."""

import json
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import override_settings

from partnerportal import health
from tests import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_broker_client():
    health._broker_client.cache_clear()
    yield
    health._broker_client.cache_clear()


def test_healthz_answers_without_touching_the_database_or_the_session(
    client, django_assert_num_queries
):
    # when
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    # then
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert "sessionid" not in response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405


def test_readyz_checks_the_database_and_reports_eager_tasks(client, django_assert_num_queries):
    # given: the test settings run tasks in-process, so there is no broker
    # when: the database is reached through Django's connection, with no query of its own
    with django_assert_num_queries(0):
        response = client.get("/readyz")
    # then
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "database": "ok",
        "broker": "eager",
    }
    assert "sessionid" not in response.cookies


def test_readyz_is_unavailable_when_the_database_is_down(client):
    # given
    with mock.patch.object(connection, "ensure_connection", side_effect=OperationalError("gone")):
        # when
        response = client.get("/readyz")
    # then
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable"
    assert body["database"] == "unreachable"
    assert "gone" not in response.content.decode()


@override_settings(CELERY_TASK_ALWAYS_EAGER=False, REDIS_URL="redis://127.0.0.1:1/6")
def test_readyz_is_degraded_but_ready_when_the_broker_does_not_answer(client):
    # when
    response = client.get("/readyz")
    # then: mail waits, pages are served; the host stays in the balancer
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "degraded",
        "database": "ok",
        "broker": "unreachable",
    }


@pytest.mark.redis
def test_readyz_pings_a_reachable_broker(client, settings):
    # given
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = services.REDIS_URL
    # when
    response = client.get("/readyz")
    # then
    assert response.status_code == 200
    assert json.loads(response.content)["broker"] == "ok"


def test_probes_need_no_sign_in(client):
    # given: nobody is signed in
    # then
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
