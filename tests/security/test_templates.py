"""No inline script or style anywhere: the Content-Security-Policy forbids them.

Two nets: every template file (the project's and the allauth templates the portal
renders) is read for inline code, and real pages are rendered and parsed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import allauth
import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.urls import reverse

from delegation.models import AccessLevel
from tenants.models import User
from tenants.roles import Role
from tests.factories import (
    PASSWORD,
    make_partner,
    make_partner_user,
    make_relationship,
    make_tenant,
    make_user,
    sign_in,
)

ROOT = Path(__file__).resolve().parent.parent.parent
ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
# JSON data blocks are never executed, so the CSP does not apply to them (allauth and
# Django's json_script pass data to static scripts this way).
DATA_TYPES = {"application/json"}

# allauth templates for features the portal has switched off, with the switch.
UNUSED_ALLAUTH_TEMPLATES = {
    "account/email_change.html": "ACCOUNT_CHANGE_EMAIL is off: account/email.html is used",
    "account/phone_change.html": "phone numbers are not a login method",
}


class _InlineCodeFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        is_data = (names.get("type") or "").lower() in DATA_TYPES
        if tag == "script" and "src" not in names and not is_data:
            self.problems.append(f"inline <script> {attrs}")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f'style="{value}" on <{tag}>')
            if name.startswith("on"):
                self.problems.append(f"{name}= handler on <{tag}>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    """What in ``html`` a strict CSP would block (inline scripts, styles, handlers)."""
    finder = _InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


_SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
_STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
_HANDLER_ATTR = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def template_problems(source: str) -> list[str]:
    problems = []
    for match in _SCRIPT_TAG.finditer(source):
        attrs = match.group(1)
        if "src=" in attrs or re.search(r'type="application/json"', attrs):
            continue
        problems.append(f"inline <script{attrs}>")
    if re.search(r"<style\b", source, re.IGNORECASE):
        problems.append("<style> element")
    problems += [f"style attribute: {m.group(0)[:80]}" for m in _STYLE_ATTR.finditer(source)]
    problems += [f"event handler: {m.group(0)[:80]}" for m in _HANDLER_ATTR.finditer(source)]
    return problems


def project_templates() -> list[Path]:
    return sorted([*(ROOT / "templates").rglob("*.html"), *(ROOT / "templates").rglob("*.jinja")])


def allauth_templates() -> list[Path]:
    found = []
    for app in ("account", "mfa", "usersessions", "allauth"):
        for path in sorted((ALLAUTH_TEMPLATES / app).rglob("*.html")):
            if str(path.relative_to(ALLAUTH_TEMPLATES)) not in UNUSED_ALLAUTH_TEMPLATES:
                found.append(path)
    return found


def test_the_checker_catches_what_the_policy_blocks():
    assert template_problems('<script>alert(1)</script><div style="x">')
    assert template_problems('<a href="#" onclick="go()">')
    assert template_problems("<style>p{}</style>")
    assert not template_problems('<script src="/static/a.js"></script>')
    assert not template_problems('<script data-x type="application/json">{}</script>')
    assert inline_code('<p style="color:red">')
    assert inline_code("<script>1</script>")
    assert inline_code('<button onclick="x()">')
    assert inline_code('<a href="javascript:void(0)">')
    assert not inline_code('<script id="d" type="application/json">{}</script>')


def test_the_unused_allauth_templates_really_are_unused():
    assert not getattr(settings, "ACCOUNT_CHANGE_EMAIL", False)
    assert "phone" not in settings.ACCOUNT_LOGIN_METHODS


@pytest.mark.parametrize(
    "path", project_templates(), ids=lambda p: str(p.relative_to(ROOT / "templates"))
)
def test_project_template_has_no_inline_code(path):
    assert template_problems(path.read_text()) == []


@pytest.mark.parametrize(
    "path", allauth_templates(), ids=lambda p: str(p.relative_to(ALLAUTH_TEMPLATES))
)
def test_allauth_template_has_no_inline_code(path):
    assert template_problems(path.read_text()) == []


# --- real pages ----------------------------------------------------------------------------

ANONYMOUS_PAGES = ["account_login", "account_signup", "account_reset_password"]
MFA_PAGES = [
    "mfa_index",
    "mfa_deactivate_totp",
    "mfa_list_webauthn",
    "mfa_generate_recovery_codes",
    "mfa_view_recovery_codes",
    "account_reauthenticate",
    "mfa_reauthenticate",
    "account_change_password",
    "account_email",
    "usersessions_list",
    "tenants:profile",
    "delegation:partner-overview",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_anonymous_pages_render_without_inline_code(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert inline_code(response.content.decode()) == []


@pytest.mark.django_db
def test_signed_in_pages_render_without_inline_code(client):
    # given: a partner admin with TOTP and recovery codes
    partner = make_partner()
    user = make_partner_user(partner, roles=[Role.GLOBAL_ADMIN])
    sign_in(client, user)
    client.post(reverse("mfa_generate_recovery_codes"))
    add_key = client.get(reverse("mfa_add_webauthn"))
    assert add_key.status_code == 200
    assert inline_code(add_key.content.decode()) == []
    # and a security key (its stored credential is not read by the pages below)
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Key", "credential": {}}
    )
    pages = [reverse(name) for name in MFA_PAGES]
    pages.append(reverse("tenants:admin-center", args=[partner.pk]))
    pages.append(reverse("tenants:security", args=[partner.pk]))
    # then
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url


@pytest.mark.django_db
def test_enrolment_and_the_second_factor_pages_render_without_inline_code(client):
    # given: a customer admin not enrolled yet, then a partner at the MFA stage
    customer = make_tenant()
    sign_in(client, make_user(customer, roles=[Role.GLOBAL_ADMIN], mfa=False))
    activate = client.get(reverse("mfa_activate_totp"))
    assert activate.status_code == 200
    html = activate.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code: allowed by img-src data:
    assert inline_code(html) == []
    client.logout()
    agent = make_partner_user(make_partner(), level=AccessLevel.FULL)
    client.post(reverse("account_login"), {"login": agent.email, "password": PASSWORD})
    stage = client.get(reverse("mfa_authenticate"))
    assert stage.status_code == 200
    assert inline_code(stage.content.decode()) == []


@pytest.mark.django_db
def test_agent_admin_center_and_django_admin_render_without_inline_code(client):
    partner = make_partner()
    customer = make_tenant()
    make_relationship(partner, customer)
    sign_in(client, make_partner_user(partner, level=AccessLevel.FULL))
    page = client.get(reverse("tenants:admin-center", args=[customer.pk]))
    assert page.status_code == 200
    assert inline_code(page.content.decode()) == []
    operator = User.objects.create_superuser("ops@platform.example", PASSWORD)
    from tests.factories import enrol_totp

    enrol_totp(operator)
    sign_in(client, operator)
    for url in (reverse("admin:index"), reverse("admin:tenants_tenant_changelist")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url
