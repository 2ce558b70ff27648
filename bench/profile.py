"""Where a page's time goes: SQL against everything else, in one process.

``python -m bench.profile [--page NAME] [--repeat N] [--top K [--sort tottime]
[--callers PATTERN]]`` runs
the benchmark's pages (``bench.pages``) through Django's full request handling, with the
settings and database of a benchmark run (``make bench`` prints them; by default the
largest size), and prints for each page the mean time of a request, of its SQL and of the
rest (views, templates, middleware). With ``--top`` it adds the functions that cost the
most (cProfile: by time in and under each, or with ``--sort tottime`` in each alone), to
see which template or helper to make cheaper; ``--callers`` names who calls a function.

It measures one request at a time with no load generator, so its figures are the cost
of a page, not its latency under load: ``make bench`` gives those.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from typing import Any

from bench.run import BENCH_REDIS_URL, HOST, portal_env


def _environment(database_url: str, redis_url: str) -> None:
    secret_key = os.environ.get("SECRET_KEY", "bench-profile-" + "x" * 40)
    os.environ.update(portal_env(database_url, redis_url, secret_key))
    # The test client speaks plain HTTP.
    os.environ["SECURE_SSL_REDIRECT"] = "false"


class SqlTimer:
    """Counts the statements of the default connection and the time spent in them."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def run(args: argparse.Namespace) -> None:
    _environment(args.database_url, args.redis_url)
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from bench.pages import BASELINE, PAGES, Data
    from bench.prepare import session_cookie

    data = Data()
    pages = [BASELINE, *PAGES]
    if args.page:
        pages = [p for p in pages if args.page.lower() in p.name.lower()]
    clients: dict[str, Client] = {}
    print(f"{'page':32} {'ms/request':>10} {'sql ms':>8} {'other ms':>8} {'queries':>7}")
    for page in pages:
        if page.method != "GET":
            print(f"{page.name:32} (a POST: measured by make bench only)")
            continue
        for session in [page.session] if not page.baseline else ["agent", "customer_admin"]:
            if session not in clients:
                client = Client(HTTP_HOST=HOST)
                name, _, value = session_cookie(data.user(session)).partition("=")
                client.cookies[name] = value
                clients[session] = client
            client = clients[session]
            path = page.resolve(data)["path"]
            for _ in range(3):  # warm-up: templates, connections, caches
                response = client.get(path, secure=True)
            if response.status_code != 200:
                print(f"{page.name:32} answered {response.status_code}")
                continue
            timer = SqlTimer()
            profiler = cProfile.Profile() if args.top else None
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                for _ in range(args.repeat):
                    client.get(path, secure=True)
                if profiler:
                    profiler.disable()
                total = time.perf_counter() - started
            each = total / args.repeat * 1000
            sql = timer.seconds / args.repeat * 1000
            label = page.name if not page.baseline else f"baseline ({session})"
            print(
                f"{label:32} {each:10.2f} {sql:8.2f} {each - sql:8.2f} "
                f"{timer.count // args.repeat:7d}"
            )
            if profiler:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
                stats.print_stats(args.top)
                if args.callers:
                    stats.print_callers(args.callers)
                print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", help="Only the pages whose name contains this.")
    parser.add_argument("--repeat", type=int, default=50, help="Requests per page.")
    parser.add_argument("--top", type=int, default=0, help="Print the K costliest functions.")
    parser.add_argument(
        "--sort",
        default="cumulative",
        choices=["cumulative", "tottime"],
        help="With --top: order by time in and under a function, or in it alone.",
    )
    parser.add_argument(
        "--callers",
        metavar="PATTERN",
        help="With --top: also who calls the functions whose name matches PATTERN.",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_scale"
        ),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", BENCH_REDIS_URL))
    run(parser.parse_args())


if __name__ == "__main__":
    main()
