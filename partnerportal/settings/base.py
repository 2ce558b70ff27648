"""Settings shared by every environment; each value that varies comes from the environment."""

import base64
import hashlib
import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from partnerportal.addresses import split_host_port

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read an environment variable; empty counts as unset."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from exc


def nameservers(name: str) -> list[str]:
    """A comma-separated list of resolver addresses, checked (empty: none)."""
    values = [v.strip() for v in (env(name, "") or "").split(",") if v.strip()]
    for value in values:
        try:
            split_host_port(value, 53)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name} takes addresses such as 192.0.2.53 or 192.0.2.53:5353, not {value!r}."
            ) from exc
    return values


def prepare_threshold(name: str) -> int | None:
    """Runs of a statement on a connection before it is prepared: a count (default 5;
    0 prepares on the first run) or "off"."""
    if (env(name) or "").strip().lower() == "off":
        return None
    value = env_int(name, 5)
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be 0 or more, or off, not {value}.")
    return value


SECRET_KEY = env("SECRET_KEY", "insecure-local-key-only-for-development-0123456789abcdef")
ALLOWED_HOSTS = [h.strip() for h in (env("ALLOWED_HOSTS", "") or "").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in (env("CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()
]

# The proxies in front (partnerportal/clientip.py): only their X-Forwarded-For,
# X-Forwarded-Proto and X-Request-ID are believed. TRUSTED_PROXIES: the networks they
# connect from (CIDR, comma-separated); TRUSTED_PROXY_COUNT: how many of them append to
# X-Forwarded-For in turn (the client is that many entries from the right). With the
# list empty and a count above 0, every peer is taken for a proxy. Default: none.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}.")
TRUSTED_PROXIES = [n.strip() for n in (env("TRUSTED_PROXIES", "") or "").split(",") if n.strip()]
for _network in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must be addresses or networks (CIDR), not {_network!r}."
        ) from exc

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "bootstrap",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "csp",
    "widget_tweaks",
    "tenants",
    "offers",
    "delegation",
    "audit",
]

MIDDLEWARE = [
    # First: the client's address, and no proxy header from a peer that is not a proxy.
    "partnerportal.clientip.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "audit.context.RequestContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "tenants.middleware.MustChangePasswordMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "partnerportal.middleware.MFARequiredMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: a view's 404 becomes the portal's page, with its reason when it may say one.
    "partnerportal.refusals.RefusalPageMiddleware",
]

ROOT_URLCONF = "partnerportal.urls"
WSGI_APPLICATION = "partnerportal.wsgi.application"

