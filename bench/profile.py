"""Where a page's time goes: SQL against everything else, in one process.

``python -m bench.profile [--page NAME] [--repeat N] [--top K [--sort tottime]
[--callers PATTERN]]`` runs
the benchmark's pages (``bench.pages``) through Django's full request handling, with the
settings and database of a benchmark run (``make bench`` prints them; by default the
largest size), and prints for each page the mean time of a request, of its SQL and of the
rest (views, templates, middleware). With ``--top`` it adds the functions that cost the
most (cProfile: by time in and under each, or with ``--sort tottime`` in each alone), to
see which template or helper to make cheaper; ``--callers`` names who calls a function.

The offer acceptance (a POST) is measured as the benchmark sends it: each request is
another customer admin's first answer to an open offer of the partner (``--repeat`` of
them, each with a session of its own), with the CSRF cookie and token a consent page
gives. An acceptance changes the data for good, like a run of ``make bench``.

It measures one request at a time with no load generator, so its figures are the cost
of a page, not its latency under load: ``make bench`` gives those.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from collections.abc import Callable
from functools import partial
from http.cookies import SimpleCookie
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
            _measure(args, page.name, _posts(data, page, args.repeat))
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
            label = page.name if not page.baseline else f"baseline ({session})"
            _measure(args, label, [partial(client.get, path, secure=True)] * args.repeat)


POOL = 100


def _posts(data: Any, page: Any, count: int) -> list[Callable[[], Any]]:
    """One request for each of ``count`` acceptors (three more warm up first), as ``make
    bench`` sends them: each its own session, a CSRF cookie and token from the consent
    page, the form's fields. At least ``POOL`` acceptors are prepared whatever ``count``,
    so that ``bench.instructions`` (which subtracts a short run from a longer one) counts
    the requests, not their preparation."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from bench.prepare import session_cookies

    pool = data.acceptors(max(count, POOL) + 3)
    if len(pool) < count + 3:
        raise SystemExit(
            f"Only {len(pool)} customers can accept an offer: seed more, or lower --repeat."
        )
    cookies = session_cookies([user for user, _ in pool])
    page_client = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    name, _, value = cookies[0].partition("=")
    page_client.cookies[name] = value
    consent = page_client.get(data.offer.get_public_path(), secure=True)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', consent.content.decode())
    if consent.status_code != 200 or match is None:
        raise SystemExit(f"The consent page answered {consent.status_code} with no CSRF token.")
    csrf_cookie = page_client.cookies[settings.CSRF_COOKIE_NAME]
    # One client (one handler and its middleware, as in a server process), its session
    # cookie swapped for each request.
    body = {"csrfmiddlewaretoken": match.group(1), **page.form}
    requests: list[Callable[[], Any]] = []
    for cookie, (_, offer) in zip(cookies, pool, strict=True):
        path = reverse("offers:accept", kwargs={"token": offer.token})
        requests.append(
            partial(
                _accept, page_client, f"{cookie}; {csrf_cookie.key}={csrf_cookie.value}", path, body
            )
        )
    for request in requests[:3]:  # warm-up
        request()
    return requests[3 : count + 3]


def _accept(client: Any, cookies: str, path: str, body: dict[str, str]) -> Any:
    # Only these cookies, as wrk sends them: none the last response set (its message).
    client.cookies = SimpleCookie(cookies)
    response = client.post(path, body, secure=True, HTTP_ORIGIN=f"https://{HOST}")
    if response.status_code != 302:
        raise SystemExit(f"An acceptance answered {response.status_code}, not a redirect.")
    return response


def _measure(args: argparse.Namespace, label: str, requests: list[Callable[[], Any]]) -> None:
    """Time ``requests`` one after the other; print the line of ``label`` (and, with
    ``--top``, the profile)."""
    from django.db import connection

    timer = SqlTimer()
    profiler = cProfile.Profile() if args.top else None
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        for request in requests:
            request()
        if profiler:
            profiler.disable()
        total = time.perf_counter() - started
    each = total / len(requests) * 1000
    sql = timer.seconds / len(requests) * 1000
    print(f"{label:32} {each:10.2f} {sql:8.2f} {each - sql:8.2f} {timer.count // len(requests):7d}")
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
