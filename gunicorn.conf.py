"""gunicorn for Partner Portal: ``gunicorn -c gunicorn.conf.py partnerportal.wsgi``.

Every value comes from the environment. Processes rather than threads (rendering holds
the interpreter lock), and no keep-alive, so each request goes to whichever process is
free (docs/benchmark/report.md). Each thread keeps its own database
connection: size PostgreSQL for ``WEB_CONCURRENCY x GUNICORN_THREADS`` per host.
"""

import gc
import os
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1))
threads = _int("GUNICORN_THREADS", 1)
# Recycle workers now and then, so a slow leak never grows into an outage.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10_000)
max_requests_jitter = max_requests // 10
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 0)
# A process accepts only what a free thread can serve; the rest waits in the listen queue
# for the first process to come free. Kept-alive idle connections need more places.
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000 if keepalive else threads)
# Trust X-Forwarded-* only from the proxy in front (comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Heartbeat files in memory (gunicorn's own advice), no control socket.
_SHM = "/dev/shm"  # noqa: S108  # nosec B108
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
control_socket_disable = True
# The application is loaded in each worker, after the fork: no connection is shared.
preload_app = False


def post_worker_init(worker: Any) -> None:
    """Resolve the URL patterns before the first request, then set everything loaded so
    far aside from the garbage collector: it lives as long as the process."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - populates the resolver
    gc.freeze()
    worker.log.info(
        "Worker %s: %d loaded objects set aside from garbage collection",
        worker.pid,
        gc.get_freeze_count(),
    )


def _json_to(stream: str) -> dict[str, str]:
    return {"class": "logging.StreamHandler", "formatter": "json", "stream": f"ext://sys.{stream}"}


# GUNICORN_ACCESS_LOG=off leaves access logging to the proxy.
access_log_on = os.environ.get("GUNICORN_ACCESS_LOG", "on").strip().lower() != "off"
accesslog = "-" if access_log_on else None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# JSON lines, like the application's: the access line carries method, path, status,
# duration and the X-Request-ID that the audit events of that request also carry.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "partnerportal.logging.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"error_console": _json_to("stderr"), "console": _json_to("stdout")},
    "loggers": {
        "gunicorn.error": {
            "level": loglevel.upper(),
            "handlers": ["error_console"],
            "propagate": False,
        },
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["console"] if access_log_on else [],
            "propagate": False,
        },
    },
}
