"""Re-authentication: sensitive acts need a recent sign-in.

allauth's ``reauthentication_required`` alone counts only an explicit re-authentication;
here any sign-in within ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` counts as recent too. allauth's
own MFA pages follow the same rule, through the account adapter (``tenants/adapters.py``).
Re-authenticating is the password or the second factor (``ACCOUNT_REAUTHENTICATION_METHODS``).

``SENSITIVE_ACTS`` is the one list of the acts behind it. Each act's view carries the
guard (``recent_sign_in_required``), which marks it; the tests resolve every listed URL
and check the mark, and check that no marked view is missing from the list.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.decorators import reauthentication_required
from django.http import HttpRequest

SIGNED_IN_AT_KEY = "portal.signed_in_at"

# The attribute the guard sets on a view: ``functools.wraps`` carries it to every
# decorator above, so the view a URL resolves to shows it.
GUARD_ATTRIBUTE = "recent_sign_in_guard"

# URL name: what the act does. Every one of them takes effect only after a recent
# sign-in; the GET of a form or confirmation page may pass, never the POST.
SENSITIVE_ACTS: dict[str, str] = {
    # a customer's directory, by its admins or its partner's agents
    "tenants:user-create": "Create a user, whose password is shown",
    "tenants:user-edit": "Edit a user's name and job title",
    "tenants:user-disable": "Disable a user and end their sessions",
    "tenants:user-enable": "Enable a disabled user",
    "tenants:user-reset-password": "Reset a user's password, shown once",
    "tenants:user-roles": "Assign or remove a directory role",
    "tenants:domain-add": "Add a domain",
    "tenants:domain-verify": "Verify a domain",
    "tenants:domain-default": "Make a domain the default",
    "tenants:domain-remove": "Remove a domain",
    "tenants:subscription-seats": "Change a subscription's seats",
    "tenants:subscription-cancel": "Cancel a subscription",
    "tenants:security": "Change the tenant's security settings (explicit re-authentication)",
    # a customer's partners
    "delegation:relationship-remove": "Remove a partner's relationship",
    "delegation:relationship-renew": "Renew a partner's relationship",
    "offers:accept": "Accept a partner's offer",
    "offers:decline": "Decline a partner's offer",
    # a partner's side
    "delegation:staff-add": "Add a staff member, who is mailed an invitation",
    "delegation:staff-edit": "Give staff delegated access to customers",
    "delegation:staff-disable": "Disable a staff member and end its sessions",
    "delegation:staff-enable": "Enable a disabled staff member",
    "delegation:customer-relationship-end": "End a relationship from the partner's side",
    "delegation:team-create": "Create a team",
    "delegation:team-edit": "Rename a team or change its description",
    "delegation:team-delete": "Delete a team: its members lose what it held",
    "delegation:team-member-add": "Add a staff member to a team",
    "delegation:team-member-remove": "Take a staff member out of a team",
    "delegation:team-assignment-set": "Give a team roles in a customer, or in every customer",
    "delegation:team-assignment-remove": "Take away what a team holds in a customer",
    "delegation:team-assignment-bulk": "Give a team roles in a group of customers",
    "delegation:customer-groups": "Create a customer group",
    "delegation:customer-group-edit": "Rename a customer group or choose its customers",
    "delegation:customer-group-delete": "Delete a customer group",
    "offers:create": "Create an offer",
    "offers:detail": "Send an offer by mail",
}


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
    view: Callable[..., Any] | None = None,
    *,
    allow_get: bool = False,
    explicit: bool = False,
    gate: Callable[..., object] | None = None,
) -> Any:
    """Decorate a view so that it runs only after a recent sign-in, and mark it.

    With ``allow_get`` a GET (a form or confirmation page) passes and only the POST is
    guarded. With ``explicit`` only a re-authentication counts, not the sign-in itself.
    ``gate``, called with the view's arguments only when a re-authentication is due,
    raises ``Http404`` for whoever may not act at all: the password is asked only of
    those allowed to act, and the prompt confirms nothing to anyone else.
    """
    enabled: Callable[[HttpRequest], bool] | None = None
    if not explicit:
        enabled = lambda request: not signed_in_recently(request)  # noqa: E731
    guard = reauthentication_required(allow_get=allow_get, enabled=enabled)

    def decorator(function: Callable[..., Any]) -> Callable[..., Any]:
        guarded = guard(function)
        if gate is not None:
            guarded = _gated(guarded, gate, allow_get=allow_get, explicit=explicit)
        setattr(guarded, GUARD_ATTRIBUTE, {"allow_get": allow_get, "explicit": explicit})
        return guarded

    return decorator(view) if view is not None else decorator


def _gated(
    guarded: Callable[..., Any],
    gate: Callable[..., object],
    *,
    allow_get: bool,
    explicit: bool,
) -> Callable[..., Any]:
    @wraps(guarded)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        passes = allow_get and request.method == "GET"
        if not passes and (explicit or not signed_in_recently(request)):
            gate(request, *args, **kwargs)
        return guarded(request, *args, **kwargs)

    return view


def guard_of(view: Callable[..., Any]) -> dict[str, bool] | None:
    """The guard's settings if ``view`` (or a view it wraps) is guarded, else None."""
    while view is not None:
        guard = getattr(view, GUARD_ATTRIBUTE, None)
        if guard is not None:
            return dict(guard)
        view = getattr(view, "__wrapped__", None)  # type: ignore[assignment]
    return None
