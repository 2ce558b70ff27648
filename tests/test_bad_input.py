"""Bad input, generated: random, huge, unicode and malformed values posted to every form.

Whatever arrives, the portal answers with a page a person can act on (never a 500),
and a rejected submission writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenants.roles import Role
from tests.factories import make_partner, make_partner_user, make_tenant, make_user, sign_in

pytestmark = pytest.mark.django_db

EXAMPLES = 40

# Values people (and scripts) send: unicode of every plane, control characters, NUL,
# very long strings, numbers far out of range, markup and SQL-looking text.
nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "<script>alert(1)</script>",
            "'; DROP TABLE tenants_tenant; --",
            "=cmd|' /C calc'!A0",
            "../../etc/passwd",
            "%00%0d%0a",
            "😀" * 50,
            "\uff43\uff4f\uff4e\uff54\uff4f\uff53\uff4f.example",  # full-width letters
            "xn--80ak6aa92e.com",
            "-1",
            "0",
            "99999999999999999999999",
            "1e309",
            "NaN",
            "2026-02-30",
            "null",
            "true",
        ]
    ),
    st.integers().map(str),
    st.just("x" * 100_000),
)


class FormFields(HTMLParser):
    """Names of the fields of the POST forms on a page (except CSRF)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self._in_post_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._in_post_form = (a.get("method") or "get").lower() == "post"
        elif self._in_post_form and tag in {"input", "select", "textarea"}:
            name = a.get("name")
            if name and name != "csrfmiddlewaretoken" and name not in self.names:
                self.names.append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_post_form = False


def form_fields(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, f"GET {url} gave {response.status_code}"
    parser = FormFields()
    parser.feed(response.content.decode())
    return parser.names


def row_counts() -> dict[str, int]:
    counts = {}
    for label in ("tenants", "offers", "delegation", "audit", "account"):
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model._default_manager.count()
    return counts


MESSAGE_MARKERS = re.compile(
    r'invalid-feedback|alert-danger|alert-warning|errorlist|role="alert"', re.IGNORECASE
)


def assert_humane(response: Any, before: dict[str, int]) -> None:
    """Never a server error; a rejection says why and leaves every table as it was."""
    assert response.status_code < 500, f"server error {response.status_code}"
    if response.status_code in (301, 302, 303):
        return  # accepted (the value was valid after all), or sent to sign in
    body = response.content.decode(errors="replace")
    if response.status_code == 200:
        assert MESSAGE_MARKERS.search(body), "a rejected form must say what is wrong"
    assert row_counts() == before, "a rejected submission must write nothing"


# Each form: (name, URL factory, actor factory). The actor is signed in (None: anonymous).
FormCase = tuple[str, Callable[[], str], Callable[[], Any]]


def _customer_admin() -> Any:
    tenant = make_tenant()
    return make_user(tenant, roles=[Role.GLOBAL_ADMIN])


def _partner_admin() -> Any:
    return make_partner_user(make_partner(), roles=[Role.GLOBAL_ADMIN])


FORMS: list[FormCase] = [
    ("sign-up", lambda: reverse("account_signup"), lambda: None),
    ("sign-in", lambda: reverse("account_login"), lambda: None),
    ("password reset", lambda: reverse("account_reset_password"), lambda: None),
    ("change password", lambda: reverse("account_change_password"), _customer_admin),
]


@pytest.mark.parametrize(("name", "url_factory", "actor_factory"), FORMS, ids=[f[0] for f in FORMS])
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_forms_survive_any_input(name, url_factory, actor_factory, data, record_property):
    client = Client()
    actor = actor_factory()
    if actor is not None:
        sign_in(client, actor)
    url = url_factory()
    fields = form_fields(client, url)
    assert fields, f"{name}: no form fields found at {url}"
    payload = {field: data.draw(nasty_text, label=field) for field in fields}
    before = row_counts()
    response = client.post(url, payload)
    assert_humane(response, before)
    record_property("battery.bad_inputs", 1)  # counted in the battery's figures
