"""Where the optional services of the suite are, and whether they answer."""

import os
import shutil
import socket
from urllib.parse import urlparse

REDIS_URL = (
    os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
)
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def tcp_reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def redis_available() -> tuple[bool, str]:
    if tcp_reachable(REDIS_URL, 6379):
        return True, ""
    return False, f"Redis is not reachable at {REDIS_URL}"


def browser_available() -> tuple[bool, str]:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return False, f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False, "the playwright package is not installed"
    return True, ""
