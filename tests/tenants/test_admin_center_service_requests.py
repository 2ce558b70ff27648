"""Service requests: filed in the admin center, answered by platform operators in Django
admin, with the requester emailed through the outbox on each update."""

import pytest
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from tenants.models import OutboundEmail, ServiceRequest, ServiceRequestComment
from tenants.services import service_request_answer, service_request_create, user_create
from tests.factories import make_user, sign_in

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Cannot send mail",
    "description": "Since this morning, mail to outside addresses bounces.",
    "severity": "high",
    "contact_name": "Adele Vance",
    "contact_email": "adele@fabrikam.test",
    "contact_phone": "+1 425 555 0101",
}


def _file(client, actors, **overrides):
    url = reverse("tenants:service-request-create", args=[actors.customer.pk])
    return client.post(url, {**FORM, **overrides})


def test_a_limited_agent_files_a_request_that_records_partner_and_agent(client, actors):
    # given
    sign_in(client, actors.limited_agent)
    # when
    response = _file(client, actors)
    # then
    sr = ServiceRequest.objects.get()
    assert response["Location"] == reverse(
        "tenants:service-request-detail", args=[actors.customer.pk, sr.pk]
    )
    assert sr.tenant == actors.customer
    assert sr.created_by == actors.limited_agent
    assert sr.filed_on_behalf_by_partner == actors.partner
    assert sr.relationship == actors.relationship
    assert sr.status == "open"
    assert sr.reference == "SR-000001"
    event = AuditEvent.objects.get(action=Action.SERVICE_REQUEST_CREATED)
    assert event.relationship_id == actors.relationship.pk
    assert event.actor_partner_level == "limited"
    page = client.get(response["Location"]).content.decode()
    assert "SR-000001" in page
    assert "on behalf of Contoso by Fabrikam" in page


def test_the_customers_own_request_records_no_partner(client, actors):
    # given
    sign_in(client, actors.customer_admin)
    # when
    _file(client, actors, contact_email="megan@contoso.test")
    _file(client, actors, title="Second")
    # then
    first, second = ServiceRequest.objects.order_by("number")
    assert first.filed_on_behalf_by_partner is None
    assert first.relationship is None
    assert (first.number, second.number) == (1, 2)


def test_numbers_run_per_tenant(actors):
    # given
    args = {k: v for k, v in FORM.items()}
    # when
    a = service_request_create(acting_user=actors.customer_admin, tenant=actors.customer, **args)
    b = service_request_create(
        acting_user=actors.other_tenant_admin, tenant=actors.other_tenant, **args
    )
    # then
    assert a.number == b.number == 1


def test_a_partner_without_a_relationship_cannot_be_recorded(actors):
    # given
    sr = service_request_create(acting_user=actors.customer_admin, tenant=actors.customer, **FORM)
    # when / then
    with pytest.raises(IntegrityError):
        ServiceRequest.objects.filter(pk=sr.pk).update(filed_on_behalf_by_partner=actors.partner)


def test_comments_and_close_from_the_admin_center(client, actors):
    # given
    sign_in(client, actors.limited_agent)
    _file(client, actors)
    sr = ServiceRequest.objects.get()
    comment_url = reverse("tenants:service-request-comment", args=[actors.customer.pk, sr.pk])
    close_url = reverse("tenants:service-request-close", args=[actors.customer.pk, sr.pk])
    # when
    client.post(comment_url, {"body": "  Any news?  "})
    empty = client.post(comment_url, {"body": "   "}, follow=True)
    client.post(close_url)
    client.post(close_url)
    late = client.post(comment_url, {"body": "One more thing"}, follow=True)
    # then
    assert list(sr.comments.values_list("body", "author", "by_support")) == [
        ("Any news?", actors.limited_agent.pk, False)
    ]
    assert "Write a comment first" in empty.content.decode()
    assert "This request is closed" in late.content.decode()
    sr.refresh_from_db()
    assert sr.status == "closed"
    assert AuditEvent.objects.filter(action=Action.SERVICE_REQUEST_CLOSED).count() == 1
    assert AuditEvent.objects.filter(action=Action.SERVICE_REQUEST_COMMENTED).count() == 1


def test_a_plain_customer_user_sees_no_request(client, actors):
    # given
    sr = service_request_create(acting_user=actors.customer_admin, tenant=actors.customer, **FORM)
    sign_in(client, actors.customer_user)
    # when
    response = client.get(
        reverse("tenants:service-request-detail", args=[actors.customer.pk, sr.pk])
    )
    # then
    assert response.status_code == 404


@pytest.fixture
def operator(db):
    from tenants.models import Tenant, TenantKind
    from tests.factories import enrol_totp

    ops = Tenant.objects.create(kind=TenantKind.OPERATOR, name="Platform operators")
    user = user_create(
        tenant=ops, email="ops@platform.test", password="x" * 16, is_staff=True, is_superuser=True
    )
    enrol_totp(user)
    return user


