"""Two-factor authentication is enforced, not merely offered.

A signed-in user of whom MFA is required and who has no authenticator yet is sent to
enrolment from every page but allauth's own, static files and health checks. Where the user
was going is kept in the session, so the MFA pages can offer a way back: an offer's consent
page is read, and answered with one click, after enrolment, never before it.
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
# Answers to an offer are posted from its consent page, which is their way back.
OFFER_ANSWER_URL_NAMES = frozenset({"offers:accept", "offers:decline"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_exempt(request: HttpRequest) -> bool:
    path = request.path_info
    if path.startswith((*ALWAYS_EXEMPT_PREFIXES, settings.STATIC_URL or "/static/")):
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


def _consent_page_of_answer(request: HttpRequest) -> str | None:
    """The consent page of the offer that ``request`` answers, if it answers one."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if match.view_name not in OFFER_ANSWER_URL_NAMES:
        return None
    return reverse("offers:public", kwargs=match.kwargs)


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
            consent_page = _consent_page_of_answer(request)
            if consent_page:
                # Never the answer itself: after enrolment the customer reads the consent
                # page again and answers with its own click.
                next_url = consent_page
        if next_url:
            request.session[MFA_NEXT_SESSION_KEY] = next_url
        messages.info(
            request,
            "Your organisation requires two-factor authentication. "
            "Set up an authenticator app or a security key to continue.",
        )
        return HttpResponseRedirect(reverse("mfa_index"))
