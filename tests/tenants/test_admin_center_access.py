"""Who reaches which admin center page: every view against the eight actors, crafted
POSTs by a Limited agent, and a terminated relationship."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from delegation.models import Relationship, RelationshipStatus
from tenants.models import Domain, RoleAssignment, ServiceRequest, Subscription, Tenant, User
from tenants.roles import Role
from tenants.services import service_request_create
from tests.factories import age_sign_in, make_relationship, make_user, sign_in
from tests.tenants.conftest import ACTOR_NAMES, Actors

pytestmark = pytest.mark.django_db

READERS = frozenset({"limited_agent", "full_agent", "customer_admin"})
ADMINS = frozenset({"full_agent", "customer_admin"})


@dataclass
class Objects:
    """What the pages act on, all in the customer's tenant."""

    unverified_domain: Domain
    verified_domain: Domain
    subscription: Subscription
    disabled_user: User
    service_request: ServiceRequest


@pytest.fixture
def objs(actors: Actors) -> Objects:
    customer = actors.customer
    disabled = make_user(customer, email="debra@contoso.test")
    disabled.is_active = False
    disabled.save()
    return Objects(
        unverified_domain=Domain.objects.create(tenant=customer, name="spare.contoso.test"),
        verified_domain=Domain.objects.create(
            tenant=customer, name="mail.contoso.test", verified=True
        ),
        subscription=Subscription.objects.create(tenant=customer, plan="Business Premium", seats=5),
        disabled_user=disabled,
        service_request=service_request_create(
            acting_user=actors.limited_agent,
            tenant=customer,
            title="Mailbox full",
            description="Adele's mailbox is full.",
            severity="normal",
            contact_name="Adele Vance",
            contact_email="adele@fabrikam.test",
        ),
    )


@dataclass(frozen=True)
class View:
    name: str
    method: str
    kwargs: Callable[[Actors, Objects], dict[str, Any]]
    allowed: frozenset[str]
    data: Callable[[Actors, Objects], dict[str, Any]] = lambda a, o: {}


def _user(a: Actors, o: Objects) -> dict[str, Any]:
    return {"user_id": a.customer_user.pk}


VIEWS = [
    View("tenants:admin-center", "get", lambda a, o: {}, READERS),
    View("tenants:users", "get", lambda a, o: {}, READERS),
    View("tenants:user-create", "get", lambda a, o: {}, ADMINS),
    View(
        "tenants:user-create",
        "post",
        lambda a, o: {},
        ADMINS,
        lambda a, o: {"email": "new@contoso.test", "first_name": "New"},
    ),
    View("tenants:user-detail", "get", _user, READERS),
    View("tenants:user-edit", "get", _user, ADMINS),
    View("tenants:user-edit", "post", _user, ADMINS, lambda a, o: {"first_name": "Changed"}),
    View("tenants:user-disable", "post", _user, ADMINS),
    View("tenants:user-enable", "post", lambda a, o: {"user_id": o.disabled_user.pk}, ADMINS),
    View("tenants:user-reset-password", "get", _user, READERS),
    View("tenants:user-reset-password", "post", _user, READERS),
    View(
        "tenants:user-roles",
        "post",
        _user,
        ADMINS,
        lambda a, o: {"role": Role.BILLING_ADMIN, "operation": "assign"},
    ),
    View("tenants:domains", "get", lambda a, o: {}, READERS),
    View("tenants:domain-add", "get", lambda a, o: {}, ADMINS),
    View("tenants:domain-add", "post", lambda a, o: {}, ADMINS, lambda a, o: {"name": "x.test"}),
    View(
        "tenants:domain-verify", "post", lambda a, o: {"domain_id": o.unverified_domain.pk}, ADMINS
    ),
    View(
        "tenants:domain-default", "post", lambda a, o: {"domain_id": o.verified_domain.pk}, ADMINS
    ),
    View(
        "tenants:domain-remove", "post", lambda a, o: {"domain_id": o.unverified_domain.pk}, ADMINS
    ),
    View("tenants:subscriptions", "get", lambda a, o: {}, ADMINS),
    View(
        "tenants:subscription-seats",
        "get",
        lambda a, o: {"subscription_id": o.subscription.pk},
        ADMINS,
    ),
    View(
        "tenants:subscription-seats",
        "post",
        lambda a, o: {"subscription_id": o.subscription.pk},
        ADMINS,
        lambda a, o: {"seats": 7},
    ),
    View(
        "tenants:subscription-cancel",
        "post",
        lambda a, o: {"subscription_id": o.subscription.pk},
        ADMINS,
    ),
    View("tenants:service-requests", "get", lambda a, o: {}, READERS),
    View("tenants:service-request-create", "get", lambda a, o: {}, READERS),
    View(
        "tenants:service-request-create",
        "post",
        lambda a, o: {},
        READERS,
        lambda a, o: {
            "title": "Help",
            "description": "Please.",
            "severity": "low",
            "contact_name": "Someone",
            "contact_email": "someone@contoso.test",
        },
    ),
    View(
        "tenants:service-request-detail",
        "get",
        lambda a, o: {"request_id": o.service_request.pk},
        READERS,
    ),
    View(
        "tenants:service-request-comment",
        "post",
        lambda a, o: {"request_id": o.service_request.pk},
        READERS,
        lambda a, o: {"body": "Any news?"},
    ),
    View(
        "tenants:service-request-close",
        "post",
        lambda a, o: {"request_id": o.service_request.pk},
        READERS,
    ),
    View("tenants:administrators", "get", lambda a, o: {}, READERS),
]


