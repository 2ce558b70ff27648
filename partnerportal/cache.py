"""Django's Redis cache, with one Redis client per server instead of one per call.

Django's ``RedisCacheClient`` makes a new ``redis.Redis`` for every operation, and a
``redis.Redis`` copies its table of some two hundred response callbacks as it is made:
a request that reads its session and counts a rate limit built several, which cost
more than the round trips themselves. A client is safe to share (its connections come
from the pool, one per command), so one is made per server and kept.

``PortalRedisCache.count`` counts a hit in one round trip where ``add`` then ``incr``
take three (Django's ``incr`` asks whether the key exists first).
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        base: Any = self  # RedisCacheClient's own attributes, which its stubs leave out
        index = base._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in base._pools:
                base._pools[index] = base._pool_class.from_url(
                    base._servers[index], **base._pool_options
                )
            client = self._clients[index] = base._client(connection_pool=base._pools[index])
        return client


class PortalRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with ``ReusingRedisCacheClient``."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def count(self, key: str, timeout: int) -> int:
        """Add one to the count under ``key`` and return it; a count that does not exist
        starts at 0 and lives ``timeout`` seconds from then.

        One transaction (one round trip): the key cannot expire between its creation and
        the increment, so no count outlives its window. The count reads back with
        ``get``, as one ``add`` and ``incr`` made."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)  # type: ignore[attr-defined]
        with client.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, nx=True, ex=timeout)
            pipe.incr(key)
            _, counted = pipe.execute()
        return int(counted)
