"""Sessions read through the cache: served when the cache is down, never revived by it."""

from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from partnerportal import sessions
from partnerportal.sessions import SessionStore
from tests.factories import make_tenant, make_user, sign_in

pytestmark = pytest.mark.django_db


class Unreachable(Exception):
    pass


@pytest.fixture(autouse=True)
def cache_reachable_again():
    """No test leaves the process believing the cache is down (others count queries)."""
    yield
    sessions._Breaker.open_until = 0.0


def stored(data: dict) -> SessionStore:
    store = SessionStore()
    store.update(data)
    store.create()
    return store


def test_a_session_is_read_from_the_cache_without_a_query(django_assert_num_queries):
    key = stored({"seen": 1}).session_key
    with django_assert_num_queries(0):
        assert SessionStore(key).load() == {"seen": 1}


def test_a_session_missing_from_the_cache_is_read_from_the_database_and_cached():
    store = stored({"seen": 2})
    caches["default"].delete(store.cache_key)
    assert SessionStore(store.session_key).load() == {"seen": 2}
    assert caches["default"].get(store.cache_key) == {"seen": 2}


def test_with_the_cache_unreachable_a_session_is_read_from_the_database():
    store = stored({"seen": 3})
    cache = caches["default"]
    with (
        mock.patch.object(cache, "get", side_effect=Unreachable),
        mock.patch.object(cache, "set", side_effect=Unreachable),
    ):
        assert SessionStore(store.session_key).load() == {"seen": 3}


def test_with_the_cache_unreachable_the_pages_still_serve_a_signed_in_user(client):
    user = make_user(make_tenant())
    sign_in(client, user)
    cache = caches["default"]
    with (
        mock.patch.object(cache, "get", side_effect=Unreachable),
        mock.patch.object(cache, "set", side_effect=Unreachable),
    ):
        response = client.get(reverse("tenants:profile"))
    assert response.status_code == 200
    assert user.email in response.content.decode()


def test_ending_a_session_with_the_cache_unreachable_ends_nothing():
    # given
    store = stored({"seen": 4})
    cache = caches["default"]
    # when
    with mock.patch.object(cache, "delete", side_effect=Unreachable), pytest.raises(Unreachable):
        SessionStore(store.session_key).delete()
    # then: alive in both places, as before
    assert Session.objects.filter(session_key=store.session_key).exists()
    assert cache.get(store.cache_key) == {"seen": 4}


def test_an_ended_session_is_gone_from_the_cache_and_the_database():
    store = stored({"seen": 5})
    SessionStore(store.session_key).delete()
    assert not Session.objects.filter(session_key=store.session_key).exists()
    assert caches["default"].get(store.cache_key) is None
    assert SessionStore(store.session_key).load() == {}


def test_signing_out_ends_the_session_for_every_copy_of_its_cookie():
    # given: the same session cookie in two browsers
    user = make_user(make_tenant())
    first = Client()
    sign_in(first, user)
    second = Client()
    second.cookies.load({k: v.value for k, v in first.cookies.items()})
    assert second.get(reverse("tenants:profile")).status_code == 200
    # when
    first.post(reverse("account_logout"))
    # then
    assert second.get(reverse("tenants:profile")).status_code == 302


def test_after_the_cache_failed_it_is_left_alone_for_a_while(monkeypatch):
    # given: the cache failed once
    store = stored({"seen": 6})
    cache = caches["default"]
    clock = [1000.0]
    monkeypatch.setattr(sessions.time, "monotonic", lambda: clock[0])
    with mock.patch.object(cache, "get", side_effect=Unreachable):
        assert SessionStore(store.session_key).load() == {"seen": 6}
    # when: the next requests within the retry time
    with mock.patch.object(cache, "get") as get, mock.patch.object(cache, "set") as put:
        clock[0] += sessions.CACHE_RETRY_SECONDS - 1
        assert SessionStore(store.session_key).load() == {"seen": 6}
        # then: straight to the database, no wait for an unreachable cache
        assert not get.called
        assert not put.called
    # and after it, the cache is tried again
    clock[0] += 2
    assert SessionStore(store.session_key).load() == {"seen": 6}
    assert sessions._Breaker.closed()
