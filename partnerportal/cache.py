"""Django's Redis cache, failing open: a Redis that cannot be reached is a cache that
holds nothing.

Reads miss and writes are dropped, with a warning, so pages are served from the database
and rate limits let requests through while Redis is away. Nothing is kept in the
process instead: a per-process copy would let each worker count limits, or remember used
codes, on its own. After a failure the process does not try Redis again for
``RETRY_SECONDS``, so only the first request pays the socket timeout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class FailOpenRedisCache(RedisCache):
    down_until = 0.0  # shared by the process's threads, each of which has its own cache

    def _try(self, fallback: Any, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < FailOpenRedisCache.down_until:
            return fallback
        try:
            return call(*args, **kwargs)
        except (RedisError, OSError) as exc:
            logger.warning("Redis unreachable (%s): the cache fails open", type(exc).__name__)
            FailOpenRedisCache.down_until = time.monotonic() + RETRY_SECONDS
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._try(default, super().get, key, default, version)

    def get_many(self, keys: Any, version: int | None = None) -> Any:
        return self._try({}, super().get_many, keys, version)

    def has_key(self, key: Any, version: int | None = None) -> Any:
        return self._try(False, super().has_key, key, version)

    # ``add`` succeeds: allauth takes a lock and marks a used code with it.
    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> Any:
        return self._try(True, super().add, key, value, timeout, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> Any:
        return self._try(None, super().set, key, value, timeout, version)

    def set_many(
        self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> Any:
        return self._try([], super().set_many, data, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> Any:
        return self._try(False, super().touch, key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> Any:
        return self._try(False, super().delete, key, version)

    def delete_many(self, keys: Any, version: int | None = None) -> Any:
        return self._try(None, super().delete_many, keys, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        # ValueError is what a missing key raises; django-ratelimit then lets the hit pass.
        value = self._try(None, super().incr, key, delta, version)
        if value is None:
            raise ValueError(f"Key {key!r} not found (Redis unreachable).")
        return value

    def clear(self) -> Any:
        return self._try(False, super().clear)