def _url(view: View, actors: Actors, objs: Objects, tenant: Tenant | None = None) -> str:
    tenant = tenant or actors.customer
    return reverse(view.name, kwargs={"tenant_id": tenant.pk, **view.kwargs(actors, objs)})


def _request(client: Any, view: View, url: str, actors: Actors, objs: Objects) -> Any:
    if view.method == "post":
        return client.post(url, view.data(actors, objs))
    return client.get(url)


def _expected(view: View, actor: str) -> int:
    if actor == "anonymous":
        return 302
    if actor not in view.allowed:
        return 404
    if view.method == "get":
        return 200
    # Every write redirects (a new or reset password to the page that shows it once).
    return 302


@pytest.mark.parametrize("actor", ACTOR_NAMES)
@pytest.mark.parametrize("view", VIEWS, ids=lambda v: f"{v.method}-{v.name}")
def test_each_view_for_each_actor(client, actors, objs, view, actor):
    # given
    user = actors.get(actor)
    if user is not None:
        sign_in(client, user)
    url = _url(view, actors, objs)
    # when
    response = _request(client, view, url, actors, objs)
    # then
    assert response.status_code == _expected(view, actor)
    if actor == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))


# Writes whose URL also shows a form or a confirmation on GET.
HAS_A_GET_PAGE = {v.name for v in VIEWS if v.method == "get"}


@pytest.mark.parametrize("view", [v for v in VIEWS if v.method == "post"], ids=lambda v: v.name)
def test_get_on_a_write_url_changes_nothing(client, actors, objs, view):
    # given
    sign_in(client, actors.customer_admin)
    before = snapshot(actors.customer)
    # when
    response = client.get(_url(view, actors, objs))
    # then
    assert response.status_code == (200 if view.name in HAS_A_GET_PAGE else 405)
    assert snapshot(actors.customer) == before


def test_a_missing_tenant_and_a_missing_object_are_404(client, actors, objs):
    # given
    sign_in(client, actors.customer_admin)
    # when / then
    assert client.get(reverse("tenants:users", args=[uuid.uuid4()])).status_code == 404
    other_user = actors.other_tenant_admin
    url = reverse("tenants:user-detail", args=[actors.customer.pk, other_user.pk])
    assert client.get(url).status_code == 404
    other_domain = actors.other_tenant.domains.get()
    url = reverse("tenants:domain-remove", args=[actors.customer.pk, other_domain.pk])
    assert client.post(url).status_code == 404
    assert Domain.objects.filter(pk=other_domain.pk).exists()


def snapshot(tenant: Tenant) -> tuple[Any, ...]:
    """Everything a write in the admin center could change in ``tenant``."""
    return (
        sorted(
            tenant.users.values_list(
                "email", "first_name", "is_active", "must_change_password", "password"
            )
        ),
        sorted(
            RoleAssignment.objects.filter(user__tenant=tenant).values_list("user__email", "role")
        ),
        sorted(tenant.domains.values_list("name", "verified", "is_default")),
        sorted(tenant.subscriptions.values_list("plan", "seats", "status")),
        sorted(tenant.service_requests.values_list("title", "status")),
        AuditEvent.objects.filter(tenant_id=tenant.pk)
        .exclude(action=Action.ADMIN_CENTER_ENTERED)
        .count(),
    )


