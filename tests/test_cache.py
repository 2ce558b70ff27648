"""The Redis cache: one client per server, kept, for every operation."""

import pytest
import redis

from partnerportal.cache import PortalRedisCache
from tests import services


def make_cache(location=services.REDIS_URL, **options):
    return PortalRedisCache(location, {"OPTIONS": options, "KEY_PREFIX": "cache-test"})


def test_every_operation_shares_one_client_per_server(monkeypatch):
    # given: a count of the clients made
    made = []
    real_init = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        made.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    cache = make_cache()
    # when: reads and writes ask for a client, as each operation does
    clients = {id(cache._cache.get_client(write=w)) for w in (True, False, True, False)}
    # then
    assert len(clients) == 1
    assert len(made) == 1


def test_with_replicas_writes_go_to_the_first_server_and_reads_elsewhere():
    cache = make_cache(["redis://127.0.0.1:1/0", "redis://127.0.0.1:2/0"])
    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client(write=False)
    assert writer is cache._cache.get_client(write=True)
    assert reader is not writer
    assert reader.connection_pool.connection_kwargs["port"] == 2
    assert writer.connection_pool.connection_kwargs["port"] == 1


@pytest.mark.redis
def test_values_round_trip_through_redis():
    cache = make_cache()
    cache.delete_many(["k", "n"])
    cache.set("k", {"a": [1, 2]}, 30)
    assert cache.get("k") == {"a": [1, 2]}
    assert cache.add("n", 1, 30)
    assert not cache.add("n", 5, 30)
    assert cache.incr("n") == 2
    assert cache.get("n") == 2
    cache.delete_many(["k", "n"])
    assert cache.get("k") is None


@pytest.mark.redis
def test_count_starts_a_window_and_counts_in_one_round_trip(monkeypatch):
    # given: a count of the commands sent to Redis
    cache = make_cache()
    cache.delete("hits")
    sent = []
    real = redis.connection.Connection.send_packed_command

    def counting(self, command, *args, **kwargs):
        sent.append(command)
        return real(self, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counting)
    # when
    counts = [cache.count("hits", 30) for _ in range(3)]
    # then: each count one exchange with the server, the window's expiry set once
    assert counts == [1, 2, 3]
    assert len(sent) == 3
    client = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key("hits")
    assert 0 < client.ttl(key) <= 30
    assert cache.get("hits") == 3  # what add() and incr() would have left
    cache.delete("hits")


@pytest.mark.redis
def test_count_of_an_expired_window_starts_again():
    cache = make_cache()
    cache.delete("hits")
    cache.count("hits", 30)
    cache.count("hits", 30)
    # when: the window ends
    cache.delete("hits")
    # then
    assert cache.count("hits", 30) == 1
    cache.delete("hits")
