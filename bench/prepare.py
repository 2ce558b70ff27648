"""Sessions and concrete requests for one benchmark run, printed as JSON.

Run with the server's own environment (same settings and database):
``python -m bench.prepare``. For each session the pages need, it writes a session row
the way a real sign-in leaves it (password and, for a user with TOTP, second-factor
records, so re-authentication checks pass) and prints the cookie to send.
"""

from __future__ import annotations

import json
import os
import sys
import time
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenants.models import User


def session_cookie(user: User) -> str:
    """A fresh session of ``user``, as ``name=value`` for a Cookie header."""
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    now = time.time()
    records: list[dict[str, Any]] = [{"method": "password", "at": now, "email": user.email}]
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        records.append({"method": "mfa", "at": now, "type": "totp"})
    store["account_authentication_methods"] = records
    store["account_authentication_methods_user"] = str(user.pk)
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def sizes() -> dict[str, int]:
    from audit.models import AuditEvent
    from tenants.models import Tenant, User

    return {
        "tenants": Tenant.objects.count(),
        "users": User.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def prepare() -> dict[str, Any]:
    from bench.pages import BASELINE, PAGES, Data

    data = Data()
    sessions = sorted({page.session for page in PAGES})
    requests = []
    for session in sessions:
        requests.append({**BASELINE.resolve(data), "session": session})
        requests += [page.resolve(data) for page in PAGES if page.session == session]
    return {
        "cookies": {session: session_cookie(data.user(session)) for session in sessions},
        "requests": requests,
        "sizes": sizes(),
    }


def main() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerportal.settings.production")
    import django

    django.setup()
    json.dump(prepare(), sys.stdout, default=str)


if __name__ == "__main__":
    main()
