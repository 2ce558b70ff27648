"""Rate limits on sign-in, password reset, MFA codes and the offer link."""

import pytest
from allauth.account import app_settings as account_settings
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from partnerportal.ratelimit import ratelimit
from tenants.models import OutboundEmail
from tenants.roles import Role
from tests.factories import PASSWORD, make_partner, make_partner_user, make_tenant, make_user

pytestmark = pytest.mark.django_db


def test_every_configured_limit_is_one_allauth_knows():
    # a misspelt key would silently configure nothing
    known = {
        "change_password",
        "change_phone",
        "manage_email",
        "reset_password",
        "reauthenticate",
        "reset_password_from_key",
        "signup",
        "login",
        "request_login_code",
        "login_failed",
        "confirm_email",
        "verify_phone",
    }
    assert set(settings.ACCOUNT_RATE_LIMITS) <= known
    assert {"login", "login_failed", "reset_password", "signup"} <= set(
        account_settings.RATE_LIMITS
    )


def test_sign_in_is_refused_after_five_wrong_passwords_even_with_the_right_one(client):
    # given
    user = make_user(make_tenant())
    for _ in range(5):
        response = client.post(reverse("account_login"), {"login": user.email, "password": "no"})
        assert response.status_code == 200
    # when
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    # then
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_mfa_codes_are_limited_too(client):
    # given: a partner admin past its password, at the second-factor stage
    user = make_partner_user(make_partner(), roles=[Role.GLOBAL_ADMIN])
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    # when
    messages = []
    for _ in range(6):
        response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
        messages.append(response.content.decode())
    # then
    assert "Incorrect code" in messages[0]
    assert "Too many failed login attempts" in messages[-1]
    assert "_auth_user_id" not in client.session


def test_password_reset_requests_for_one_address_are_limited(client):
    # given
    user = make_user(make_tenant())
    # when
    codes = [
        client.post(reverse("account_reset_password"), {"email": user.email}).status_code
        for _ in range(6)
    ]
    # then
    assert codes[:5] == [302] * 5
    assert codes[5] == 429
    assert OutboundEmail.objects.filter(to=user.email).count() == 5


def test_the_django_admin_sign_in_is_the_portals():
    # the admin's own form would bypass MFA and the limits: it sends people to allauth
    response = Client().get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fdjango-admin%2F"
    post = Client().post("/django-admin/login/", {"username": "x", "password": "y"})
    assert post.status_code == 302
    assert post["Location"].startswith(reverse("account_login"))


# --- the decorator for the offer link -------------------------------------------------------


@ratelimit(key="ip", rate="3/m")
def limited_view(request):
    return HttpResponse("ok")


def call(ip: str):
    request = RequestFactory().get("/offer/token/", REMOTE_ADDR=ip)
    return limited_view(request)


def test_the_decorator_allows_the_rate_then_answers_429_per_address():
    # when
    codes = [call("192.0.2.1").status_code for _ in range(4)]
    # then
    assert codes == [200, 200, 200, 429]
    assert call("192.0.2.2").status_code == 200  # another address has its own count
    refused = call("192.0.2.1")
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert b"Too many requests" in refused.content


def test_the_decorator_ignores_a_forged_forwarded_for_header():
    for n in range(4):
        request = RequestFactory().get(
            "/offer/token/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
        response = limited_view(request)
    assert response.status_code == 429


@pytest.mark.redis
@pytest.mark.parametrize(
    "backend",
    [
        "partnerportal.cache.FailOpenRedisCache",  # production's
        "django.core.cache.backends.redis.RedisCache",
    ],
)
def test_the_decorator_counts_in_redis_as_production_does(settings, backend):
    # given: the cache production uses (Redis), database 5 of the test server
    import os

    from django.core.cache import caches

    url = os.environ.get("SECURITY_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": url}}
    caches["default"].clear()
    try:
        # when
        codes = [call("192.0.2.77").status_code for _ in range(4)]
        # then
        assert codes == [200, 200, 200, 429]
    finally:
        caches["default"].clear()


def test_the_decorator_lets_requests_through_when_the_cache_is_unreachable(settings, caplog):
    # given: a Redis nobody listens on
    from django.core.cache import caches

    from partnerportal.cache import FailOpenRedisCache

    settings.CACHES = {
        "default": {
            "BACKEND": "partnerportal.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    FailOpenRedisCache.down_until = 0.0
    try:
        # when
        codes = [call("192.0.2.78").status_code for _ in range(5)]
    finally:
        FailOpenRedisCache.down_until = 0.0
        caches["default"].close()
    # then
    assert codes == [200] * 5
    assert "Redis unreachable" in caplog.text


# --- clients behind our proxy ------------------------------------------------------------

PROXY = "10.0.0.5"


def behind_proxy(client_address: str, proxy: str = PROXY) -> Client:
    return Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=client_address)


@pytest.mark.parametrize(("trusted", "separate"), [(["10.0.0.0/24"], True), ([], False)])
def test_clients_behind_our_proxy_have_sign_in_limits_of_their_own(
    settings, trusted, separate, record_property
):
    record_property("battery.attacks", 1)
    # given: failed sign-ins counted per address, three a minute
    settings.TRUSTED_PROXIES = trusted
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    user = make_user(make_tenant())
    first, second = behind_proxy("198.51.100.1"), behind_proxy("198.51.100.2")
    for n in range(3):
        first.post(reverse("account_login"), {"login": f"nobody{n}@x.example", "password": "no"})
    # when
    refused = first.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    other = second.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    # then: the first client is held back; the second only when the proxy is not trusted
    assert "Too many failed login attempts" in refused.content.decode()
    assert ("_auth_user_id" in second.session) is separate
    assert (other.status_code == 302) is separate


def test_a_forged_forwarded_for_does_not_escape_the_sign_in_limit(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    user = make_user(make_tenant())
    for n in range(3):
        forged = behind_proxy(f"198.51.100.{n}", proxy="203.0.113.9")
        forged.post(reverse("account_login"), {"login": f"nobody{n}@x.example", "password": "no"})
    response = behind_proxy("198.51.100.99", proxy="203.0.113.9").post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.parametrize(("trusted", "separate"), [(["10.0.0.0/24"], True), ([], False)])
def test_clients_behind_our_proxy_have_offer_link_limits_of_their_own(
    settings, trusted, separate, record_property
):
    record_property("battery.attacks", 1)
    # given
    settings.TRUSTED_PROXIES = trusted
    settings.OFFER_LINK_RATE_LIMIT = "3/h"
    first, second = behind_proxy("198.51.100.1"), behind_proxy("198.51.100.2")
    codes = [first.get(reverse("offers:public", args=["x" * 43])).status_code for _ in range(4)]
    # when
    other = second.get(reverse("offers:public", args=["y" * 43]))
    # then
    assert codes == [404, 404, 404, 429]
    assert (other.status_code == 404) is separate


def test_a_forged_forwarded_for_does_not_escape_the_offer_link_limit(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.OFFER_LINK_RATE_LIMIT = "3/h"
    codes = [
        behind_proxy(f"198.51.100.{n}", proxy="203.0.113.9")
        .get(reverse("offers:public", args=["x" * 43]))
        .status_code
        for n in range(4)
    ]
    assert codes == [404, 404, 404, 429]