LIMITED_CRAFTED = [v for v in VIEWS if v.method == "post" and "limited_agent" not in v.allowed] + [
    View(
        "tenants:user-reset-password",
        "post",
        lambda a, o: {"user_id": a.customer_admin.pk},  # a global admin
        READERS,
    ),
    View(
        "tenants:user-roles",
        "post",
        lambda a, o: {"user_id": a.customer_user.pk},
        ADMINS,
        lambda a, o: {"role": Role.GLOBAL_ADMIN, "operation": "assign"},
    ),
    View(
        "tenants:user-roles",
        "post",
        lambda a, o: {"user_id": a.customer_admin.pk},
        ADMINS,
        lambda a, o: {"role": Role.GLOBAL_ADMIN, "operation": "remove"},
    ),
]


@pytest.mark.parametrize("view", LIMITED_CRAFTED, ids=lambda v: v.name)
def test_a_limited_agent_reaches_no_write_by_crafting_the_post(client, actors, objs, view):
    # given
    sign_in(client, actors.limited_agent)
    before = snapshot(actors.customer)
    # when
    response = client.post(_url(view, actors, objs), view.data(actors, objs))
    # then
    assert response.status_code == 404
    assert snapshot(actors.customer) == before


@pytest.mark.parametrize("view", [v for v in VIEWS if v.method == "get"], ids=lambda v: v.name)
@pytest.mark.parametrize("actor", ["limited_agent", "full_agent"])
def test_a_terminated_relationship_removes_access_on_the_next_request(
    client, actors, objs, view, actor
):
    # given
    sign_in(client, actors.get(actor))
    url = _url(view, actors, objs)
    first = client.get(url)
    assert first.status_code == _expected(view, actor)
    # when
    Relationship.objects.filter(pk=actors.relationship.pk).update(
        status=RelationshipStatus.TERMINATED, terminated_at=timezone.now()
    )
    # then
    assert client.get(url).status_code == 404


def test_an_ended_relationship_removes_access_before_any_task_marks_it(client, actors, objs):
    # given
    sign_in(client, actors.full_agent)
    url = reverse("tenants:users", args=[actors.customer.pk])
    assert client.get(url).status_code == 200
    # when: the end time passes; the status still says active
    Relationship.objects.filter(pk=actors.relationship.pk).update(
        starts=timezone.now() - timedelta(days=2),
        expires=timezone.now() - timedelta(seconds=1),
    )
    # then
    assert client.get(url).status_code == 404


def test_an_agent_of_another_partner_with_access_does_not_see_this_partners_requests(
    client, actors, objs
):
    # given: Litware also administers Contoso now
    make_relationship(actors.other_partner, actors.customer, accepted_by=actors.customer_admin)
    sign_in(client, actors.other_partner_agent)
    # when
    listing = client.get(reverse("tenants:service-requests", args=[actors.customer.pk]))
    detail = client.get(
        reverse(
            "tenants:service-request-detail", args=[actors.customer.pk, objs.service_request.pk]
        )
    )
    # then
    assert listing.status_code == 200
    assert objs.service_request.title not in listing.content.decode()
    assert detail.status_code == 404


def test_the_customer_admin_sees_requests_filed_by_its_partners(client, actors, objs):
    # given
    sign_in(client, actors.customer_admin)
    # when
    response = client.get(reverse("tenants:service-requests", args=[actors.customer.pk]))
    # then
    body = response.content.decode()
    assert "Mailbox full" in body
    assert "Fabrikam" in body


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("tenants:user-reset-password", {}),
        ("tenants:user-roles", {"role": Role.BILLING_ADMIN, "operation": "assign"}),
    ],
)
def test_passwords_and_roles_ask_for_a_recent_sign_in_first(client, actors, name, data):
    # given: signed in, but not lately
    sign_in(client, actors.customer_admin)
    age_sign_in(client)
    before = snapshot(actors.customer)
    url = reverse(name, args=[actors.customer.pk, actors.customer_user.pk])
    # when
    response = client.post(url, data)
    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert snapshot(actors.customer) == before


def test_the_recent_sign_in_is_asked_only_of_those_allowed_to_act(client, actors):
    # given: a Limited agent, not signed in lately, crafts a role change
    sign_in(client, actors.limited_agent)
    age_sign_in(client)
    url = reverse("tenants:user-roles", args=[actors.customer.pk, actors.customer_user.pk])
    # when
    response = client.post(url, {"role": Role.GLOBAL_ADMIN, "operation": "assign"})
    # then: the page does not exist for it; it is not sent to re-authenticate
    assert response.status_code == 404
