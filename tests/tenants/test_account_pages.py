"""allauth's pages speak the portal's sentence case: "Sign in", "Two-factor authentication".

Each page a person meets on the way in, out and through the second factor is rendered
with the test client, and its visible text (title, headings, labels, buttons, links) is
searched for allauth's Title Case phrases; the subjects of allauth's mail are in sentence
case too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import allauth
import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tenants.roles import Role
from tests.factories import PASSWORD, age_sign_in, make_tenant, make_user, sign_in

pytestmark = pytest.mark.django_db

# allauth's Title Case, each as the portal writes it in sentence case instead.
TITLE_CASE = [
    "Sign In",
    "Sign Up",
    "Sign Out",
    "Sign-In Code",
    "Two-Factor",
    "Forgot Password",
    "Change Password",
    "Set Password",
    "Password Reset",
    "Reset My Password",
    "Recovery Codes",
    "Authenticator App",
    "Security Key",
    "Confirm Access",
    "Email Address",
    "Verify Your",
    "Request Code",
    "View Codes",
    "Download Codes",
    "Generate New",
    "Bad Token",
]
TITLE_CASE_RE = re.compile("|".join(rf"\b{re.escape(phrase)}" for phrase in TITLE_CASE))


class VisibleText(HTMLParser):
    """What a person reads or hears on a page: text outside scripts and styles, and the
    title, label and value attributes of controls."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        names = dict(attrs)
        self.parts += [names[a] or "" for a in ("aria-label", "title", "placeholder") if a in names]
        if tag in ("input", "button") and names.get("type") in ("submit", "button"):
            self.parts.append(names.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def title_case_in(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(" ".join(parser.parts).split())
    return sorted(set(TITLE_CASE_RE.findall(text)))


def page_of(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return str(response.content.decode())


@pytest.fixture
def admin():
    tenant = make_tenant(name="Contoso", domain="contoso.example")
    return make_user(tenant, roles=[Role.GLOBAL_ADMIN], email="megan@contoso.example", mfa=True)


def test_the_check_finds_title_case_in_visible_text_only():
    page = (
        "<title>Sign In</title><h1>Two-Factor Authentication</h1>"
        '<script>const a = "Recovery Codes";</script><button aria-label="Sign Out">x</button>'
    )
    assert title_case_in(page) == ["Sign In", "Sign Out", "Two-Factor"]
    assert title_case_in("<h1>Sign in</h1><p>Two-factor authentication</p>") == []


SIGNED_OUT_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
]


@pytest.mark.parametrize("name", SIGNED_OUT_PAGES)
def test_signed_out_pages_use_sentence_case(client, name):
    assert title_case_in(page_of(client, reverse(name))) == []


def test_the_password_reset_link_pages_use_sentence_case(client, admin):
    # the page of a good link leads to the form on the next address; a bad link says so
    uid, key = user_pk_to_url_str(admin), default_token_generator.make_token(admin)
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": key})
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert "password1" in response.content.decode()
    assert title_case_in(response.content.decode()) == []
    bad = reverse("account_reset_password_from_key", kwargs={"uidb36": uid, "key": "x-y"})
    assert title_case_in(page_of(client, bad)) == []
    assert title_case_in(page_of(client, reverse("account_reset_password_from_key_done"))) == []


def test_the_second_factor_page_at_sign_in_uses_sentence_case(client, admin):
    response = client.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert title_case_in(page_of(client, reverse("mfa_authenticate"))) == []


SIGNED_IN_PAGES = [
    "mfa_index",
    "mfa_generate_recovery_codes",
    "mfa_deactivate_totp",
    "account_change_password",
    "account_logout",
]


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_pages_use_sentence_case(client, admin, name):
    sign_in(client, admin)
    assert title_case_in(page_of(client, reverse(name))) == []


def test_the_recovery_codes_pages_use_sentence_case(client, admin):
    # given an admin who generated recovery codes
    sign_in(client, admin)
    generated = client.post(reverse("mfa_generate_recovery_codes"))
    assert generated["Location"] == reverse("mfa_view_recovery_codes")
    # then the codes, and the page to generate new ones, speak in sentence case
    codes = page_of(client, reverse("mfa_view_recovery_codes"))
    assert "Unused codes" in codes
    assert title_case_in(codes) == []
    assert title_case_in(page_of(client, reverse("mfa_generate_recovery_codes"))) == []
    assert title_case_in(page_of(client, reverse("mfa_index"))) == []


def test_activating_an_authenticator_uses_sentence_case(client):
    # given an admin who has no authenticator yet
    tenant = make_tenant(name="Fabrikam", domain="fabrikam.example")
    user = make_user(tenant, roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in(client, user, mfa=False)
    # then the two-factor page and the activation form speak in sentence case
    assert title_case_in(page_of(client, reverse("mfa_index"))) == []
    assert title_case_in(page_of(client, reverse("mfa_activate_totp"))) == []


def test_the_reauthentication_pages_use_sentence_case(client, admin):
    # given an admin whose sign-in is old
    sign_in(client, admin)
    age_sign_in(client)
    # then confirming with the password or with the code speaks in sentence case
    assert title_case_in(page_of(client, reverse("account_reauthenticate"))) == []
    assert title_case_in(page_of(client, reverse("mfa_reauthenticate"))) == []


def test_the_security_key_pages_use_sentence_case(client, admin):
    from allauth.mfa.models import Authenticator

    # given an admin about to add a security key
    sign_in(client, admin)
    assert title_case_in(page_of(client, reverse("mfa_add_webauthn"))) == []
    # when they have one
    key = Authenticator.objects.create(
        user=admin, type=Authenticator.Type.WEBAUTHN, data={"name": "Desk key", "credential": {}}
    )
    # then listing, editing and removing keys speak in sentence case
    for url in (
        reverse("mfa_list_webauthn"),
        reverse("mfa_edit_webauthn", kwargs={"pk": key.pk}),
        reverse("mfa_remove_webauthn", kwargs={"pk": key.pk}),
    ):
        page = page_of(client, url)
        assert title_case_in(page) == [], url


ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"
SUBJECTS = sorted(
    str(path.relative_to(ALLAUTH_TEMPLATES))
    for path in ALLAUTH_TEMPLATES.glob("*/email/*_subject.txt")
    if path.parts[-3] in ("account", "mfa")
)


def test_every_account_mail_subject_is_found():
    assert len(SUBJECTS) >= 15


@pytest.mark.parametrize("name", SUBJECTS)
def test_account_mail_subjects_use_sentence_case(name):
    subject = " ".join(render_to_string(name, {}).split())
    first, *rest = subject.split(" ")
    assert first[:1].isupper()
    assert [word for word in rest if word != word.lower()] == [], subject


def test_the_confirmation_mail_at_sign_up_asks_in_sentence_case(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "organisation": "Wide World Importers",
                "domain": "wideworld.example",
                "first_name": "Ana",
                "last_name": "Alves",
                "email": "ana@wideworld.example",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
    (message,) = mail.outbox
    assert message.subject == "[Partner Portal] Confirm your email address"
