"""The Redis cache fails open: an unreachable Redis is a cache that holds nothing."""

import time

import pytest

from partnerportal.cache import FailOpenRedisCache
from tests import services


@pytest.fixture(autouse=True)
def _redis_up():
    FailOpenRedisCache.down_until = 0.0
    yield
    FailOpenRedisCache.down_until = 0.0


def make_cache(location=services.REDIS_URL):
    options = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
    return FailOpenRedisCache(location, {"OPTIONS": options, "KEY_PREFIX": "cache-test"})


def test_an_unreachable_redis_misses_drops_writes_and_is_not_asked_again(caplog):
    cache = make_cache("redis://127.0.0.1:1/0")
    assert cache.get("k", "default") == "default"
    assert "Redis unreachable" in caplog.text
    # then: for a while the process does not try again, so no request waits
    started = time.monotonic()
    cache.set("k", 1)
    assert cache.add("lock", True) is True  # allauth's lock and used-code marker
    assert cache.get_many(["k"]) == {}
    with pytest.raises(ValueError, match="not found"):
        cache.incr("k")
    assert time.monotonic() - started < 0.1
    assert caplog.text.count("Redis unreachable") == 1


@pytest.mark.redis
def test_values_round_trip_through_redis():
    cache = make_cache()
    cache.delete_many(["k", "n"])
    cache.set("k", {"a": [1, 2]}, 30)
    assert cache.get("k") == {"a": [1, 2]}
    assert cache.add("n", 1, 30)
    assert not cache.add("n", 5, 30)
    assert cache.incr("n") == 2
    cache.delete_many(["k", "n"])
    assert cache.get("k") is None
