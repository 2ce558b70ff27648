"""django-ratelimit for views allauth does not cover (the offer link and its answers).

Counts live in the default cache, so in production (Redis) every worker shares them;
with Redis away the cache fails open and so does the limit. Over the limit the view
answers 429 with a ``Retry-After`` header and the page allauth shows for its own limits.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

ViewFunc = Callable[..., HttpResponse]


def ratelimit(*, key: str = "ip", rate: str) -> Callable[[ViewFunc], ViewFunc]:
    """Limit a view to ``rate`` requests per ``key`` (django-ratelimit's keys: "ip" is
    ``REMOTE_ADDR``, never a header the client picks). ``rate`` is "3/m" or the name of
    a setting holding one, read at each request so a changed setting takes effect."""
    limit = (lambda group, request: getattr(settings, rate)) if rate.isupper() else rate

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            usage = get_usage(request, fn=view, key=key, rate=limit, increment=True)
            if usage and usage["should_limit"]:
                response = render(request, "429.html", status=429)
                response["Retry-After"] = str(max(usage["time_left"], 1))
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
