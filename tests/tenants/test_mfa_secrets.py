"""MFA secrets are encrypted at rest, still verify, rotate to a new key, and migrate."""

import importlib
import io
from types import SimpleNamespace

import pytest
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from tenants import mfa_secrets
from tenants.roles import Role
from tests.factories import (
    DEMO_TOTP_SECRET,
    PASSWORD,
    make_partner,
    make_partner_user,
    make_tenant,
    make_user,
    sign_in,
    totp_code,
)

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw_data(user, kind):
    """The authenticator's data as the database holds it, past allauth and the adapter."""
    return Authenticator.objects.filter(user=user, type=kind).values_list("data", flat=True).get()


def enrol_through_the_form(client):
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    return secret


def password_step(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")


def test_enrolment_stores_the_totp_secret_and_the_recovery_seed_encrypted(client, record_property):
    record_property("battery.attacks", 1)
    # given
    admin = make_user(make_tenant(), roles=[Role.GLOBAL_ADMIN], mfa=False)
    sign_in(client, admin, mfa=False)
    # when
    secret = enrol_through_the_form(client)
    # then
    totp = raw_data(admin, Authenticator.Type.TOTP)
    assert totp["secret"].startswith("fernet:")
    assert secret not in str(totp)
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    seed = raw_data(admin, Authenticator.Type.RECOVERY_CODES)["seed"]
    assert seed.startswith("fernet:")
    assert mfa_secrets.decrypt(seed) != seed
    assert not any(code in str(seed) for code in codes)


def test_a_partner_signs_in_with_totp_from_an_encrypted_secret():
    # given
    user = make_partner_user(make_partner())
    assert raw_data(user, Authenticator.Type.TOTP)["secret"].startswith("fernet:")
    client = Client()
    password_step(client, user)
    # when
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(DEMO_TOTP_SECRET)})
    # then
    assert response["Location"] == reverse("delegation:partner-overview")


def test_a_wrong_code_is_still_refused():
    user = make_partner_user(make_partner())
    client = Client()
    password_step(client, user)
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_signs_in_once(client):
    # given: recovery codes generated for a partner, then a fresh sign-in
    user = make_partner_user(make_partner())
    sign_in(client, user)
    client.post(reverse("mfa_generate_recovery_codes"))
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    assert raw_data(user, Authenticator.Type.RECOVERY_CODES)["seed"].startswith("fernet:")
    first, again = Client(), Client()
    # when
    password_step(first, user)
    response = first.post(reverse("mfa_authenticate"), {"code": codes[0]})
    password_step(again, user)
    reused = again.post(reverse("mfa_authenticate"), {"code": codes[0]})
    # then
    assert response["Location"] == reverse("delegation:partner-overview")
    assert reused.status_code == 200
    assert "_auth_user_id" not in again.session


def test_a_secret_written_before_encryption_is_read_as_it_is():
    assert mfa_secrets.decrypt(DEMO_TOTP_SECRET) == DEMO_TOTP_SECRET


def test_an_old_key_second_in_the_list_still_decrypts_and_rotation_moves_to_the_new():
    # given: a secret encrypted under the old key
    with override_settings(MFA_ENCRYPTION_KEYS=[OLD_KEY]):
        user = make_partner_user(make_partner())
    before = raw_data(user, Authenticator.Type.TOTP)["secret"]
    with override_settings(MFA_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        # then: the old key, second, still decrypts
        assert mfa_secrets.decrypt(before) == DEMO_TOTP_SECRET
        # when
        out = io.StringIO()
        call_command("rotate_mfa_key", stdout=out)
    # then: the new key alone reads it, the old one alone no longer does
    after = raw_data(user, Authenticator.Type.TOTP)["secret"]
    assert after != before
    assert "1 authenticators" in out.getvalue()
    with override_settings(MFA_ENCRYPTION_KEYS=[NEW_KEY]):
        assert mfa_secrets.decrypt(after) == DEMO_TOTP_SECRET
        client = Client()
        password_step(client, user)
        response = client.post(reverse("mfa_authenticate"), {"code": totp_code(DEMO_TOTP_SECRET)})
        assert response["Location"] == reverse("delegation:partner-overview")
    with override_settings(MFA_ENCRYPTION_KEYS=[OLD_KEY]), pytest.raises(ImproperlyConfigured):
        mfa_secrets.decrypt(after)


def test_rotation_encrypts_a_secret_still_in_clear():
    user = make_user(make_tenant(), mfa=False)
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": DEMO_TOTP_SECRET}
    )
    call_command("rotate_mfa_key", stdout=io.StringIO())
    stored = raw_data(user, Authenticator.Type.TOTP)["secret"]
    assert stored.startswith("fernet:")
    assert mfa_secrets.decrypt(stored) == DEMO_TOTP_SECRET


def test_the_migration_encrypts_rows_in_clear_once():
    # given: rows written in clear, as before this release
    migration = importlib.import_module("tenants.migrations.0005_encrypt_mfa_secrets")
    user = make_user(make_tenant(), mfa=False)
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": DEMO_TOTP_SECRET}
    )
    Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": "ab" * 40, "used_mask": 3, "migrated_codes": ["12345678"]},
    )
    key = Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Key", "credential": {}}
    )
    editor = SimpleNamespace(connection=connection)
    # when
    migration.encrypt_secrets(apps, editor)
    first = {row["type"]: row["data"] for row in Authenticator.objects.values("type", "data")}
    migration.encrypt_secrets(apps, editor)
    second = {row["type"]: row["data"] for row in Authenticator.objects.values("type", "data")}
    # then
    assert first == second  # already encrypted: left alone
    assert first["totp"]["secret"].startswith("fernet:")
    assert mfa_secrets.decrypt(first["totp"]["secret"]) == DEMO_TOTP_SECRET
    codes = first["recovery_codes"]
    assert mfa_secrets.decrypt(codes["seed"]) == "ab" * 40
    assert [mfa_secrets.decrypt(c) for c in codes["migrated_codes"]] == ["12345678"]
    assert codes["used_mask"] == 3
    assert Authenticator.objects.values_list("data", flat=True).get(pk=key.pk) == {
        "name": "Key",
        "credential": {},
    }


def test_a_key_that_is_not_a_fernet_key_is_refused_clearly():
    with override_settings(MFA_ENCRYPTION_KEYS=["not-a-key"]), pytest.raises(ImproperlyConfigured):
        mfa_secrets.encrypt("x")
