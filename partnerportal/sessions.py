"""Sessions in the database, read through the shared cache.

Django's ``cached_db`` store, with the cache as a help and never a requirement for
reading: when Redis cannot be reached, a session is read from the database and the page
is served. Ending a session is the other way round. It leaves the cache first, and if
the cache cannot be reached nothing is ended and the error is raised, so a session never
ends in the database while a copy lives on in the cache, to come back with it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.core.cache.backends.base import BaseCache

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(CachedDBStore):
    _cache: BaseCache  # set by cached_db's __init__

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # unreachable cache or a key it refuses: the database
            logger.warning("Session cache unreachable: reading the session from the database")
            data = None
        if data is not None:
            return data  # type: ignore[no-any-return]
        stored = self._get_session_from_db()  # type: ignore[attr-defined]
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:  # the next request reads the database again
            logger.warning("Session cache unreachable: the session was not cached")
        return data

    def delete(self, session_key: str | None = None) -> None:
        key = session_key if session_key is not None else self.session_key
        if key is None:
            return
        # Raises when the cache is unreachable, before anything is ended.
        self._cache.delete(self.cache_key_prefix + key)
        # The database row, then the cache again: a request may have read the row into
        # the cache in between.
        super().delete(key)
