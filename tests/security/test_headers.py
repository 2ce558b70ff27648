"""Security headers and cookies on real responses, under the production settings.

``override_settings`` of a few SECURE_* values is not the production configuration, so
these tests start a fresh interpreter with ``partnerportal.settings.production`` and the
environment it requires, and run requests through the whole middleware stack there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_URL = os.environ.get("SECURITY_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")

# Runs in the child interpreter. The hashed-static manifest is a build artefact (made by
# collectstatic at deploy time), so only the static storage is swapped; everything else
# is the production configuration as it loads.
SCRIPT = r"""
import json
import django
from django.test.utils import override_settings

django.setup()
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

with override_settings(STORAGES={
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}):
    call_command("migrate", verbosity=0, interactive=False)
    cache.clear()
    from allauth.account.models import EmailAddress
    from tenants.models import TenantKind
    from tenants.services import tenant_create, user_create

    tenant = tenant_create(kind=TenantKind.CUSTOMER, name="Headers", domain="headers.example")
    user = user_create(tenant=tenant, email="joni@headers.example", password="a-long-passphrase-1")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    def cookie(response, name):
        morsel = response.cookies.get(name)
        if morsel is None:
            return None
        return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
                "samesite": morsel["samesite"], "path": morsel["path"],
                "domain": morsel["domain"]}

    plain = Client(HTTP_HOST="portal.example.com").get("/accounts/login/")
    client = Client(HTTP_HOST="portal.example.com", HTTP_X_FORWARDED_PROTO="https")
    page = client.get("/accounts/login/", secure=True)
    login = client.post(
        "/accounts/login/",
        {"login": user.email, "password": "a-long-passphrase-1"},
        secure=True,
    )
    profile = client.get("/profile/", secure=True)
    print(json.dumps({
        "plain": {"status": plain.status_code, "location": plain.get("Location")},
        "page": {"status": page.status_code, "headers": dict(page.headers),
                 "csrf_cookie": cookie(page, settings.CSRF_COOKIE_NAME),
                 "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
                 "html": page.content.decode()},
        "login": {"status": login.status_code, "location": login.get("Location"),
                  "session_cookie": cookie(login, settings.SESSION_COOKIE_NAME)},
        "profile": {"status": profile.status_code, "headers": dict(profile.headers)},
        "cache": settings.CACHES["default"]["BACKEND"],
    }))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("production") / "portal.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "partnerportal.settings.production",
        "SECRET_KEY": "p" * 20 + "-production-secret-with-enough-entropy-5b1e77d0aa",
        "DATABASE_URL": f"sqlite:///{db}",
        "ALLOWED_HOSTS": "portal.example.com",
        "PORTAL_BASE_URL": "https://portal.example.com",
        "REDIS_URL": REDIS_URL,
        "MFA_ENCRYPTION_KEY": "dGVzdC1vbmx5LW1mYS1lbmNyeXB0aW9uLWtleS0wMDA=",
    }
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


pytestmark = pytest.mark.redis


def test_plain_http_is_redirected_to_https(production):
    assert production["plain"]["status"] == 301
    assert production["plain"]["location"] == "https://portal.example.com/accounts/login/"


@pytest.mark.parametrize("which", ["page", "profile"])
def test_security_headers_are_on_every_response(production, which):
    response = production[which]
    assert response["status"] == 200
    headers = response["headers"]
    hsts = headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"same-origin", "strict-origin", "no-referrer"}
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_content_security_policy_forbids_inline_code(production):
    header = production["page"]["headers"]["Content-Security-Policy"]
    directives = csp_directives(header)
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]


def test_cookies_are_secure_and_out_of_reach_of_scripts(production):
    # the CSRF cookie, set with the sign-in form
    assert production["page"]["csrf_cookie_name"].startswith("__Host-")
    csrf = production["page"]["csrf_cookie"]
    assert csrf is not None
    assert csrf["secure"]
    assert csrf["httponly"]
    assert csrf["path"] == "/"
    assert not csrf["domain"]
    # the session cookie, set at sign-in
    assert production["login"]["status"] == 302
    session = production["login"]["session_cookie"]
    assert session is not None
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    assert session["path"] == "/"
    assert not session["domain"]
    assert production["profile"]["status"] == 200


def test_the_sign_in_page_has_no_inline_script_or_style(production):
    from tests.security.test_templates import inline_code

    assert inline_code(production["page"]["html"]) == []


def test_production_counts_rate_limits_in_redis(production):
    assert production["cache"] == "partnerportal.cache.FailOpenRedisCache"
