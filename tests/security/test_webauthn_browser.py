"""A security key, end to end in Chromium (a virtual authenticator), under the strict CSP.

allauth's WebAuthn pages run static scripts fed by JSON data blocks; this proves they
work with ``script-src 'self'`` and that no inline code is refused on the way.
"""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator

from tenants.roles import Role
from tests.factories import PASSWORD, fresh_totp_code, make_partner, make_partner_user
from tests.services import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_partner_adds_a_security_key_and_signs_in_with_it(live_server):
    from playwright.sync_api import sync_playwright

    # given: an enrolled partner admin (TOTP)
    user = make_partner_user(make_partner(), roles=[Role.GLOBAL_ADMIN])
    base = live_server.url.replace("127.0.0.1", "localhost")  # WebAuthn needs a domain
    refused: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.on(
            "console",
            lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "usb",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )

        def sign_in_with_password() -> None:
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=login]", user.email)
            page.fill("input[name=password]", PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_url("**/accounts/2fa/authenticate/")

        # when: signing in with the authenticator app, then adding a key
        sign_in_with_password()
        page.fill("input[name=code]", fresh_totp_code())
        page.click("form[action='/accounts/2fa/authenticate/'] button[type=submit]")
        page.wait_for_url("**/partner/")
        page.goto(f"{base}/accounts/2fa/webauthn/add/")
        if "/reauthenticate/" in page.url:
            page.fill("input[name=password]", PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_url("**/webauthn/add/")
        page.click("#mfa_webauthn_add")
        page.wait_for_url(lambda url: "/webauthn/add/" not in url)
        added_to = page.url

        # when: signing out, and in again with the key instead of a code
        page.context.clear_cookies()
        sign_in_with_password()
        page.click("#mfa_webauthn_authenticate")
        page.wait_for_url("**/partner/")
        browser.close()
    # then (the database is read outside Playwright's event loop)
    assert "/accounts/2fa/" in added_to
    key = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    assert key.last_used_at is not None  # the second sign-in used it
    assert refused == []
