"""Sessions: a new id at sign-in, ended by sign-out and by disabling; CSRF on every change."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tenants.roles import Role
from tenants.services import user_set_enabled
from tests.factories import PASSWORD, make_tenant, make_user, sign_in, totp_code

pytestmark = pytest.mark.django_db

COOKIE = settings.SESSION_COOKIE_NAME


def session_cookie(client: Client) -> str:
    return client.cookies[COOKIE].value


def client_with_cookie(value: str) -> Client:
    other = Client()
    other.cookies[COOKIE] = value
    return other


def test_the_session_id_changes_at_sign_in():
    # given: an anonymous session that already exists
    client = Client()
    session = client.session
    session["seen"] = True
    session.save()
    before = session_cookie(client)
    user = make_user(make_tenant())
    # when
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    # then
    assert response.status_code == 302
    after = session_cookie(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client_with_cookie(before).get(reverse("tenants:profile")).status_code == 302
    assert client_with_cookie(after).get(reverse("tenants:profile")).status_code == 200


def test_the_session_id_changes_again_after_the_second_factor():
    # given
    client = Client()
    admin = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN])
    client.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})
    between = session_cookie(client)
    # when
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    # then
    assert response.status_code == 302
    assert session_cookie(client) != between
    assert client_with_cookie(between).get(reverse("tenants:profile")).status_code == 302


def test_signing_out_ends_the_session():
    # given
    client = Client()
    user = make_user(make_tenant())
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    old = session_cookie(client)
    assert client_with_cookie(old).get(reverse("tenants:profile")).status_code == 200
    # when
    response = client.post(reverse("account_logout"))
    # then
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=old).exists()
    replay = client_with_cookie(old).get(reverse("tenants:profile"))
    assert replay.status_code == 302
    assert replay["Location"].startswith(reverse("account_login"))


def test_disabling_a_user_ends_all_its_sessions(django_capture_on_commit_callbacks):
    # given: the same user signed in on two devices
    user = make_user(make_tenant())
    devices = [Client(), Client()]
    for device in devices:
        device.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
        assert device.get(reverse("tenants:profile")).status_code == 200
    keys = [session_cookie(d) for d in devices]
    # when
    with django_capture_on_commit_callbacks(execute=True):
        user_set_enabled(user=user, enabled=False)
    # then
    assert not Session.objects.filter(session_key__in=keys).exists()
    for device in devices:
        assert device.get(reverse("tenants:profile")).status_code == 302


# --- CSRF ---------------------------------------------------------------------------------


def test_sign_in_sign_up_and_sign_out_refuse_a_post_without_csrf_token():
    # given
    user = make_user(make_tenant())
    client = Client(enforce_csrf_checks=True)
    # then
    login = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert login.status_code == 403
    signup = client.post(
        reverse("account_signup"),
        {
            "organisation": "X",
            "domain": "x.example",
            "first_name": "Al",
            "last_name": "Xu",
            "email": "a@x.example",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert signup.status_code == 403
    sign_in(client, user)
    assert client.post(reverse("account_logout")).status_code == 403
    assert client.get(reverse("tenants:profile")).status_code == 200  # still signed in


def test_admin_center_pages_refuse_a_post_without_csrf_token():
    # given
    customer = make_tenant()
    client = Client(enforce_csrf_checks=True)
    sign_in(client, make_user(customer, roles=[Role.GLOBAL_ADMIN]))
    # then
    overview = reverse("tenants:admin-center", args=[customer.pk])
    assert client.post(overview).status_code == 403
    assert client.post(reverse("tenants:security", args=[customer.pk]), {}).status_code == 403
    customer.refresh_from_db()
    assert customer.require_admin_mfa is True


def test_a_post_with_the_token_from_the_page_is_accepted():
    # given
    customer = make_tenant()
    client = Client(enforce_csrf_checks=True)
    sign_in(client, make_user(customer, roles=[Role.GLOBAL_ADMIN]))
    url = reverse("tenants:security", args=[customer.pk])
    page = client.get(url)
    token = page.context["csrf_token"]
    # when
    response = client.post(url, {"csrfmiddlewaretoken": str(token)})
    # then
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.require_admin_mfa is False


def test_re_enabling_a_user_does_not_revive_its_old_sessions(django_capture_on_commit_callbacks):
    # given
    user = make_user(make_tenant())
    device = Client()
    device.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        user_set_enabled(user=user, enabled=False)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        user_set_enabled(user=user, enabled=True)
    # then
    assert device.get(reverse("tenants:profile")).status_code == 302


def test_no_view_is_exempt_from_csrf():
    from django.urls import URLPattern, URLResolver, get_resolver

    def callbacks(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from callbacks(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    exempt = [
        route
        for route, view in callbacks(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False)
    ]
    assert exempt == []
