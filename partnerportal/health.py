"""Unauthenticated probes for a load balancer: ``/healthz`` (alive) and ``/readyz``.

Without Redis the portal still serves (mail waits, the cache fails open): ``degraded``.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)
BROKER_TIMEOUT = 0.5  # seconds; a probe must answer well within the balancer's own timeout


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@lru_cache(maxsize=4)
def _broker_client(url: str) -> Redis:
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT)


def database_status() -> str:
    try:
        connection.close_if_health_check_failed()  # a kept connection the server dropped
        connection.ensure_connection()
    except DatabaseError as exc:
        logger.warning("readyz: database unreachable: %s", exc.__class__.__name__)
        return "unreachable"
    return "ok"


def broker_status() -> str:
    """``eager`` when tasks run in-process (no broker), else whether Redis answers a ping."""
    url = getattr(settings, "REDIS_URL", None)
    if settings.CELERY_TASK_ALWAYS_EAGER or not url:
        return "eager"
    from redis.exceptions import RedisError

    try:
        _broker_client(url).ping()
    except (RedisError, OSError) as exc:
        logger.warning("readyz: broker unreachable: %s", exc.__class__.__name__)
        return "unreachable"
    return "ok"


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: 503 without the database, ``degraded`` (200) without the broker."""
    checks = {"database": database_status(), "broker": broker_status()}
    if checks["database"] != "ok":
        return JsonResponse({"status": "unavailable", **checks}, status=503)
    status = "degraded" if checks["broker"] == "unreachable" else "ok"
    return JsonResponse({"status": status, **checks})
