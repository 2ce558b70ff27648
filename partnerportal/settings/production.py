"""Production: everything that matters comes from the environment, and nothing is guessed."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, env, env_bool, env_int

# PORTAL_BASE_URL: the links in mail and offer texts must not point at a guess.
# REDIS_URL too: the rate limits of sign-in, password reset, MFA codes and the offer link
# count in the cache, and a per-process cache would let each worker count on its own.
# MFA_ENCRYPTION_KEY: the TOTP secrets' key, never derived from SECRET_KEY here.
_REQUIRED = (
    "SECRET_KEY",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "REDIS_URL",
    "PORTAL_BASE_URL",
    "MFA_ENCRYPTION_KEY",
)
_missing = [name for name in _REQUIRED if not env(name)]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(_missing) + "."
    )

# Behind the proxy: TRUSTED_PROXIES (its networks, comma-separated) and/or
# TRUSTED_PROXY_COUNT (base.py), so that the rate limits and the audit log see each
# client's address, and X-Forwarded-Proto and X-Request-ID are believed from it alone.
DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Read only from a trusted proxy: partnerportal.clientip drops it from anyone else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

# Probes from the load balancer may come over plain HTTP: answer them, do not redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# One JSON object per log line, with the request id that the audit events also carry.
LOGGING["formatters"]["json"] = {
    "()": "partnerportal.logging.JsonFormatter",
    "fmt": "%(levelname)s %(name)s %(message)s",
}
LOGGING["handlers"]["console"]["formatter"] = "json"
# Celery's worker and beat log through the same JSON handler instead of their own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
