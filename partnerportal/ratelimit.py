"""A small fixed-window rate limit for views allauth does not cover (the offer link).

Counts live in Django's default cache, so in production (Redis) every worker shares
them. Over the limit the view answers 429 with a ``Retry-After`` header and the same
page allauth shows for its own limits (``templates/429.html``).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .cache import PortalRedisCache

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^(\d+)/(\d*)([smhd])$")

ViewFunc = Callable[..., HttpResponse]


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/m"`` → (30, 60); ``"5/10m"`` → (5, 600)."""
    match = _RATE_RE.match(rate.strip())
    if not match:
        raise ValueError(f"Invalid rate {rate!r}: use '<count>/<period>', e.g. '30/m' or '5/10m'.")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _UNITS[unit]


def client_ip(request: HttpRequest) -> str:
    """The client's address as the server saw it.

    ``REMOTE_ADDR`` only: trusting ``X-Forwarded-For`` would let a client pick its own
    key. Behind a proxy, the proxy (or a middleware it trusts) sets ``REMOTE_ADDR``.
    """
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def _key_for(request: HttpRequest, key: str) -> str:
    if key == "ip":
        return client_ip(request)
    if key == "user":
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return client_ip(request)
    raise ValueError(f"Unknown rate limit key {key!r}: use 'ip' or 'user'.")


def hit(scope: str, identity: str, *, limit: int, period: int) -> tuple[bool, int]:
    """Count one hit of ``identity`` in ``scope``; returns (allowed, seconds to wait)."""
    now = int(time.time())
    window = now // period
    digest = hashlib.sha256(f"{scope}|{identity}".encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{digest}:{window}"
    return _count(cache_key, period + 1) <= limit, (window + 1) * period - now


def _count(cache_key: str, timeout: int) -> int:
    backend = caches["default"]
    if isinstance(backend, PortalRedisCache):
        return backend.count(cache_key, timeout)  # one round trip
    # add() is atomic on Redis and local memory: only the first hit of a window sets it.
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=timeout)
        return 1


def ratelimit(*, key: str = "ip", rate: str = "30/m") -> Callable[[ViewFunc], ViewFunc]:
    """Limit a view to ``rate`` requests per ``key`` ("ip" or "user")."""
    limit, period = parse_rate(rate)

    def decorator(view: ViewFunc) -> ViewFunc:
        scope = f"{view.__module__}.{view.__qualname__}"

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            allowed, wait = hit(scope, _key_for(request, key), limit=limit, period=period)
            if not allowed:
                response = render(request, "429.html", status=429)
                response["Retry-After"] = str(max(wait, 1))
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
