"""Bad input to every form of the portal, generated: random, huge, unicode and malformed.

Each form is used by an actor allowed to use it. Whatever arrives, the answer is a page
a person can act on (never a 5xx); a rejected submission says why and writes nothing;
GET forms (search, filters) show their page. The offer link answers a token of any
shape with its "not valid" page. Every example runs in a savepoint that is rolled back,
so each starts from the same world. The number of inputs tried is recorded as
``battery.bad_inputs`` and summed up at the end of the run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delegation.models import CustomerGroup, Relationship, Team
from offers.models import Offer
from tenants.models import Domain, ServiceRequest, Subscription, Tenant, User
from tenants.roles import Role
from tenants.services import user_set_enabled
from tests.battery.forms import (
    ANY_MESSAGE,
    MESSAGE_MARKERS,
    Field,
    form_for,
    row_counts,
)
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_service_request,
    make_team,
    make_tenant,
    make_user,
    sign_in,
)
from tests.offers.helpers import make_offer

pytestmark = pytest.mark.django_db

EXAMPLES = 40

HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# Values people (and scripts) send: unicode of every plane, control characters, NUL,
# very long strings, numbers far out of range, markup, SQL- and formula-looking text.
nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\r\n",
            "<script>alert(1)</script>",
            "'; DROP TABLE tenants_tenant; --",
            "=cmd|' /C calc'!A0",
            "../../etc/passwd",
            "%00%0d%0a",
            "😀" * 50,
            "\u202eevil\u202c",
            "\uff43\uff4f\uff4e\uff54\uff4f\uff53\uff4f.example",
            "xn--80ak6aa92e.com",
            "-1",
            "0",
            "1.5",
            "99999999999999999999999",
            "9223372036854775808",
            "2147483648",
            "1e309",
            "NaN",
            "2026-02-30",
            "0000-00-00",
            "9999-12-31",
            "null",
            "true",
            "00000000-0000-0000-0000-000000000000",
            "user@",
            "@contoso.example",
            "a" * 255 + "@contoso.example",
        ]
    ),
    st.integers().map(str),
    st.emails().map(str),
    st.just("x" * 100_000),
)


def value_for(f: Field) -> st.SearchStrategy[Any]:
    """What a field may be sent: anything at all, or (often) one of its own options."""
    if not f.options:
        return nasty_text
    own = st.sampled_from(f.options)
    if f.kind == "checkbox":
        return st.one_of(st.lists(st.one_of(own, nasty_text), max_size=6), nasty_text)
    return st.one_of(own, own, nasty_text)


@st.composite
def payloads(draw: st.DrawFn, fields: dict[str, Field]) -> dict[str, Any] | bytes:
    """A form submission: each field drawn (or left out), plus strangers; or raw bytes."""
    if draw(st.integers(0, 9)) == 0:
        # Raw, percent-encoded bytes that need not be UTF-8 at all.
        names = [*fields, "extra"]
        pairs = [
            f"{quote(name)}={quote_from_bytes(draw(st.binary(max_size=64)))}" for name in names
        ]
        return "&".join(pairs).encode()
    data: dict[str, Any] = {}
    for name, f in fields.items():
        if draw(st.integers(0, 7)) == 0:
            continue  # the field is missing
        data[name] = draw(value_for(f), label=name)
    if draw(st.booleans()):
        data[draw(st.sampled_from(["id", "tenant", "pk", "status", "is_superuser"]))] = draw(
            nasty_text
        )
    return data


@dataclass
class World:
    partner: Tenant
    padmin: User
    staff: User
    disabled: User
    full: User
    customer: Tenant
    cadmin: User
    plain: User
    subscription: Subscription
    service_request: ServiceRequest
    relationship: Relationship
    offer: Offer
    team: Team
    group: CustomerGroup


@pytest.fixture
def world(db) -> World:
    partner = make_partner(name="Fabrikam Partners")
    padmin = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    customer = make_tenant(name="Contoso", domain="contoso.example")
    cadmin = make_user(customer, roles=[Role.GLOBAL_ADMIN])
    make_user(customer, roles=[Role.GLOBAL_ADMIN])  # a second global admin
    plain = make_user(customer, roles=[Role.PASSWORD_ADMIN])
    Domain.objects.create(tenant=customer, name="extra.contoso.example")
    subscription = Subscription.objects.create(tenant=customer, plan="Business Premium", seats=5)
    service_request = make_service_request(customer, cadmin, title="Mail is slow")
    relationship = make_relationship(partner, customer, accepted_by=cadmin)
    staff = make_partner_user(partner)
    team = make_team(
        partner, "Helpdesk", members=[staff], assignments={relationship: [Role.PASSWORD_ADMIN]}
    )
    group = CustomerGroup.objects.create(partner=partner, name="EU customers")
    group.customers.add(customer)
    return World(
        partner=partner,
        padmin=padmin,
        staff=staff,
        disabled=user_set_enabled(user=make_partner_user(partner), enabled=False),
        full=make_partner_user(partner, level="full"),
        customer=customer,
        cadmin=cadmin,
        plain=plain,
        subscription=subscription,
        service_request=service_request,
        relationship=relationship,
        offer=make_offer(padmin, max_uses=5),
        team=team,
        group=group,
    )


@dataclass(frozen=True)
class Case:
    """One form: who uses it, the page that shows it, and where it submits."""

    name: str
    method: str
    actor: Callable[[World], User]
    page: Callable[[World], str]
    target: Callable[[World], str] | None = None  # None: the page itself
    extra_fields: tuple[str, ...] = ()
    # The form on the page to take the fields from, when it is not the target's own.
    fields_of: Callable[[World], str] | None = None


def _t(name: str, **kw: Callable[[World], Any]) -> Callable[[World], str]:
    def url(w: World) -> str:
        objects = {k: f(w) for k, f in kw.items()}
        return reverse(name, kwargs={"tenant_id": w.customer.pk, **objects})

    return url


def _team(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.team.pk])


CASES = [
    Case("offer create", "POST", lambda w: w.padmin, lambda w: reverse("offers:create")),
    Case(
        "offer send",
        "POST",
        lambda w: w.padmin,
        lambda w: reverse("offers:detail", args=[w.offer.pk]),
    ),
    Case(
        "staff access edit",
        "POST",
        lambda w: w.padmin,
        lambda w: reverse("delegation:staff-edit", args=[w.staff.pk]),
    ),
    Case("staff add", "POST", lambda w: w.padmin, lambda w: reverse("delegation:staff-add")),
    Case(
        "staff disable",
        "POST",
        lambda w: w.padmin,
        lambda w: reverse("delegation:staff-edit", args=[w.staff.pk]),
        lambda w: reverse("delegation:staff-disable", args=[w.staff.pk]),
    ),
    Case(
        "staff enable",
        "POST",
        lambda w: w.padmin,
        lambda w: reverse("delegation:staff-edit", args=[w.disabled.pk]),
        lambda w: reverse("delegation:staff-enable", args=[w.disabled.pk]),
    ),
    Case(
        "lookup",
        "GET",
        lambda w: w.full,
        lambda w: reverse("delegation:lookup"),
        extra_fields=("page",),
    ),
    Case(
        "relationship end (partner)",
        "POST",
        lambda w: w.padmin,
        lambda w: reverse("delegation:customer-relationship-end", args=[w.relationship.pk]),
    ),
    Case("team create", "POST", lambda w: w.padmin, lambda w: reverse("delegation:team-create")),
    Case("team edit", "POST", lambda w: w.padmin, _team("delegation:team-edit")),
    Case(
        "team member add",
        "POST",
        lambda w: w.padmin,
        _team("delegation:team-detail"),
        _team("delegation:team-member-add"),
    ),
    Case(
        "team member remove",
        "POST",
        lambda w: w.padmin,
        _team("delegation:team-detail"),
        _team("delegation:team-member-remove"),
    ),
    Case(
        "team assignment set",
        "POST",
        lambda w: w.padmin,
        _team("delegation:team-detail"),
        _team("delegation:team-assignment-set"),
    ),
    Case(
        "team assignment remove",
        "POST",
        lambda w: w.padmin,
        _team("delegation:team-detail"),
        _team("delegation:team-assignment-remove"),
    ),
    Case(
        "team assignment bulk",
        "POST",
        lambda w: w.padmin,
        _team("delegation:team-detail"),
        _team("delegation:team-assignment-bulk"),
    ),
    Case(
        "customer group create",
        "POST",
        lambda w: w.padmin,
        lambda w: reverse("delegation:customer-groups"),
    ),
    Case(
        "customer group edit",
        "POST",
        lambda w: w.padmin,
        lambda w: reverse("delegation:customer-group-edit", args=[w.group.pk]),
    ),
    Case("user create", "POST", lambda w: w.cadmin, _t("tenants:user-create")),
    Case(
        "user edit",
        "POST",
        lambda w: w.cadmin,
        _t("tenants:user-edit", user_id=lambda w: w.plain.pk),
    ),
    Case(
        "reset password confirm",
        "POST",
        lambda w: w.cadmin,
        _t("tenants:user-reset-password", user_id=lambda w: w.plain.pk),
    ),
    Case(
        "role change",
        "POST",
        lambda w: w.cadmin,
        _t("tenants:user-detail", user_id=lambda w: w.plain.pk),
        _t("tenants:user-roles", user_id=lambda w: w.plain.pk),
    ),
    Case(
        "user search",
        "GET",
        lambda w: w.cadmin,
        _t("tenants:users"),
        extra_fields=("after", "before"),
    ),
    Case("domain add", "POST", lambda w: w.cadmin, _t("tenants:domain-add")),
    Case(
        "subscription seats",
        "POST",
        lambda w: w.cadmin,
        _t("tenants:subscription-seats", subscription_id=lambda w: w.subscription.pk),
    ),
    Case(
        "service request create", "POST", lambda w: w.cadmin, _t("tenants:service-request-create")
    ),
    Case(
        "service request create (agent)",
        "POST",
        lambda w: w.full,
        _t("tenants:service-request-create"),
    ),
    Case(
        "service request comment",
        "POST",
        lambda w: w.cadmin,
        _t("tenants:service-request-detail", request_id=lambda w: w.service_request.pk),
        _t("tenants:service-request-comment", request_id=lambda w: w.service_request.pk),
    ),
    Case("security settings", "POST", lambda w: w.cadmin, _t("tenants:security")),
    Case(
        "relationship remove",
        "POST",
        lambda w: w.cadmin,
        _t("delegation:relationship-remove", relationship_id=lambda w: w.relationship.pk),
    ),
    Case(
        "relationship renew",
        "POST",
        lambda w: w.cadmin,
        _t("delegation:relationship-renew", relationship_id=lambda w: w.relationship.pk),
        extra_fields=("reason",),
    ),
    Case(
        "audit log filters",
        "GET",
        lambda w: w.cadmin,
        _t("audit:log"),
        extra_fields=("before", "after"),
    ),
    Case(
        "audit export filters",
        "GET",
        lambda w: w.cadmin,
        _t("audit:log"),
        _t("audit:export"),
        fields_of=_t("audit:log"),
    ),
]


CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def judge(client: Client, case: Case, response: Any, before: dict[str, int]) -> None:
    """Never a server error; a rejection says why and leaves every table as it was."""
    body = _body(response)  # a streamed answer fails only while it is read
    assert response.status_code < 500, f"{case.name}: server error {response.status_code}"
    if case.method == "GET":
        assert response.status_code == 200, f"{case.name}: {response.status_code}"
        assert row_counts() == before, f"{case.name}: a GET changed something"
        return
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        assert "/accounts/login/" not in location, f"{case.name}: sent to sign in"
        if row_counts() == before:
            # Nothing written: the page it leads to must say why (or that all was in place).
            follow = client.get(location)
            assert ANY_MESSAGE.search(_body(follow)), f"{case.name}: no message after {location}"
        return
    assert response.status_code in (200, 400), f"{case.name}: {response.status_code}"
    if row_counts() != before:
        return  # accepted, and shown on a page (a new password, say)
    assert MESSAGE_MARKERS.search(body), f"{case.name}: a rejected form must say what is wrong"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@HYPOTHESIS
@given(data=st.data())
def test_every_form_survives_any_input(world, case, data, record_property):
    with transaction.atomic():
        # given: the actor on the page that shows the form
        cache.clear()  # rate limits count per example, not across them
        client = Client(enforce_csrf_checks=True)  # and the token sent, as a browser does
        sign_in(client, case.actor(world))
        page = case.page(world)
        shown = client.get(page)
        assert shown.status_code == 200, f"{case.name}: GET {page} gave {shown.status_code}"
        target = case.target(world) if case.target else page
        action = case.fields_of(world) if case.fields_of else target
        form = form_for(_body(shown), page, method=case.method, action=action)
        fields = dict(form.fields)
        for name in case.extra_fields:
            fields.setdefault(name, Field(name=name, kind="text"))
        payload = data.draw(payloads(fields), label="payload")
        token = csrf_token(_body(shown))
        before = row_counts()
        # when
        if case.method == "GET":
            query = payload.decode() if isinstance(payload, bytes) else urlencode(payload, True)
            response = client.get(f"{target}?{query}")
        elif isinstance(payload, bytes):
            response = client.post(
                target,
                payload + b"&csrfmiddlewaretoken=" + token.encode(),
                content_type="application/x-www-form-urlencoded",
            )
        else:
            response = client.post(target, {**payload, "csrfmiddlewaretoken": token})
        # then
        judge(client, case, response, before)
        record_property("battery.bad_inputs", 1)
        transaction.set_rollback(True)


# --- the offer link ------------------------------------------------------------------------

TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
token_text = st.one_of(
    st.text(min_size=1, max_size=80),
    st.text(alphabet=TOKEN_ALPHABET, min_size=43, max_size=43),
    st.sampled_from(["..", ".", "%00", "%2F", "' OR 1=1 --", "<svg onload=alert(1)>", "😀" * 43]),
    st.just("A" * 20_000),
)


@st.composite
def tokens(draw: st.DrawFn, real: str) -> str:
    """A token: random, or the real one truncated, extended, re-cased or altered."""
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return real[: draw(st.integers(0, len(real) - 1))]
    if choice == 1:
        return real + draw(st.text(min_size=1, max_size=5))
    if choice == 2:
        swapped = real.swapcase()
        return swapped if swapped != real else real + "x"
    if choice == 3:
        i = draw(st.integers(0, len(real) - 1))
        c = draw(st.sampled_from(TOKEN_ALPHABET))
        altered = real[:i] + c + real[i + 1 :]
        return altered if altered != real else real[:-1]
    return draw(token_text)


LINK_ACTORS = ["anon", "cadmin", "padmin"]


@pytest.mark.parametrize("actor", LINK_ACTORS)
@HYPOTHESIS
@given(data=st.data())
def test_a_token_of_any_shape_gets_the_not_valid_page(world, actor, data, record_property):
    with transaction.atomic():
        # given
        client = Client()
        if actor != "anon":
            sign_in(client, getattr(world, actor))
        token = data.draw(tokens(world.offer.token), label="token")
        view = data.draw(st.sampled_from(["public", "accept", "decline"]), label="view")
        method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
        url = f"/offer/{quote(token, safe='')}/" + ("" if view == "public" else f"{view}/")
        before = row_counts()
        # when
        response = client.generic(method, url, data=urlencode({"token": token}))
        # then: not found (or sent to sign in, or told the method is wrong) and nothing written
        assert response.status_code < 500, f"{method} {url[:80]}: {response.status_code}"
        if response.status_code in (302, 303):
            assert "/accounts/login/" in response["Location"], response["Location"]
        elif method == "POST" and view == "public" and response.status_code == 405:
            pass  # the consent page takes no POST, whatever the token
        else:
            assert response.status_code == 404, f"{method} {url[:80]}: {response.status_code}"
            assert "not valid" in response.content.decode() or "Page not found" in (
                response.content.decode()
            )
        assert row_counts() == before
        world.offer.refresh_from_db()
        assert world.offer.uses == 0
        record_property("battery.bad_inputs", 1)
        transaction.set_rollback(True)
