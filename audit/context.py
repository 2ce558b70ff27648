"""Where a request came from, for the audit events written while serving it."""

import contextvars
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from partnerportal.clientip import from_trusted_proxy


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    request_id: str = ""


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "audit_request_context", default=None
)


def current() -> RequestContext:
    return _current.get() or RequestContext()


# What a proxy's X-Request-ID may look like: no spaces, no newlines, nothing to escape.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _incoming_request_id(request: HttpRequest) -> str | None:
    """The proxy's ``X-Request-ID`` when a trusted proxy sent one of a sane shape."""
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    if incoming and from_trusted_proxy(request) and REQUEST_ID.fullmatch(incoming):
        return incoming
    return None


@contextmanager
def origin_withheld() -> Iterator[None]:
    """Events written inside carry no address, user agent or request id: for an event
    recorded in a tenant that the request's own user does not belong to (say, another
    organisation told that it lost a domain), which must not learn where it came from."""
    token = _current.set(RequestContext())
    try:
        yield
    finally:
        _current.reset(token)


class RequestContextMiddleware:
    """Gives each request an id (or keeps a trusted proxy's sane ``X-Request-ID``) and
    remembers its origin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _incoming_request_id(request) or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(
            RequestContext(
                # The client's, behind our proxies (partnerportal.clientip).
                ip_address=request.META.get("REMOTE_ADDR") or None,
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
                request_id=request_id,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
