"""gunicorn for Partner Portal: ``gunicorn -c gunicorn.conf.py partnerportal.wsgi``.

Every value comes from the environment, so one file serves every host.

Worker model: ``gthread``, by default two processes per core (``WEB_CONCURRENCY``) of one
thread each (``GUNICORN_THREADS``), and no keep-alive (``GUNICORN_KEEPALIVE=0``). Django
on CPython is CPU-bound while it renders: a second thread in a process mostly waits for
the first one's interpreter lock, while a second process per core runs whenever the
other waits on PostgreSQL or Redis. A connection kept alive ties its next request to the
process that served the last one, busy or not; closed, each request comes on a
connection of its own, which whichever process accepts first takes. The proxy in front
keeps the browsers' connections alive. ``make bench`` measured both on two cores:
2 processes x 4 threads with keep-alive gave the pages 96-124 requests/s at a p95 of
55-70 ms; 4 x 1 without it, 144-180 at 39-50 ms.

A process takes a connection only when a thread of its own is free for it
(``worker_connections`` = threads, without keep-alive): gunicorn's default, 1,000, lets a
busy process accept a connection that then waits behind the request in hand while
another process idles. Left in the listening socket's queue instead, it goes to the first
process to come free. ``make bench``, offer acceptances on two cores, 4 x 1: 134
requests/s at a p95 of 53 ms with the default, 165 at 32 ms with one connection each.

A long response (the CSV export of a large audit log) holds its process until it ends:
``gthread`` still beats for it, so ``timeout`` does not cut it off, but where exports are
frequent give the host more processes or threads. Each thread keeps its own persistent
database connection (``CONN_MAX_AGE``, with health checks), so a host holds at most
``WEB_CONCURRENCY x GUNICORN_THREADS`` connections: size PostgreSQL (or a pooler) for
that times the number of hosts.
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
# With keep-alive, idle kept connections need places of their own: gunicorn's default.
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000 if keepalive else threads)
# Trust X-Forwarded-* only from the proxy in front (comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Nothing on the host's disk: heartbeat files in memory, no control socket. /dev/shm is
# where gunicorn's heartbeat belongs (its own advice); nothing secret is written there.
_SHM = "/dev/shm"  # noqa: S108  # nosec B108
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
control_socket_disable = True
# The application is loaded in each worker, after the fork: no connection is shared.
preload_app = False


def post_worker_init(worker: Any) -> None:
    """Once a worker has loaded the application: resolve the URL patterns (else the first
    request does), then set everything loaded so far aside from the garbage collector.
    Those objects live as long as the process; a full collection otherwise walks all of
    them each time (measured in one process over 3,600 benchmark requests: full
    collections of 60 ms each, 14 ms with the loaded objects set aside)."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - populates the resolver
    gc.freeze()
    worker.log.info(
        "Worker %s: %d loaded objects set aside from garbage collection",
        worker.pid,
        gc.get_freeze_count(),
    )


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
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        },
    },
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
