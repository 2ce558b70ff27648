"""The benchmark: seed (or reuse) the data at several sizes, serve the portal as in
production, load each page with wrk, and report throughput, latency and queries.

    python bench/run.py [--sizes 0.1,0.3,1] [--duration 8] [--connections 4]

For each size: a PostgreSQL database of its own (``portal_scale`` for the full size,
``portal_scale_30pct`` for 0.3, ...), filled by ``manage.py seed_scale --if-needed`` so
an existing data set is reused; gunicorn with the production settings, PostgreSQL and
Redis; sessions written by ``bench.prepare``; then for every page of ``bench/pages.py``
and its peers one sampled request (status and ``X-Query-Count``), a warm-up and the
measured runs.
A page's measured time is cut into ``--slices`` runs, each followed by a run of the
baseline page as long, and its throughput is divided by the baseline's over those
runs: on a shared machine whose speed moves from one ten seconds to the next, page and
baseline are measured under the same conditions. A page's latency percentiles are
those of all its runs pooled. A peer (``bench.pages.PEERS``: another tool doing a
page's job over the same data) is measured the same way, has no targets of its own, and
the report gives the page's throughput as a multiple of the peer's.

Writes ``bench-results/report.md``, ``bench-results/p95.png`` and
``bench-results/results.json``; prints the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import runpy
import secrets
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
P95_TARGET_MS = 50.0
RATIO_TARGET = 1 / 3
POST_RATIO_TARGET = 1 / 4
MAX_QUERIES = 12
# How many times a peer's throughput the page it is a reference for must reach.
PEER_TARGET = 5.0
TIMES = "\N{MULTIPLICATION SIGN}"
# A Redis database of the benchmark's own, not the 0 that ``make serve`` and a worker use:
# the acceptances queue their mail there for a worker that never comes, and a real
# worker on the same database would send it.
BENCH_REDIS_URL = "redis://127.0.0.1:6379/9"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env=env, text=True, check=False, **kwargs)  # noqa: S603


# --- tools and services ---------------------------------------------------------------
def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: installing Debian's package")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]):
            subprocess.run(cmd, env=apt_env, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("bench: wrk is not installed; install it with `apt-get install wrk`.")


def database_url(base: str, scale: float) -> str:
    """The full size uses ``base``'s database; a fraction gets ``<name>_<pct>pct``."""
    if scale == 1:
        return base
    parsed = urlparse(base)
    name = parsed.path.lstrip("/") + f"_{round(scale * 100)}pct"
    return urlunparse(parsed._replace(path="/" + name))


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            log(f"creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def checkpoint(url: str) -> None:
    """Write out what seeding left in PostgreSQL's buffers before anything is measured:
    otherwise the pages measured first (the acceptance, whose commits wait on the disk)
    share the disk with a checkpoint of millions of fresh rows, as no portal in
    service does."""
    import psycopg

    parsed = urlparse(url)
    try:
        conn = psycopg.connect(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password or None,
            dbname=parsed.path.lstrip("/"),
            autocommit=True,
        )
    except psycopg.Error as exc:
        log(f"  no checkpoint (cannot connect: {exc})")
        return
    try:
        with conn.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except psycopg.Error as exc:  # CHECKPOINT needs a superuser or pg_checkpoint
        log(f"  no checkpoint ({str(exc).strip()}): the first pages may share the disk")
    finally:
        conn.close()


def redis_reachable(url: str) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        return bool(Redis.from_url(url, socket_connect_timeout=2).ping())
    except (RedisError, OSError):
        return False


# Fernet key of the benchmark's data sets: they hold nothing worth protecting.
BENCH_MFA_ENCRYPTION_KEY = "YmVuY2htYXJrLW9ubHktbWZhLWtleS0wMDAwMDAwMDA="


# --- the server -----------------------------------------------------------------------
def portal_env(db_url: str, redis_url: str, secret_key: str) -> dict[str, str]:
    """The portal's settings for a benchmark: production, with the benchmark endpoints."""
    return {
        "DJANGO_SETTINGS_MODULE": "partnerportal.settings.production",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": HOST,
        "PORTAL_BASE_URL": f"http://{HOST}",
        "BENCHMARK_ENDPOINTS": "1",
        # A fixed key, so a reused data set's TOTP secrets still decrypt (benchmark only).
        "MFA_ENCRYPTION_KEY": BENCH_MFA_ENCRYPTION_KEY,
        # One load generator on one address: the per-address limits of the offer link
        # would measure the limiter, not the page.
        "OFFER_LINK_RATE_LIMIT": "100000000/m",
        "OFFER_ANSWER_RATE_LIMIT": "100000000/m",
        "LOG_LEVEL": "WARNING",
    }


def production_shape() -> dict[str, int]:
    """gunicorn's processes, threads and keep-alive as ``gunicorn.conf.py`` sets them in
    this environment: what the benchmark serves with unless told otherwise."""
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return {name: int(conf[name]) for name in ("workers", "threads", "keepalive")}


def server_env(args: argparse.Namespace, db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **portal_env(db_url, args.redis_url, args.secret_key),
        "GUNICORN_BIND": f"{HOST}:{args.port}",
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "GUNICORN_KEEPALIVE": str(args.keepalive),
    }


def start_server(env: dict[str, str], logfile: Path) -> subprocess.Popen[bytes]:
    out = logfile.open("ab")
    proc = subprocess.Popen(  # noqa: S603
        [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "partnerportal.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=out,
        start_new_session=True,
    )
    return proc


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, dict[str, list[str]], str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        found: dict[str, list[str]] = {}
        for name, value in resp.getheaders():
            found.setdefault(name.lower(), []).append(value)
        return resp.status, found, text
    finally:
        conn.close()


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("bench: gunicorn exited at start; see its log in the results folder.")
        try:
            status, _, _ = request(port, "GET", "/readyz", {"X-Forwarded-Proto": "https"})
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit("bench: the server did not become ready (GET /readyz).")


# --- one page -------------------------------------------------------------------------
def wanted(args: argparse.Namespace, page: dict[str, Any]) -> bool:
    """Whether ``--pages`` asks for ``page`` (a baseline always is, a peer with the page
    it is a reference for)."""
    if page["baseline"] or not args.pages:
        return True
    names = [page["name"].lower()]
    if page.get("peer_of"):
        names.append(page["peer_of"].lower())
    parts = [part.strip().lower() for part in args.pages.split(",")]
    return any(part in name for part in parts for name in names)


def base_headers(cookie: str) -> dict[str, str]:
    # As behind the TLS-terminating proxy of production.
    return {"Cookie": cookie, "X-Forwarded-Proto": "https", "User-Agent": "portal-bench"}


def csrf_for(port: int, cookie: str, path: str) -> tuple[str, str]:
    """GET the form page: the CSRF cookie and the form's token."""
    status, headers, body = request(port, "GET", path, base_headers(cookie))
    if status != 200:
        raise RuntimeError(f"GET {path} for its CSRF token answered {status}")
    cookies = [c.split(";", 1)[0] for c in headers.get("set-cookie", []) if "csrf" in c.lower()]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not cookies or not match:
        raise RuntimeError(f"GET {path} gave no CSRF cookie and token")
    return cookies[0], match.group(1)


def build_request(port: int, page: dict[str, Any], cookie: str) -> tuple[dict[str, str], str]:
    headers = base_headers(cookie)
    body = ""
    if page["method"] == "POST":
        csrf_cookie, token = csrf_for(port, cookie, page["csrf_from"] or page["path"])
        headers["Cookie"] = f"{cookie}; {csrf_cookie}"
        page["csrf_cookie"] = csrf_cookie
        headers["Origin"] = f"https://{HOST}:{port}"
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = urlencode({"csrfmiddlewaretoken": token, **page["form"]})
    return headers, body


def pool_entry(page: dict[str, Any], n: int) -> tuple[str, str]:
    """The path and Cookie header of request ``n`` of a page with a pool of users."""
    entry = page["pool"][n % len(page["pool"])]
    cookie = f"{entry['cookie']}; {page['csrf_cookie']}" if page.get("csrf_cookie") else ""
    return entry["path"], cookie or entry["cookie"]


def sample(port: int, page: dict[str, Any], headers: dict[str, str], body: str) -> int:
    """Two requests: each must answer 200 (a POST may redirect); returns the second's
    query count (the first may do once-per-session work, such as the agent's entry).
    A page with a pool of users takes its first two entries."""
    for n in range(2):
        path = page["path"]
        if page.get("pool"):
            path, cookie = pool_entry(page, n)
            headers = {**headers, "Cookie": cookie}
            page["pool_used"] = n + 1
        status, resp_headers, _ = request(port, page["method"], path, headers, body or None)
        ok = status == 200 or (page["method"] == "POST" and status in (302, 303))
        if not ok:
            raise RuntimeError(f"{page['method']} {page['path']} answered {status}")
    count = resp_headers.get("x-query-count")
    if not count:
        raise RuntimeError("no X-Query-Count header: is BENCHMARK_ENDPOINTS on?")
    return int(count[0])


def wrk(
    args: argparse.Namespace, page: dict[str, Any], headers: dict[str, str], body: str, secs: int
) -> dict[str, Any]:
    cmd = [
        args.wrk,
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{secs}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk.lua"),
        f"http://{HOST}:{args.port}{page['path']}",
        "--",
        page["method"],
        body,
        *[f"{name}: {value}" for name, value in headers.items()],
    ]
    env = dict(os.environ)
    if page.get("pool"):
        pool_file = Path(args.out) / "pool.tsv"
        pool_file.write_text(
            "".join("{}\t{}\n".format(*pool_entry(page, n)) for n in range(len(page["pool"])))
        )
        env.update(
            WRK_POOL=str(pool_file),
            WRK_POOL_OFFSET=str(page.get("pool_used", 0)),
            WRK_THREADS=str(args.wrk_threads),
        )
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed: {result.stdout}\n{result.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(data["errors"].values())
    if page.get("pool"):
        # Requests still in flight when wrk stopped took an entry too.
        page["pool_used"] = page.get("pool_used", 0) + data["requests"] + args.connections
        if page["pool_used"] > len(page["pool"]):
            log(
                f"  {page['name']}: {page['pool_used']} requests for {len(page['pool'])} users: "
                "some users answered twice (the no-change path); raise --acceptors"
            )
    return pooled(
        [
            {
                "requests": data["requests"],
                "seconds": data["duration_us"] / 1e6,
                "errors": errors,
                "quantiles_us": data["quantiles_us"],
            }
        ]
    )


def pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs of one page as one: requests over their total time, and the percentiles of
    their latencies together (each run's hundred percent-quantiles weighted by its
    requests). A run is wrk's figures, or a result of ``pooled`` (its runs are taken)."""
    runs = [raw for r in runs for raw in r.get("runs", [r])]
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    points = sorted(
        (q, r["requests"] / len(r["quantiles_us"])) for r in runs for q in r["quantiles_us"]
    )
    total = sum(w for _, w in points)

    def percentile(p: float) -> float:
        reached = 0.0
        for value, weight in points:
            reached += weight
            if reached >= total * p / 100:
                return value / 1000
        return points[-1][0] / 1000 if points else 0.0

    return {
        "rps": requests / seconds if seconds else 0.0,
        "p50_ms": percentile(50),
        "p95_ms": percentile(95),
        "p99_ms": percentile(99),
        "requests": requests,
        "seconds": seconds,
        "errors": sum(r["errors"] for r in runs),
        "runs": runs,
    }


def measure(
    args: argparse.Namespace,
    page: dict[str, Any],
    cookie: str,
    baseline: tuple[dict[str, Any], dict[str, str], str] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The page's runs pooled, and the baseline runs between them (none without
    ``baseline``: the page, its headers and body)."""
    headers, body = build_request(args.port, page, cookie)
    queries = sample(args.port, page, headers, body)
    if args.warmup:
        wrk(args, page, headers, body, args.warmup)
    slice_secs = max(1, args.duration // args.slices) if baseline else args.duration
    page_runs, baseline_runs = [], []
    for _ in range(args.slices if baseline else 1):
        page_runs.append(wrk(args, page, headers, body, slice_secs))
        if baseline:
            baseline_runs.append(wrk(args, *baseline, slice_secs))
    result = pooled(page_runs)
    result["queries"] = queries
    if result["errors"]:
        log(f"  {page['name']}: {result['errors']} errors or non-2xx/3xx answers")
    return result, baseline_runs


def bench_size(args: argparse.Namespace, scale: float, results_dir: Path) -> dict[str, Any]:
    db_url = database_url(args.database_url, scale)
    env = server_env(args, db_url)
    ensure_database(db_url)
    started = time.monotonic()
    migrate = run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    if migrate.returncode:
        sys.exit("bench: migrate failed")
    seed_cmd = [PYTHON, "manage.py", "seed_scale", "--scale", str(scale), "--if-needed"]
    seed = run(seed_cmd, env, capture_output=True)
    if seed.returncode and "--reset" in seed.stderr:
        log(f"  {urlparse(db_url).path[1:]} holds another data set: reseeding it")
        seed = run([*seed_cmd, "--reset"], env, capture_output=True)
    print(seed.stdout, end="", flush=True)
    if seed.returncode:
        sys.exit(f"bench: seed_scale failed:\n{seed.stderr}")
    checkpoint(db_url)
    seed_secs = time.monotonic() - started

    load_before = os.getloadavg()
    proc = start_server(env, results_dir / "gunicorn.log")
    try:
        wait_ready(args.port, proc)
        prepared = run(
            [PYTHON, "-m", "bench.prepare"],
            {**env, "BENCH_ACCEPTORS": str(args.acceptors)},
            capture_output=True,
        )
        if prepared.returncode:
            sys.exit(f"bench: preparing sessions failed:\n{prepared.stderr}")
        plan = json.loads(prepared.stdout)
        log(f"scale {scale}: {plan['sizes']}")
        pages: list[dict[str, Any]] = []
        for session in plan["cookies"]:
            cookie = plan["cookies"][session]
            group = [p for p in plan["requests"] if p["session"] == session and wanted(args, p)]
            if all(p["baseline"] for p in group):
                continue
            baseline = next(p for p in group if p["baseline"])
            first, _ = measure(args, baseline, cookie)
            runs = [first]
            base_request = (baseline, *build_request(args.port, baseline, cookie))
            measured = []
            for page in group:
                if page["baseline"]:
                    continue
                result, beside = measure(args, page, cookie, base_request)
                runs += beside
                base_rps = pooled(beside)["rps"]
                result["baseline_rps"] = base_rps
                result["ratio"] = result["rps"] / base_rps if base_rps else 0.0
                measured.append(
                    {k: v for k, v in {**page, **result}.items() if k not in ("pool", "runs")}
                )
                log(
                    f"  {page['name']}: {result['rps']:.0f} rps, p95 {result['p95_ms']:.1f} ms, "
                    f"{result['ratio']:.2f} of the baseline between its runs ({base_rps:.0f} rps)"
                )
            every = pooled(runs)
            base = {
                **baseline,
                **{k: every[k] for k in ("rps", "p50_ms", "p95_ms", "p99_ms", "requests")},
                "queries": first["queries"],
                "errors": every["errors"],
                "drift": runs[-1]["rps"] / runs[0]["rps"] - 1 if runs[0]["rps"] else 0.0,
                "spread": (max(r["rps"] for r in runs) - min(r["rps"] for r in runs))
                / (sum(r["rps"] for r in runs) / len(runs)),
                "name": f"baseline ({session})",
            }
            log(
                f"  baseline ({session}): {base['rps']:.0f} rps over {len(runs)} runs "
                f"(from {min(r['rps'] for r in runs):.0f} to {max(r['rps'] for r in runs):.0f})"
            )
            pages.append({**base, "ratio": 1.0})
            pages += measured
    finally:
        stop_server(proc)
    for line in peer_comparisons({"pages": pages}):
        log(f"  {line}")
    # The machine's 1-minute load average as the size's pages began and ended: other
    # work on the machine skews every figure.
    load = (load_before[0], os.getloadavg()[0])
    log(f"  load average: {load[0]:.2f} before, {load[1]:.2f} after")
    return {
        "scale": scale,
        "sizes": plan["sizes"],
        "seed_seconds": seed_secs,
        "load": load,
        "pages": pages,
    }


# --- the report -----------------------------------------------------------------------
def fraction(target: float) -> str:
    """A target as people say it: ``1/3``, not 33%."""
    return str(Fraction(target).limit_denominator(10))


def targets() -> str:
    return (
        f"Targets: p95 <= {P95_TARGET_MS:.0f} ms, throughput at least "
        f"{fraction(RATIO_TARGET)} of the baseline ({fraction(POST_RATIO_TARGET)} for a POST), "
        f"<= {MAX_QUERIES} queries, the same number of queries at every size. "
        "A reference page (another tool's) has none."
    )


def verdict(page: dict[str, Any], queries_by_size: list[int]) -> str:
    if page["baseline"]:
        return ""
    if page.get("peer_of"):
        return f"reference for {page['peer_of']}: no targets"
    problems = []
    if page["p95_ms"] > P95_TARGET_MS:
        problems.append("p95")
    target = POST_RATIO_TARGET if page["method"] == "POST" else RATIO_TARGET
    if page["ratio"] < target:
        problems.append("throughput")
    if page["queries"] > MAX_QUERIES:
        problems.append("queries")
    if len(set(queries_by_size)) > 1:
        problems.append("queries grow")
    if page["errors"]:
        problems.append("errors")
    return "meets targets" if not problems else "misses: " + ", ".join(problems)


def table(run_result: dict[str, Any], queries: dict[str, list[int]]) -> list[str]:
    lines = [
        "| page | rps | p50 ms | p95 ms | p99 ms | queries | baseline rps | ratio to baseline | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in run_result["pages"]:
        lines.append(
            f"| {p['name']} | {p['rps']:.0f} | {p['p50_ms']:.1f} | {p['p95_ms']:.1f} "
            f"| {p['p99_ms']:.1f} | {p['queries']} | {p.get('baseline_rps', p['rps']):.0f} "
            f"| {p['ratio']:.2f} "
            f"| {verdict(p, queries.get(p['name'], []))} |"
        )
    return lines


def peer_comparisons(run_result: dict[str, Any]) -> list[str]:
    """For each peer measured with the page it is a reference for: the page's throughput
    as a multiple of the peer's, against ``PEER_TARGET``."""
    by_name = {p["name"]: p for p in run_result["pages"]}
    lines = []
    for peer in run_result["pages"]:
        page = by_name.get(peer.get("peer_of") or "")
        if page is None:
            continue
        if not peer["rps"]:
            lines.append(
                f"{peer['compared_as']}: the peer answered no request within the run "
                f"(each took longer than wrk's timeout), target ≥ {PEER_TARGET:g}{TIMES} "
                f"(meets it; {page['rps']:.0f} against 0 requests a second)"
            )
            continue
        times = page["rps"] / peer["rps"]
        met = "meets it" if times >= PEER_TARGET else "misses it"
        lines.append(
            f"{peer['compared_as']}: {times:.1f}{TIMES}, target ≥ {PEER_TARGET:g}{TIMES} ({met}; "
            f"{page['rps']:.0f} against {peer['rps']:.0f} requests a second)"
        )
    return lines


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5), dpi=120)
    pages = results[-1]["pages"]
    xs = [r["sizes"]["users"] for r in results]
    # One colour a page (the default cycle has ten); the baselines thin and grey.
    tab20 = plt.get_cmap("tab20")
    colours = iter(tab20(i / 19) for i in range(20))
    for page in pages:
        name = page["name"]
        ys = [
            next((float(p["p95_ms"]) for p in r["pages"] if p["name"] == name), float("nan"))
            for r in results
        ]
        if page["baseline"]:
            ax.plot(xs, ys, color="grey", linestyle=":", marker=".", linewidth=1, label=name)
        elif page.get("peer_of"):
            ax.plot(xs, ys, color="black", linestyle="-.", marker="x", label=f"{name} (reference)")
        else:
            ax.plot(xs, ys, color=next(colours), marker="o", label=name)
    ax.axhline(P95_TARGET_MS, color="black", linestyle="--", linewidth=1, label="target (50 ms)")
    ax.set_xscale("log")
    ax.set_xlabel("data size: users (tenants and audit events grow in proportion)")
    ax.set_ylabel("p95 latency (ms)")
    ax.set_ylim(bottom=0)
    ax.set_title("Partner Portal: p95 latency against data size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report(args: argparse.Namespace, results: list[dict[str, Any]], out: Path, secs: float) -> str:
    queries: dict[str, list[int]] = {}
    for r in results:
        for p in r["pages"]:
            queries.setdefault(p["name"], []).append(p["queries"])
    largest = results[-1]
    comparisons = peer_comparisons(largest)
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    lines = [
        "# Partner Portal benchmark",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({cpu}), "
        f"in {secs / 60:.1f} minutes, with `{args.command}`.",
        "",
        f"Server: gunicorn `gthread`, {args.workers} worker{'s' * (args.workers != 1)} x "
        f"{args.threads} thread{'s' * (args.threads != 1)}, "
        f"keep-alive {f'{args.keepalive} s' if args.keepalive else 'off'}"
        f"{'' if args.keepalive else ' (a process takes a connection when a thread is free)'}, "
        "production settings, PostgreSQL, Redis. "
        f"Load: wrk, {args.wrk_threads} thread(s), {args.connections} connections, "
        f"{args.duration} s per page after {args.warmup} s of warm-up, in {args.slices} runs "
        "each followed by as long a run of the baseline: a page's ratio is to the "
        "baseline's throughput over the runs between its own. "
        "Queries: `X-Query-Count` of a request per page, after one warm-up request.",
        "",
        f"## At the largest size ({largest['sizes']['tenants']:,} tenants, "
        f"{largest['sizes']['users']:,} users, {largest['sizes']['audit_events']:,} audit events)",
        "",
        *table(largest, queries),
        "",
        targets(),
        "",
        *[f"- {line}" for line in comparisons],
        *([""] if comparisons else []),
        "## p95 latency (ms) and queries against data size",
        "",
        "| page | " + " | ".join(f"{r['sizes']['users']:,} users" for r in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for page in largest["pages"]:
        cells = []
        for r in results:
            p = next((x for x in r["pages"] if x["name"] == page["name"]), None)
            cells.append(f"{p['p95_ms']:.1f} ({p['queries']} q)" if p else "")
        lines.append(f"| {page['name']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "![p95 latency against data size](p95.png)",
        "",
        "Seeding (or finding) the data: "
        + ", ".join(f"{r['scale']:g} x in {r['seed_seconds']:.0f} s" for r in results)
        + ".",
        "",
        "Load average (1 minute) of the machine as each size's pages began and ended "
        f"(it has {os.cpu_count()} cores): "
        + ", ".join(f"{r['scale']:g} x {r['load'][0]:.1f} to {r['load'][1]:.1f}" for r in results)
        + ".",
        "",
    ]
    text = "\n".join(lines)
    (out / "report.md").write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0.1,0.3,1", help="Scale factors of seed_scale.")
    parser.add_argument("--duration", type=int, default=8, help="Seconds of load per page.")
    parser.add_argument("--warmup", type=int, default=2, help="Seconds of warm-up per page.")
    parser.add_argument(
        "--slices",
        type=int,
        default=4,
        help="Runs a page's time is cut into, each followed by as long a baseline run.",
    )
    parser.add_argument("--connections", type=int, default=4, help="wrk connections.")
    parser.add_argument("--wrk-threads", type=int, default=1)
    shape = production_shape()
    parser.add_argument(
        "--workers",
        type=int,
        default=shape["workers"],
        help="gunicorn worker processes (default: gunicorn.conf.py's, from WEB_CONCURRENCY).",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=shape["threads"],
        help="gunicorn threads per worker (default: gunicorn.conf.py's).",
    )
    parser.add_argument(
        "--keepalive",
        type=int,
        default=shape["keepalive"],
        help="gunicorn's keep-alive seconds, 0 for none (default: gunicorn.conf.py's).",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--pages",
        help="Only the pages whose name contains one of these (comma-separated), with "
        "their sessions' baselines.",
    )
    parser.add_argument(
        "--acceptors",
        type=int,
        default=3000,
        help="Customer admins who each accept an offer once (the acceptance page).",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_scale"
        ),
        help="Database of the full size; smaller sizes get a database of their own beside it.",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", BENCH_REDIS_URL))
    parser.add_argument("--out", default=str(ROOT / "bench-results"))
    args = parser.parse_args()
    args.command = " ".join(["python bench/run.py", *sys.argv[1:]])
    args.secret_key = secrets.token_urlsafe(50)
    args.wrk = ensure_wrk()
    if not redis_reachable(args.redis_url):
        sys.exit(f"bench: Redis is not reachable at {args.redis_url}.")
    scales = sorted(float(s) for s in args.sizes.split(","))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gunicorn.log").write_text("")

    started = time.monotonic()
    collect = run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        server_env(args, database_url(args.database_url, scales[-1])),
    )
    if collect.returncode:
        sys.exit("bench: collectstatic failed")
    results = [bench_size(args, scale, out) for scale in scales]
    elapsed = time.monotonic() - started
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    plot(results, out / "p95.png")
    text = report(args, results, out, elapsed)
    print()
    print(text)
    print(f"Written: {out / 'report.md'}, {out / 'p95.png'}, {out / 'results.json'}")


if __name__ == "__main__":
    main()
