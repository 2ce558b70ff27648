"""Settings for the test suite: the local defaults, made fast and quiet."""

from .base import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests that need a real broker say so (marker ``redis``) and configure it themselves.
CELERY_TASK_ALWAYS_EAGER = True
PORTAL_BASE_URL = "http://testserver"
# Nothing in the tests asks the real DNS: a test that verifies a domain runs its own
# server (the ``dns`` fixture); any other lookup goes to a port nobody answers, briefly.
DNS_NAMESERVERS = ["127.0.0.1:9"]
DNS_LIFETIME = 0.3
