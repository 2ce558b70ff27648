"""The benchmark's verdicts and table, from measured figures."""

from bench.run import table, verdict


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
    missed = page(p95_ms=51.0, ratio=0.49, queries=13, errors=2)
    assert verdict(missed, [12, 13, 13]) == (
        "misses: p95, throughput, queries, queries grow, errors"
    )


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