def _admin_post(client, sr, *, status, answer=""):
    url = reverse("admin:tenants_servicerequest_change", args=[sr.pk])
    existing = list(sr.comments.all())
    data = {
        "status": status,
        "comments-TOTAL_FORMS": str(len(existing) + 1),
        "comments-INITIAL_FORMS": str(len(existing)),
        "comments-MIN_NUM_FORMS": "0",
        "comments-MAX_NUM_FORMS": "1000",
        f"comments-{len(existing)}-body": answer,
        f"comments-{len(existing)}-id": "",
        f"comments-{len(existing)}-request": str(sr.pk),
    }
    for i, c in enumerate(existing):
        data[f"comments-{i}-id"] = str(c.pk)
        data[f"comments-{i}-request"] = str(sr.pk)
    return client.post(url, data)


def test_an_operator_answers_in_django_admin_and_the_requester_is_emailed(
    client, actors, operator, django_capture_on_commit_callbacks
):
    # given
    sr = service_request_create(acting_user=actors.limited_agent, tenant=actors.customer, **FORM)
    sign_in(client, operator)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_post(client, sr, status="in_progress", answer="We are looking into it.")
    # then
    assert response.status_code == 302, response.content.decode()[-2000:]
    sr.refresh_from_db()
    assert sr.status == "in_progress"
    answer = ServiceRequestComment.objects.get(request=sr)
    assert answer.by_support
    assert answer.author == operator
    rows = OutboundEmail.objects.order_by("created")
    assert {r.to for r in rows} == {"adele@fabrikam.test"}  # agent and contact are one address
    assert len(rows) == 2  # the status change and the answer
    assert all("SR-000001" in r.subject for r in rows)
    assert any("We are looking into it." in r.body_text for r in rows)
    assert len(mail.outbox) == 2
    updated = AuditEvent.objects.get(action=Action.SERVICE_REQUEST_UPDATED)
    assert updated.actor_id == operator.pk
    assert updated.changes == {"status": ["open", "in_progress"]}
    # and the tenant's side reads the answer as support's
    sign_in(client, actors.customer_admin)
    page = client.get(reverse("tenants:service-request-detail", args=[actors.customer.pk, sr.pk]))
    assert "We are looking into it." in page.content.decode()
    assert "Support" in page.content.decode()


def test_saving_in_admin_without_changes_sends_nothing(
    client, actors, operator, django_capture_on_commit_callbacks
):
    # given
    sr = service_request_create(acting_user=actors.customer_admin, tenant=actors.customer, **FORM)
    sign_in(client, operator)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_post(client, sr, status="open")
    # then
    assert response.status_code == 302
    assert not OutboundEmail.objects.exists()
    assert not sr.comments.exists()


def test_both_the_requester_and_a_different_contact_are_emailed(actors, operator):
    # given
    sr = service_request_create(
        acting_user=actors.customer_admin,
        tenant=actors.customer,
        **{**FORM, "contact_email": "helpdesk@contoso.test"},
    )
    # when
    service_request_answer(operator=operator, service_request=sr, body="Fixed.")
    # then
    assert set(OutboundEmail.objects.values_list("to", flat=True)) == {
        "megan@contoso.test",
        "helpdesk@contoso.test",
    }


def test_only_platform_operators_answer(actors):
    # given
    from django.core.exceptions import PermissionDenied

    sr = service_request_create(acting_user=actors.customer_admin, tenant=actors.customer, **FORM)
    someone = make_user(actors.customer)
    # when / then
    with pytest.raises(PermissionDenied):
        service_request_answer(operator=someone, service_request=sr, body="Fixed.")
    assert not sr.comments.exists()


def test_a_double_submit_files_one_request_and_one_comment(client, actors):
    # given
    sign_in(client, actors.limited_agent)
    # when
    first = _file(client, actors)
    second = _file(client, actors)
    sr = ServiceRequest.objects.get()
    url = reverse("tenants:service-request-comment", args=[actors.customer.pk, sr.pk])
    client.post(url, {"body": "Any news?"})
    client.post(url, {"body": "Any news?"})
    # then
    assert first["Location"] == second["Location"]
    assert sr.comments.count() == 1
    assert AuditEvent.objects.filter(action=Action.SERVICE_REQUEST_CREATED).count() == 1
    assert AuditEvent.objects.filter(action=Action.SERVICE_REQUEST_COMMENTED).count() == 1


def test_operators_list_and_open_requests_in_django_admin(client, actors, operator):
    # given
    sr = service_request_create(acting_user=actors.limited_agent, tenant=actors.customer, **FORM)
    service_request_answer(operator=operator, service_request=sr, body="On it.")
    sign_in(client, operator)
    # when
    listing = client.get(reverse("admin:tenants_servicerequest_changelist"))
    change = client.get(reverse("admin:tenants_servicerequest_change", args=[sr.pk]))
    # then
    assert listing.status_code == change.status_code == 200
    assert "SR-000001" in listing.content.decode()
    assert "On it." in change.content.decode()
    assert client.get(reverse("admin:tenants_servicerequest_add")).status_code == 403