# Benchmark only: the /_baseline/ page and an X-Query-Count header on every response.
BENCHMARK_ENDPOINTS = env_bool("BENCHMARK_ENDPOINTS")
if BENCHMARK_ENDPOINTS:
    MIDDLEWARE.insert(0, "partnerportal.benchmark.QueryCountMiddleware")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.portal",
            ],
        },
    },
    {
        # Mail subjects and plain-text bodies: the same templates, never HTML-escaped
        # (tenants.mail.render_email); HTML bodies use the engine above.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "NAME": "text",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
    {
        # Whole pages of many repeated rows (docs/decisions/0002-templates.md), named
        # "*.jinja" and rendered with ``using="jinja2"``.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "partnerportal.jinja.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}") or "",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement that a connection has run
    # DATABASE_PREPARE_THRESHOLD times prepared there: planned once, not on every run
    # (partnerportal/db.py says where not). "off" for a pooler that cannot keep prepared
    # statements (PgBouncer in transaction mode before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=prepare_threshold("DATABASE_PREPARE_THRESHOLD")
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads (runserver, the embedded worker) share one file: wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tenants.User"

AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, loading a request's user with what it needs in one query.
    "partnerportal.auth.ModelBackend",
    "partnerportal.auth.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

TIME_ZONE = "UTC"
# One way to write a date for people: partnerportal/formats/en/formats.py.
FORMAT_MODULE_PATH = ["partnerportal.formats"]
# The portal speaks English only: Django skips its translation machinery (a lookup per
# translated string, every date and every label of allauth's pages).
USE_I18N = False

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
CSRF_COOKIE_HTTPONLY = True
# Every script and style comes from a static file: no inline code is allowed anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

REDIS_URL = env("REDIS_URL")
# Redis holds only what may be lost: rate-limit counts and cached values. A short
# timeout, so a frozen Redis holds no request for long; when it cannot be reached the
# cache fails open (partnerportal/cache.py). A per-process cache must not stand in for
# it: each worker would count limits on its own.
REDIS_TIMEOUT = 0.25
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "partnerportal.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The offer link's limits (django-ratelimit): an unreachable cache lets requests through.
RATELIMIT_FAIL_OPEN = True
# Its "ip" key: the client behind our proxies, as allauth's limits count it.
RATELIMIT_IP_META_KEY = "partnerportal.clientip.client_ip"

# Sessions live in the database, so any number of web hosts can serve a user, and none
# depends on Redis.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Accounts (django-allauth) -------------------------------------------------------
ACCOUNT_ADAPTER = "tenants.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "tenants.forms.OrganisationSignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# The password or the second factor: never a code sent by mail, so a session plus a
# mailbox cannot stand in for the account's owner.
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Partner Portal] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("HTTP_PROTOCOL", "http") or "http"
# allauth's limits and sessions take the client from partnerportal/clientip.py (the
# adapter's get_client_ip), so ALLAUTH_TRUSTED_PROXY_COUNT stays 0: set, allauth would
# read X-Forwarded-For itself, even from peers that are not our proxies.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "Partner Portal"
# Adding or removing an authenticator asks for a recent sign-in (allauth's default).
MFA_REAUTHENTICATION_REQUIRED = True
# TOTP secrets and recovery-code seeds are encrypted in the database (tenants/mfa_secrets.py).
MFA_ADAPTER = "tenants.adapters.MFAAdapter"
# MFA_ENCRYPTION_KEY: Fernet keys separated by commas; the first encrypts, all decrypt
# (rotation: put the new key first, run ``manage.py rotate_mfa_key``, then drop the old).
# Without it, a key derived from SECRET_KEY, so the local demo needs nothing set: not
# for production, which requires the variable (a new SECRET_KEY would lose every secret).
MFA_ENCRYPTION_KEYS = [
    k.strip() for k in (env("MFA_ENCRYPTION_KEY", "") or "").split(",") if k.strip()
] or [
    base64.urlsafe_b64encode(
        hashlib.sha256(b"partnerportal.mfa-encryption:" + (SECRET_KEY or "").encode()).digest()
    ).decode("ascii")
]

# --- Email ---------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Partner Portal <portal@partnerportal.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", "") or ""
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# The public offer link, per client address: enough for people, too few to guess tokens.
# Addresses a partner may email its offers to in 24 hours, over all its offers.
OFFER_MAIL_DAILY_CAP = env_int("OFFER_MAIL_DAILY_CAP", 200)
OFFER_LINK_RATE_LIMIT = env("OFFER_LINK_RATE_LIMIT", "60/m") or "60/m"
OFFER_ANSWER_RATE_LIMIT = env("OFFER_ANSWER_RATE_LIMIT", "20/m") or "20/m"

# Absolute links in mail and offer texts.
# Locally it follows PORT (``PORT=8101 make run``); production requires it.
PORTAL_BASE_URL = (env("PORTAL_BASE_URL") or f"http://127.0.0.1:{env('PORT', '8000')}").rstrip("/")

# Domain verification looks up TXT records through these resolvers: "ip" or "ip:port"
# ("[v6]:port" for IPv6), comma-separated; empty means the system's own (resolv.conf).
DNS_NAMESERVERS = nameservers("DNS_NAMESERVERS")
# Seconds one lookup may take in all, retries included, before it counts as failed.
DNS_LIFETIME = float(env("DNS_LIFETIME", "3") or "3")
# "Verify" clicks per user: each one asks DNS and may hold a web process for DNS_LIFETIME.
DOMAIN_VERIFY_RATE_LIMIT = env("DOMAIN_VERIFY_RATE_LIMIT", "10/m") or "10/m"

# --- Celery --------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Late acks (Celery's default is early) only where a task says it is idempotent.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# A broker that is down must delay mail, never a request: the publish after a commit
# tries once, briefly, and gives up (the periodic sweep delivers what is left).
CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 0.5,
    "socket_timeout": 0.5,
    "max_retries": 0,
    # Longer than any task's run, so a late-acked task is not run twice at once.
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "outbox-sweep": {
        "task": "tenants.tasks.outbox_sweep",
        "schedule": 60.0,
        # Sweeps queued while no worker ran are dropped, not run back to back.
        "options": {"expires": 55},
    },
    "relationships-expire": {
        "task": "delegation.tasks.relationships_expire",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "relationship-reminders": {
        "task": "delegation.tasks.relationship_reminders",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
