"""The admin center's menu: byte for byte what the template it replaced drew, for every
set of the permissions it reads, both kinds of tenant and every page it marks."""

import itertools
import uuid

import pytest
from django.urls import reverse, set_script_prefix

from delegation.access import Rights
from partnerportal.fragments import render_fragment
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


def reference(rights: Rights | None, tenant: Tenant, current: str | None) -> str:
    """What ``admin_nav.jinja`` drew."""
    return str(render_fragment("admin_nav.jinja", rights=rights, tenant=tenant, current=current))


@pytest.mark.parametrize("kind", ["customer", "partner"])
def test_the_menu_is_what_the_template_drew(kind):
    tenant = Tenant(id=uuid.uuid4(), name="Contoso <b>", kind=kind)
    for count in range(len(SHOWN_BY) + 1):
        for permissions in itertools.combinations(SHOWN_BY, count):
            rights = Rights(tenant=tenant, permissions=frozenset(permissions))
            for current in CURRENTS:
                expected = reference(rights, tenant, current or "")
                assert str(admin_nav(rights, tenant, current)) == expected, (permissions, current)


def test_no_rights_show_the_overview_alone():
    tenant = Tenant(id=uuid.uuid4(), name="Contoso", kind="customer")
    html = str(admin_nav(None, tenant, "tenants:admin-center"))
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
