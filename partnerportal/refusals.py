"""Refusals that say why: the portal's own "not found" page, with a reason where it is safe.

A view refuses with ``Http404`` so that nobody learns whether a thing exists. Where the
person refused already knows it does (its own organisation's admin center, a customer its
partner served, a page of its own partner), ``Refused`` carries a reason in words: the
access has ended, ask your partner admin, it needs a role you do not hold. The status
stays 404 either way. ``RefusalPageMiddleware`` renders the portal's page for every
``Http404`` a view raises, in development too (instead of Django's debug page).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


class Refused(Http404):
    """A 404 whose ``reason`` may be shown to the person refused."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RefusalPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Http404):
            return None
        reason = exception.reason if isinstance(exception, Refused) else ""
        return render(request, "404.html", {"reason": reason}, status=404)
