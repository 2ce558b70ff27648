"""JSON logs that carry the request id, the same id the audit events of the request carry."""

import json
import logging

import pytest

from audit import context
from audit.actions import Action
from audit.models import AuditEvent
from partnerportal.logging import JsonFormatter
from tests.factories import make_partner, make_partner_user, make_relationship, make_tenant, sign_in


def formatted(record: logging.LogRecord) -> dict:
    return json.loads(JsonFormatter("%(levelname)s %(name)s %(message)s").format(record))


def make_record(
    name: str = "tenants", msg: str = "hello %s", args: tuple[object, ...] = ("world",)
) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)


def test_a_line_is_one_json_object_with_level_logger_message_and_time():
    # when
    line = formatted(make_record())
    # then
    assert line["message"] == "hello world"
    assert line["level"] == "INFO"
    assert line["logger"] == "tenants"
    assert "time" in line
    assert "request_id" not in line


def test_a_line_written_while_serving_a_request_carries_its_id():
    # given
    token = context._current.set(context.RequestContext(request_id="a1b2c3"))
    try:
        # when
        line = formatted(make_record())
    finally:
        context._current.reset(token)
    # then
    assert line["request_id"] == "a1b2c3"


def test_a_failed_response_logged_by_django_names_its_request():
    # given: django.request logs after the request context closed, with the request
    class Request:
        request_id = "feed01"

    record = make_record("django.request", "Not Found: %s", ("/nowhere",))
    record.request = Request()
    record.status_code = 404
    # when
    line = formatted(record)
    # then
    assert line["request_id"] == "feed01"
    assert line["status_code"] == 404
    assert "request" not in line


def test_gunicorn_access_lines_become_fields():
    # given: gunicorn logs its format string with the atoms as the argument mapping
    atoms = {
        "m": "GET",
        "U": "/healthz",
        "q": "",
        "s": "200",
        "B": 15,
        "M": 3,
        "h": "127.0.0.1",
        "a": "probe",
        "{x-request-id}o": "0ff1ce",
        "r": "GET /healthz HTTP/1.1",
    }
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s', (atoms,), None
    )
    # when
    line = formatted(record)
    # then
    assert line["message"] == '127.0.0.1 "GET /healthz HTTP/1.1" 200'
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == "200"
    assert line["duration_ms"] == 3
    assert line["request_id"] == "0ff1ce"
    assert "query" not in line


@pytest.mark.django_db
def test_the_request_id_of_the_response_is_the_one_in_the_audit_event(client, settings):
    # given: an agent whose first visit to a customer's admin center is audited, through
    # a proxy we run (the test client's address) that names the request
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    partner = make_partner()
    customer = make_tenant()
    make_relationship(partner, customer)
    agent = make_partner_user(partner, level="full")
    sign_in(client, agent)
    # when
    response = client.get(f"/t/{customer.pk}/", headers={"X-Request-ID": "req-00042"})
    # then
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-00042"
    event = AuditEvent.objects.get(tenant=customer, action=Action.ADMIN_CENTER_ENTERED)
    assert event.request_id == "req-00042"
