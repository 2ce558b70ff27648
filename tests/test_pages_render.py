"""The Jinja2 pages (lookup, users, audit log, Activity): what they show, escape, link and
hide, and a layout that matches the Django pages' own."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.services import audit_record
from tenants.roles import Role
from tests.factories import (
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

EVIL = "Evil <script>alert(1)</script> & Co"
EVIL_SHOWN = "Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"


class Links(HTMLParser):
    """The links (path, text) of each part of a page: the header, the admin menu, the
    breadcrumbs; and the footer's text."""

    PARTS = {"header": "header", "footer": "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[tuple[str, str]]] = {}
        self.footer = ""
        self._open: list[tuple[str, str | None]] = []
        self._href: str | None = None
        self._text = ""

    def _part(self) -> str | None:
        return next((part for _, part in reversed(self._open) if part), None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        part = self.PARTS.get(tag) or {"Admin center": "menu", "Breadcrumb": "crumbs"}.get(
            names.get("aria-label") or ""
        )
        if tag in ("header", "footer", "nav"):
            self._open.append((tag, part))
        if tag == "a":
            self._href, self._text = names.get("href") or "", ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None and self._part():
            self.parts.setdefault(self._part() or "", []).append((self._href, self._text.strip()))
            self._href = None
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data
        if self._part() == "footer":
            self.footer += data


def links(body: str) -> Links:
    parser = Links()
    parser.feed(body)
    return parser


@pytest.fixture
def world():
    customer = make_tenant(name=EVIL, domain="evil.example")
    admin = make_user(
        customer, roles=[Role.GLOBAL_ADMIN], first_name="<script>x</script>", last_name="A & B"
    )
    partner = make_partner(name="Partner <b>& Sons</b>")
    agent = make_partner_user(partner, level="full", roles=[Role.GLOBAL_ADMIN])
    make_relationship(partner, customer, accepted_by=admin)
    audit_record(
        tenant=customer, action=Action.USER_UPDATED, acting_user=admin, target_repr="<i>t</i> & u"
    )
    return {"customer": customer, "admin": admin, "partner": partner, "agent": agent}


def get(user, path: str) -> str:
    client = Client()
    sign_in(client, user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_every_converted_page_escapes_names(world):
    customer, admin, agent = world["customer"], world["admin"], world["agent"]
    get(agent, reverse("tenants:admin-center", args=[customer.pk]))  # an Activity event
    pages = {
        "lookup": (agent, reverse("delegation:lookup") + "?q=evil.example"),
        "users": (admin, reverse("tenants:users", args=[customer.pk])),
        "audit log": (admin, reverse("audit:log", args=[customer.pk])),
        "activity": (agent, reverse("audit:activity")),
    }
    for name, (user, path) in pages.items():
        body = get(user, path)
        assert EVIL not in body, name
        assert EVIL_SHOWN in body, name
        # the only scripts are the layout's own files
        assert re.findall(r"<script[^>]*>", body) == [
            f'<script src="{src}" defer>' for src in re.findall(r'<script src="([^"]+)"', body)
        ], name
    users = get(admin, pages["users"][1])
    assert "&lt;script&gt;x&lt;/script&gt; A &amp; B" in users
    log = get(admin, pages["audit log"][1])
    assert "&lt;i&gt;t&lt;/i&gt; &amp; u" in log
    assert "&lt;script&gt;x&lt;/script&gt; A &amp; B" in log


def test_the_lookup_shows_details_and_actions_only_for_a_live_relationship(world):
    customer, agent = world["customer"], world["agent"]
    path = reverse("delegation:lookup") + "?q=evil.example"
    body = get(agent, path)
    assert "Contact details" in body
    assert reverse("tenants:admin-center", args=[customer.pk]) in body
    customer.partner_relationships.update(status="terminated")
    assert "No customer found" in get(agent, path)  # a domain no longer finds it
    body = get(agent, reverse("delegation:lookup") + "?" + urlencode({"q": customer.name}))
    assert "Terminated" in body
    assert "Contact details" not in body
    assert "no longer available to you" in body
    assert reverse("tenants:admin-center", args=[customer.pk]) not in body


def test_the_admin_menu_shows_what_the_rights_open_and_marks_the_page(world):
    customer, admin = world["customer"], world["admin"]
    limited = make_user(customer, roles=[Role.USER_ADMIN])
    body = get(limited, reverse("tenants:users", args=[customer.pk]))
    assert [text for _, text in links(body).parts["menu"]] == [
        "Overview",
        "Users",
        "Domains",
        "Service requests",
        "Administrators",
    ]
    assert '<a class="list-group-item list-group-item-action active" aria-current="page"' in body
    assert "Add a user" in body
    full = [
        text
        for _, text in links(get(admin, reverse("audit:log", args=[customer.pk]))).parts["menu"]
    ]
    assert "Audit log" in full
    assert "Security" in full


def test_the_jinja2_layout_shows_what_the_django_layout_shows(world):
    customer, admin, agent = world["customer"], world["admin"], world["agent"]
    # a customer's admin: users (Jinja2) and domains (Django), both in the admin center
    jinja = links(get(admin, reverse("tenants:users", args=[customer.pk])))
    django = links(get(admin, reverse("tenants:domains", args=[customer.pk])))
    assert jinja.parts["header"] == django.parts["header"]
    assert jinja.parts["menu"] == django.parts["menu"]
    assert jinja.parts["crumbs"][:1] == django.parts["crumbs"][:1]
    assert jinja.footer.split() == django.footer.split()
    # a partner's agent: lookup (Jinja2) and customers (Django)
    jinja = links(get(agent, reverse("delegation:lookup")))
    django = links(get(agent, reverse("delegation:customers")))
    assert jinja.parts["header"] == django.parts["header"]
    assert jinja.footer.split() == django.footer.split()


def test_dates_read_alike_on_every_converted_page(world):
    customer, admin, agent = world["customer"], world["admin"], world["agent"]
    lookup = get(agent, reverse("delegation:lookup") + "?q=evil.example")
    log = get(admin, reverse("audit:log", args=[customer.pk]))
    day = re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}\b")
    since = re.search(r"Since</dt><dd[^>]*>([^<]*)<", lookup)
    assert since
    assert day.fullmatch(since.group(1))
    when = re.search(r'<time datetime="[^"]+">([^<]*)</time>', log)
    assert when
    assert re.fullmatch(day.pattern + r", \d\d:\d\d:\d\d UTC", when.group(1))
