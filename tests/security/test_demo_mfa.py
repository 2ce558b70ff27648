"""seed_demo enrols the demo partner accounts in TOTP with the secret the README gives."""

import io
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tenants.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from tenants.models import Tenant
from tests.factories import totp_code

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parent.parent.parent / "README.md"
PARTNER_ACCOUNTS = [
    "alex@fabrikam.example",
    "adele@fabrikam.example",
    "lee@fabrikam.example",
    "nina@fabrikam.example",
    "omar@fabrikam.example",
]


def test_every_demo_partner_account_has_totp_and_customers_do_not():
    call_command("seed_demo", stdout=io.StringIO())
    enrolled = set(
        Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list(
            "user__email", flat=True
        )
    )
    assert enrolled == set(PARTNER_ACCOUNTS)
    assert Tenant.objects.get(name="Fabrikam Partners").users.count() == len(PARTNER_ACCOUNTS)


def test_a_demo_partner_signs_in_with_the_readme_secret():
    # given
    call_command("seed_demo", stdout=io.StringIO())
    client = Client()
    # when
    first = client.post(
        reverse("account_login"), {"login": "alex@fabrikam.example", "password": DEMO_PASSWORD}
    )
    second = client.post(reverse("mfa_authenticate"), {"code": totp_code(DEMO_TOTP_SECRET)})
    # then
    assert first["Location"] == reverse("mfa_authenticate")
    assert second["Location"] == reverse("delegation:partner-overview")
    assert client.get(reverse("delegation:partner-overview")).status_code == 200


def test_a_demo_customer_admin_is_led_to_enrolment():
    call_command("seed_demo", stdout=io.StringIO())
    client = Client()
    client.post(
        reverse("account_login"), {"login": "megan@contoso.example", "password": DEMO_PASSWORD}
    )
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_index")


def test_the_readme_gives_the_secret_and_a_way_to_compute_a_code():
    text = README.read_text()
    assert "Two-factor authentication (demo)" in text
    assert DEMO_TOTP_SECRET in text
    assert "hmac" in text


def test_the_demo_secret_is_as_long_as_authenticator_apps_ask():
    # RFC 4226 asks for at least 128 bits; current libraries refuse fewer than 112
    import base64

    assert len(base64.b32decode(DEMO_TOTP_SECRET)) * 8 >= 160


def test_the_readme_command_prints_the_current_code():
    import shlex
    import subprocess
    import sys
    import time

    line = next(line for line in README.read_text().splitlines() if line.startswith("python3 -c "))
    args = shlex.split(line)
    now = time.time()
    result = subprocess.run(  # noqa: S603 - the README's own command
        [sys.executable, *args[1:]], capture_output=True, text=True, timeout=30, check=True
    )
    codes = {totp_code(DEMO_TOTP_SECRET, at=now + delta) for delta in (-30, 0, 30)}
    assert result.stdout.strip() in codes
