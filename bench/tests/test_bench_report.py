"""The benchmark's verdicts and table, from measured figures."""

import os

import pytest

from bench.run import (
    TIMES,
    peer_comparisons,
    pooled,
    production_shape,
    table,
    targets,
    verdict,
    wanted,
)


def page(**figures):
    return {
        "name": "users: first page",
        "method": "GET",
        "baseline": False,
        "rps": 150.0,
        "p50_ms": 20.0,
        "p95_ms": 40.0,
        "p99_ms": 60.0,
        "queries": 4,
        "errors": 0,
        "baseline_rps": 280.0,
        "ratio": 150 / 280,
        **figures,
    }


def test_a_page_within_every_target_meets_them():
    assert verdict(page(), [4, 4, 4]) == "meets targets"


def test_each_missed_target_is_named():
    missed = page(p95_ms=51.0, ratio=0.33, queries=13, errors=2)
    assert verdict(missed, [12, 13, 13]) == (
        "misses: p95, throughput, queries, queries grow, errors"
    )


def test_a_page_needs_a_third_of_the_baseline():
    assert verdict(page(ratio=0.34), [4]) == "meets targets"
    assert verdict(page(ratio=0.33), [4]) == "misses: throughput"
    assert "throughput at least 1/3 of the baseline (1/4 for a POST)" in targets()


def test_a_post_needs_a_quarter_of_the_baseline():
    assert verdict(page(method="POST", ratio=0.26), [12]) == "meets targets"
    assert verdict(page(method="POST", ratio=0.24), [12]) == "misses: throughput"


def test_the_table_shows_the_baseline_each_page_was_divided_by():
    baseline = page(name="baseline (agent)", baseline=True, ratio=1.0, rps=280.0)
    baseline.pop("baseline_rps")
    lines = table({"pages": [baseline, page()]}, {"users: first page": [4]})
    assert lines[2].startswith("| baseline (agent) | 280 |")
    assert lines[3] == (
        "| users: first page | 150 | 20.0 | 40.0 | 60.0 | 4 | 280 | 0.54 | meets targets |"
    )


def peer(**figures):
    return page(
        name="Django admin search",
        peer_of="lookup: part of a name",
        compared_as="lookup by name vs Django admin search",
        **figures,
    )


def test_a_reference_page_is_exempt_from_the_targets_and_marked_so():
    slow = peer(rps=20.0, p95_ms=400.0, ratio=0.1, queries=30)
    assert verdict(slow, [28, 30]) == "reference for lookup: part of a name: no targets"
    lines = table({"pages": [slow]}, {})
    assert lines[2].endswith("| reference for lookup: part of a name: no targets |")


def test_the_lookup_is_given_as_a_multiple_of_its_peer_against_five_times():
    lookup = page(name="lookup: part of a name", rps=150.0)
    # when: the portal's page serves 7.5 and then 4 times the peer's requests
    fast = peer_comparisons({"pages": [lookup, peer(rps=20.0)]})
    slow = peer_comparisons({"pages": [lookup, peer(rps=37.5)]})
    # then
    assert [line.replace(TIMES, "x") for line in fast + slow] == [
        "lookup by name vs Django admin search: 7.5x, target ≥ 5x "
        "(meets it; 150 against 20 requests a second)",
        "lookup by name vs Django admin search: 4.0x, target ≥ 5x "
        "(misses it; 150 against 38 requests a second)",
    ]


def test_a_peer_that_answered_nothing_is_said_to_have_answered_nothing():
    lookup = page(name="lookup: part of a name", rps=40.0)
    [line] = peer_comparisons({"pages": [lookup, peer(rps=0.0)]})
    assert "the peer answered no request within the run" in line
    assert "(meets it; 40 against 0 requests a second)" in line
    assert "inf" not in line


def test_a_peer_without_its_page_in_the_run_is_compared_with_nothing():
    assert peer_comparisons({"pages": [peer(rps=20.0)]}) == []


