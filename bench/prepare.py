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
from datetime import timedelta
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenants.models import User


def _session_data(user: User, with_mfa: bool) -> dict[str, Any]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    now = time.time()
    records: list[dict[str, Any]] = [{"method": "password", "at": now, "email": user.email}]
    if with_mfa:
        records.append({"method": "mfa", "at": now, "type": "totp"})
    return {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: "partnerportal.auth.ModelBackend",
        HASH_SESSION_KEY: user.get_session_auth_hash(),
        "account_authentication_methods": records,
        "account_authentication_methods_user": str(user.pk),
    }


def session_cookie(user: User) -> str:
    """A fresh session of ``user``, as ``name=value`` for a Cookie header."""
    from allauth.mfa.models import Authenticator
    from django.conf import settings

    from tenants.security import mfa_required_for

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    with_mfa = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    if not with_mfa and mfa_required_for(user):
        # As the portal requires of it (a customer's administrator): enrolled.
        give_totp([user])
        with_mfa = True
    store.update(_session_data(user, with_mfa))
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def give_totp(users: list[User]) -> None:
    """A TOTP authenticator (the seeded agents' key) for each of ``users`` without one."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    from tenants.management.commands.seed_scale import TOTP_SECRET

    data = {"secret": get_adapter().encrypt(TOTP_SECRET)}
    Authenticator.objects.bulk_create(
        [Authenticator(user=u, type=Authenticator.Type.TOTP, data=data) for u in users],
        ignore_conflicts=True,
    )


def session_cookies(users: list[User]) -> list[str]:
    """Fresh sessions of many ``users`` (each given a TOTP authenticator first, as a
    customer's administrators must have one to answer an offer), written in bulk."""
    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    give_totp(users)
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    sessions = []
    for user in users:
        store = store_class()
        key = store._get_new_session_key()
        sessions.append(
            Session(
                session_key=key,
                session_data=store.encode(_session_data(user, with_mfa=True)),
                expire_date=expires,
            )
        )
    Session.objects.bulk_create(sessions, batch_size=1000)
    prefix = getattr(store_class, "cache_key_prefix", None)
    if prefix is not None:
        # As a sign-in leaves them: read through the cache as well as stored.
        from django.core.cache import caches

        caches[settings.SESSION_CACHE_ALIAS].set_many(
            {prefix + s.session_key: store_class().decode(s.session_data) for s in sessions},
            settings.SESSION_COOKIE_AGE,
        )
    return [f"{settings.SESSION_COOKIE_NAME}={s.session_key}" for s in sessions]


def sizes() -> dict[str, int]:
    from audit.models import AuditEvent
    from tenants.models import Tenant, User

    return {
        "tenants": Tenant.objects.count(),
        "users": User.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def prepare(acceptors: int) -> dict[str, Any]:
    from django.urls import reverse

    from bench.pages import BASELINE, PAGES, PEERS, Data

    data = Data()
    every = [*PAGES, *PEERS]
    sessions = sorted({page.session for page in every})
    cookies: dict[str, str] = {}
    requests = []
    for session in sessions:
        pages = [page.resolve(data) for page in every if page.session == session]
        if session == "acceptors":
            # Each request is another customer's admin: one acceptance each.
            pool = data.acceptors(acceptors)
            pool_cookies = session_cookies([user for user, _ in pool])
            entries = [
                {"cookie": cookie, "path": reverse("offers:accept", kwargs={"token": offer.token})}
                for cookie, (_, offer) in zip(pool_cookies, pool, strict=True)
            ]
            for page in pages:
                page["pool"] = entries
                page["path"] = entries[0]["path"]
                page["csrf_from"] = data.offer.get_public_path()
            cookies[session] = entries[0]["cookie"]
        else:
            cookies[session] = session_cookie(data.user(session))
        requests.append({**BASELINE.resolve(data), "session": session})
        requests += pages
    return {"cookies": cookies, "requests": requests, "sizes": sizes()}


def main() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerportal.settings.production")
    import django

    django.setup()
    acceptors = int(os.environ.get("BENCH_ACCEPTORS", "3000"))
    json.dump(prepare(acceptors), sys.stdout, default=str)


if __name__ == "__main__":
    main()
