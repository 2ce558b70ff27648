"""Embedded default for one machine: SQLite, eager Celery, email to the console."""

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, env_bool

DEBUG = env_bool("DEBUG", True)
if not ALLOWED_HOSTS:
    ALLOWED_HOSTS[:] = ["127.0.0.1", "localhost", "[::1]"]
