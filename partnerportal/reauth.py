"""Re-authentication: sensitive acts need a recent sign-in.

allauth's ``reauthentication_required`` alone counts only an explicit re-authentication;
here any sign-in within ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` counts as recent too.
"""

import time
from collections.abc import Callable
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.decorators import reauthentication_required
from django.http import HttpRequest

SIGNED_IN_AT_KEY = "portal.signed_in_at"


def remember_sign_in(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    """Note in the session when it signed in (connected to ``user_logged_in``)."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT_KEY] = time.time()


def signed_in_recently(request: HttpRequest) -> bool:
    """Whether this session signed in, or re-authenticated, within the window."""
    user = request.user
    if not user.is_authenticated:
        return False
    moments = [float(r.get("at", 0)) for r in get_authentication_records(request, user)]
    moments.append(float(request.session.get(SIGNED_IN_AT_KEY, 0)))
    return time.time() - max(moments) < account_settings.REAUTHENTICATION_TIMEOUT


def recent_sign_in_required(
    view: Callable[..., Any] | None = None, *, allow_get: bool = False
) -> Any:
    """Decorate a view so that it runs only after a recent sign-in.

    With ``allow_get`` a GET (a confirmation page) passes and only the POST is guarded.
    """
    decorator = reauthentication_required(
        allow_get=allow_get, enabled=lambda request: not signed_in_recently(request)
    )
    return decorator(view) if view is not None else decorator
