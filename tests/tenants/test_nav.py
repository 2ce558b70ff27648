"""The admin center's menu: byte for byte what the template it replaced drew, for every
set of the permissions it reads, both kinds of tenant and every page it marks."""

import itertools
import re
import uuid
from functools import cache
from pathlib import Path

import jinja2
import pytest
from django.urls import reverse, set_script_prefix

from delegation.access import Rights
from partnerportal import fragments
from tenants.models import Tenant
from tenants.nav import ITEMS, admin_nav
from tenants.roles import Permission

SHOWN_BY = sorted({permission for *_, permission, _ in ITEMS if permission is not None})
CURRENTS = [
    "",
    None,
    "tenants:admin-center",
    "tenants:users",
    "tenants:user-detail",
    "tenants:domain-add",
    "tenants:subscriptions",
    "tenants:service-request-create",
    "tenants:administrators",
    "delegation:relationships",
    "audit:log",
    "tenants:security",
    "offers:list",
]


REFERENCE = Path(__file__).resolve().parent.parent / "reference"


@cache
def template() -> jinja2.Template:
    env = fragments.environment().overlay(loader=jinja2.FileSystemLoader(REFERENCE))
    return env.get_template("admin_nav.jinja")


def reference(rights: Rights | None, tenant: Tenant, current: str | None) -> str:
    """What ``admin_nav.jinja`` drew, as ``render_fragment`` rendered it."""
    html = template().render(rights=rights, tenant=tenant, current=current)
    return html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")


@pytest.mark.parametrize("kind", ["customer", "partner"])
def test_the_menu_is_what_the_template_drew(kind):
    tenant = Tenant(id=uuid.uuid4(), name="Contoso <b>", kind=kind)
    for count in range(len(SHOWN_BY) + 1):
        for permissions in itertools.combinations(SHOWN_BY, count):
            rights = Rights(tenant=tenant, permissions=frozenset(permissions))
            for current in CURRENTS:
                expected = reference(rights, tenant, current or "")
                assert str(admin_nav(rights, tenant, current)) == expected, (permissions, current)


@pytest.mark.parametrize("rights", [None, ""])
def test_no_rights_show_the_overview_alone(rights):
    tenant = Tenant(id=uuid.uuid4(), name="Contoso", kind="customer")
    html = str(admin_nav(rights, tenant, "tenants:admin-center"))
    assert html.count("<a ") == 1
    assert f'aria-current="page" href="/t/{tenant.pk}/">Overview</a>' in html


def test_the_links_follow_the_script_prefix():
    tenant = Tenant(id=uuid.uuid4(), name="Contoso", kind="customer")
    rights = Rights(tenant=tenant, permissions=frozenset({Permission.VIEW_AUDIT}))
    set_script_prefix("/portal/")
    try:
        html = str(admin_nav(rights, tenant, "audit:log"))
        assert f'href="{reverse("audit:log", kwargs={"tenant_id": tenant.pk})}"' in html
        assert f'href="/portal/t/{tenant.pk}/audit/"' in html
    finally:
        set_script_prefix("/")


def test_every_item_is_a_page_of_the_tenant():
    tenant_id = uuid.uuid4()
    for view, *_ in ITEMS:
        assert str(tenant_id) in reverse(view, kwargs={"tenant_id": tenant_id})


def test_the_admin_menu_shows_what_the_rights_open_and_marks_the_page():
    tenant = Tenant(id=uuid.uuid4(), name="Contoso", kind="customer")
    rights = Rights(tenant=tenant, permissions=frozenset({Permission.VIEW_TENANT}))
    html = str(admin_nav(rights, tenant, "tenants:user-detail"))
    links = re.findall(
        r'<a class="([^"]*)" ?(aria-current="page")? href="([^"]*)">([^<]*)</a>', html
    )
    assert [(label, "active" in cls, bool(aria)) for cls, aria, _, label in links] == [
        ("Overview", False, False),
        ("Users", True, False),
        ("Domains", False, False),
    ]
    assert links[1][2] == reverse("tenants:users", kwargs={"tenant_id": tenant.pk})
    html = str(admin_nav(rights, tenant, "tenants:users"))
    assert 'active" aria-current="page" href="/t/' in html
