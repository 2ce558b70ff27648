"""Where a request came from, for the audit events written while serving it."""

import contextvars
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


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
    """Gives each request an id (or keeps a sane ``X-Request-ID``) and remembers its origin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = (
            incoming
            if incoming and len(incoming) <= 64 and incoming.replace("-", "").isalnum()
            else uuid.uuid4().hex
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(
            RequestContext(
                # A forwarded address is the proxy's business (FORWARDED_ALLOW_IPS).
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
