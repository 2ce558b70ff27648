"""Error pages say what happened and what to do, and a failed write leaves nothing behind."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from tenants.models import Tenant, User

pytestmark = pytest.mark.django_db


def test_not_found_page_is_in_the_portal_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_csrf_failure_says_nothing_was_changed():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "x@y.example", "password": "z"})
    assert response.status_code == 403
    assert "Nothing was changed" in response.content.decode()


def test_database_dropped_during_sign_up_gives_a_clean_page_and_no_partial_write(
    monkeypatch, settings, record_property
):
    # given: the database connection fails after the tenant row is written
    settings.DEBUG = False
    from tenants import services

    original = services.Domain.save

    def failing_save(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services.Domain, "save", failing_save)
    client = Client(raise_request_exception=False)
    # when
    response = client.post(
        reverse("account_signup"),
        {
            "organisation": "Half Written Ltd",
            "domain": "halfwritten.example",
            "first_name": "Ann",
            "last_name": "Archer",
            "email": "ann@halfwritten.example",
            "password1": "correct-horse-battery-staple",
            "password2": "correct-horse-battery-staple",
        },
    )
    monkeypatch.setattr(services.Domain, "save", original)
    # then
    assert response.status_code == 500
    body = response.content.decode()
    assert "nothing was changed" in body
    assert "Reference for support" in body
    assert not Tenant.objects.filter(name="Half Written Ltd").exists()
    assert not User.objects.filter(email="ann@halfwritten.example").exists()
    record_property("battery.faults", 1)
