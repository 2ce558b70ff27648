"""The production shape: gunicorn with gunicorn.conf.py and the production settings."""

import json
import os
import runpy
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import services
from tests.conftest_mail import free_port

# Production settings need Redis (cache, rate limits, broker).
pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parent.parent


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    port = free_port()
    tmp = tmp_path_factory.mktemp("gunicorn")
    out = tmp / "stdout.log"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "DJANGO_SETTINGS_MODULE": "partnerportal.settings.production",
        "SECRET_KEY": "p" * 20 + "-production-secret-with-enough-entropy-4c1d",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "MFA_ENCRYPTION_KEY": "dGVzdC1vbmx5LW1mYS1lbmNyeXB0aW9uLWtleS0wMDA=",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "BENCHMARK_ENDPOINTS": "1",
        # Production refuses to start without its cache and broker.
        "REDIS_URL": services.REDIS_URL,
    }
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "partnerportal.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + out.read_text())
            time.sleep(0.2)
        yield port, out
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def access_lines(out: Path, path: str) -> list[dict]:
    lines = []
    for raw in out.read_text().splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if line.get("logger") == "gunicorn.access" and line.get("path") == path:
            lines.append(line)
    return lines


def test_probes_answer_over_plain_http_behind_the_proxy(server):
    # given
    port, _ = server
    # when
    health = get(port, "/healthz")
    ready = get(port, "/readyz")
    # then
    assert health[0] == 200
    assert ready[0] == 200
    assert json.loads(ready[2]) == {"status": "ok", "database": "ok", "broker": "ok"}


def test_each_worker_sets_the_loaded_application_aside_from_garbage_collection(server):
    _, out = server
    lines = [json.loads(raw) for raw in out.read_text().splitlines() if raw.startswith("{")]
    (frozen,) = [line for line in lines if "set aside from garbage collection" in line["message"]]
    assert int(frozen["message"].split(": ")[1].split()[0]) > 10_000


def test_other_pages_are_redirected_to_https(server):
    port, _ = server
    status, headers, _ = get(port, "/accounts/login/")
    assert status == 301
    assert headers["Location"].startswith("https://")


def test_access_log_lines_are_json_with_the_request_id(server):
    # given
    port, out = server
    # when
    _, headers, _ = get(port, "/readyz")
    time.sleep(0.3)  # the line is flushed after the response
    # then
    lines = access_lines(out, "/readyz")
    assert lines, out.read_text()
    assert headers["X-Request-ID"] in {line.get("request_id") for line in lines}
    assert {"method", "status", "duration_ms", "time", "level"} <= set(lines[-1])


def test_benchmark_endpoints_add_the_query_count(server):
    port, _ = server
    _, headers, _ = get(port, "/readyz")
    assert headers["X-Query-Count"] == "0"  # Django connects; no query of its own


def gunicorn_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in ("GUNICORN_THREADS", "GUNICORN_KEEPALIVE", "GUNICORN_WORKER_CONNECTIONS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


@pytest.mark.parametrize("threads", ["1", "4"])
def test_a_process_takes_a_connection_only_when_a_thread_is_free_for_it(monkeypatch, threads):
    conf = gunicorn_conf(monkeypatch, GUNICORN_THREADS=threads)
    assert (conf["keepalive"], conf["worker_connections"]) == (0, int(threads))


def test_with_keep_alive_kept_connections_have_places_of_their_own(monkeypatch):
    conf = gunicorn_conf(monkeypatch, GUNICORN_KEEPALIVE="5")
    assert conf["worker_connections"] == 1000
    assert gunicorn_conf(monkeypatch, GUNICORN_WORKER_CONNECTIONS="7")["worker_connections"] == 7
