"""Two-factor authentication is enforced, not merely offered.

A signed-in user of whom MFA is required and who has no authenticator yet is sent to
enrolment from every page but allauth's own, static files, health checks and reading an
offer (a customer admin may read what a partner asks before enrolling). Where the user was
going is kept in the session, so the MFA pages can offer a way back.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from tenants.security import MFA_NEXT_SESSION_KEY, has_mfa, mfa_required_for

ALWAYS_EXEMPT_PREFIXES = ("/healthz", "/readyz", "/favicon.ico")
READ_EXEMPT_PREFIXES = ("/offer/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_exempt(request: HttpRequest) -> bool:
    path = request.path_info
    if path.startswith((*ALWAYS_EXEMPT_PREFIXES, settings.STATIC_URL or "/static/")):
        return True
    if request.method in SAFE_METHODS and path.startswith(READ_EXEMPT_PREFIXES):
        return True
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func.__module__.startswith("allauth.")


def _safe_local_url(request: HttpRequest, url: str | None) -> str | None:
    """``url`` as a local path, or None when it points elsewhere."""
    if not url:
        return None
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    path = parts.path or "/"
    local = f"{path}?{parts.query}" if parts.query else path
    # "http://host//evil.example/x" is on this host, but its path alone is not.
    return local if url_has_allowed_host_and_scheme(local, allowed_hosts=None) else None


class MFARequiredMiddleware:
    """Send users who must have MFA, and have none yet, to enrolment."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_exempt(request):
            user = request.user
            if user.is_authenticated and mfa_required_for(user) and not has_mfa(user):
                return self._to_enrolment(request)
            if MFA_NEXT_SESSION_KEY in request.session:
                # Past enrolment and on its way: the way back is no longer needed.
                del request.session[MFA_NEXT_SESSION_KEY]
        return self.get_response(request)

    def _to_enrolment(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS:
            next_url = _safe_local_url(request, request.get_full_path())
        else:
            # A form was posted: come back to the page that showed it.
            next_url = _safe_local_url(request, request.headers.get("referer"))
        if next_url:
            request.session[MFA_NEXT_SESSION_KEY] = next_url
        messages.info(
            request,
            "Your organisation requires two-factor authentication. "
            "Set up an authenticator app or a security key to continue.",
        )
        return HttpResponseRedirect(reverse("mfa_index"))
