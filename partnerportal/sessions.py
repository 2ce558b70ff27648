"""Sessions in the database, read through the shared cache.

Django's ``cached_db`` store, with the cache as a help and never a requirement for
reading: when Redis cannot be reached, a session is read from the database and the page
is served, and for ``CACHE_RETRY_SECONDS`` this process reads sessions from the database
without trying Redis first (each try could wait for its connection timeout). Ending a
session is the other way round. It leaves the cache first, and if the cache cannot be
reached nothing is ended and the error is raised, so a session never ends in the
database while a copy lives on in the cache, to come back with it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.core.cache.backends.base import BaseCache

logger = logging.getLogger("django.contrib.sessions")

CACHE_RETRY_SECONDS = 10.0


class _Breaker:
    """When this process last found the cache unreachable."""

    open_until = 0.0

    @classmethod
    def closed(cls) -> bool:
        return time.monotonic() >= cls.open_until

    @classmethod
    def trip(cls) -> None:
        cls.open_until = time.monotonic() + CACHE_RETRY_SECONDS


class SessionStore(CachedDBStore):
    _cache: BaseCache  # set by cached_db's __init__

    def load(self) -> dict[str, Any]:
        data = self._cached() if _Breaker.closed() else None
        if data is not None:
            return data
        stored = self._get_session_from_db()  # type: ignore[attr-defined]
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        if _Breaker.closed():
            try:
                self._cache.set(
                    self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date)
                )
            except Exception:  # the next request reads the database again
                logger.warning("Session cache unreachable: the session was not cached")
                _Breaker.trip()
        return data

    def _cached(self) -> dict[str, Any] | None:
        try:
            return self._cache.get(self.cache_key)  # type: ignore[no-any-return]
        except Exception:  # unreachable cache or a key it refuses: the database
            logger.warning("Session cache unreachable: reading the session from the database")
            _Breaker.trip()
            return None

    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is None:
            return
        # Raises when the cache is unreachable, before anything is ended.
        self._cache.delete(self.cache_key_prefix + key)
        # The database row, then the cache again: a request may have read the row into
        # the cache in between.
        super().delete(key)
