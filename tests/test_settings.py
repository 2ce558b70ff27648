"""Production settings: refuse to start half-configured, and pass ``check --deploy``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "partnerportal.settings.production",
    "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-8d3f9a71c2",
    "DATABASE_URL": "sqlite:///" + str(ROOT / "unused-check.sqlite3"),
    "ALLOWED_HOSTS": "portal.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/5",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "MFA_ENCRYPTION_KEY": "dGVzdC1vbmx5LW1mYS1lbmNyeXB0aW9uLWtleS0wMDA=",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_nothing_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "DATABASE_URL",
        "ALLOWED_HOSTS",
        "REDIS_URL",
        "PORTAL_BASE_URL",
        "MFA_ENCRYPTION_KEY",
    ],
)
def test_production_settings_refuse_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_locally_links_follow_the_port_the_portal_runs_on():
    env = {"DJANGO_SETTINGS_MODULE": "partnerportal.settings.local", "PORT": "8101"}
    code = "from django.conf import settings; print(settings.PORTAL_BASE_URL)"
    result = run_manage("shell", "-c", code, env=env)
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8101", result.stderr


def test_locally_the_mfa_key_is_derived_from_the_secret_key():
    code = (
        "from cryptography.fernet import Fernet; from django.conf import settings; "
        "[key] = settings.MFA_ENCRYPTION_KEYS; Fernet(key); print(key)"
    )
    keys = set()
    for secret in ("first-local-secret-key", "second-local-secret-key", "first-local-secret-key"):
        env = {"DJANGO_SETTINGS_MODULE": "partnerportal.settings.local", "SECRET_KEY": secret}
        result = run_manage("shell", "-c", code, env=env)
        assert result.returncode == 0, result.stderr
        keys.add(result.stdout.strip().splitlines()[-1])
    assert len(keys) == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [("TRUSTED_PROXIES", "10.0.0.0/8,not-a-network"), ("TRUSTED_PROXY_COUNT", "-1")],
)
def test_a_malformed_proxy_setting_refuses_to_start(name, value):
    env = {"DJANGO_SETTINGS_MODULE": "partnerportal.settings.local", name: value}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert name in result.stderr


def test_trusted_proxies_are_read_comma_separated():
    env = {
        "DJANGO_SETTINGS_MODULE": "partnerportal.settings.local",
        "TRUSTED_PROXIES": " 10.0.0.0/24, 2001:db8::1 ,",
    }
    code = "from django.conf import settings; print(settings.TRUSTED_PROXIES)"
    result = run_manage("shell", "-c", code, env=env)
    assert result.stdout.strip().splitlines()[-1] == "['10.0.0.0/24', '2001:db8::1']"