def run(requests, seconds, latency_ms, errors=0):
    """A wrk run whose every request took ``latency_ms``."""
    return {
        "requests": requests,
        "seconds": seconds,
        "errors": errors,
        "quantiles_us": [latency_ms * 1000] * 100,
    }


def test_runs_pool_into_requests_over_their_time_and_shared_percentiles():
    # given: 900 fast requests in 3 s, then 100 slow ones in 1 s
    fast, slow = run(900, 3.0, 10), run(100, 1.0, 200, errors=2)
    # when
    both = pooled([fast, slow])
    # then: 1,000 requests in 4 s; the slowest tenth sets p95 and p99, not p50
    assert both["rps"] == 250.0
    assert (both["p50_ms"], both["p95_ms"], both["p99_ms"]) == (10.0, 200.0, 200.0)
    assert (both["requests"], both["errors"]) == (1000, 2)


def test_one_run_keeps_its_own_percentiles():
    spread = {
        "requests": 100,
        "seconds": 1.0,
        "errors": 0,
        "quantiles_us": [1000 * (n + 1) for n in range(100)],
    }
    alone = pooled([spread])
    assert (alone["p50_ms"], alone["p95_ms"], alone["p99_ms"]) == (50.0, 95.0, 99.0)


def test_pooled_results_pool_again_from_their_runs():
    fast, slow = run(900, 3.0, 10), run(100, 1.0, 200, errors=2)
    assert pooled([pooled([fast]), pooled([slow])]) == pooled([fast, slow])


def test_the_benchmark_serves_with_gunicorn_conf_defaults(monkeypatch):
    # given: nothing set, then the processes set as on a host
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_KEEPALIVE"):
        monkeypatch.delenv(name, raising=False)
    # then: two processes a core, one thread each, no keep-alive
    assert production_shape() == {
        "workers": 2 * (os.cpu_count() or 1),
        "threads": 1,
        "keepalive": 0,
    }
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_KEEPALIVE", "5")
    assert production_shape() == {"workers": 3, "threads": 1, "keepalive": 5}


def test_a_checkpoint_that_cannot_be_taken_is_said_and_skipped(capsys):
    from bench.run import checkpoint
    from tests.conftest_mail import free_port

    checkpoint(f"postgres://postgres@127.0.0.1:{free_port()}/nothing")
    assert "no checkpoint (cannot connect" in capsys.readouterr().out


@pytest.mark.postgres
def test_a_checkpoint_is_taken_on_postgresql(capsys):
    import psycopg

    from bench.run import checkpoint

    def requested() -> int:
        with psycopg.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cursor:
            row = cursor.execute("SELECT checkpoints_req FROM pg_stat_bgwriter").fetchone()
            assert row is not None
            return int(row[0])

    before = requested()
    checkpoint(os.environ["DATABASE_URL"])
    assert "no checkpoint" not in capsys.readouterr().out
    assert requested() > before


def test_pages_chosen_by_part_of_their_name_keep_their_baseline():
    from argparse import Namespace

    def chosen(pages):
        return [
            name
            for name, baseline in [
                ("baseline", True),
                ("users: first page", False),
                ("users: deep page", False),
                ("offer acceptance", False),
            ]
            if wanted(Namespace(pages=pages), {"name": name, "baseline": baseline})
        ]

    assert chosen(None) == ["baseline", "users: first page", "users: deep page", "offer acceptance"]
    assert chosen("Deep, acceptance") == ["baseline", "users: deep page", "offer acceptance"]
    assert chosen("nothing") == ["baseline"]


def test_a_peer_is_chosen_with_the_page_it_is_a_reference_for():
    from argparse import Namespace

    reference = {"name": "Django admin search", "baseline": False, "peer_of": "lookup: part"}
    assert wanted(Namespace(pages="part"), reference)
    assert wanted(Namespace(pages="admin search"), reference)
    assert not wanted(Namespace(pages="users"), reference)
