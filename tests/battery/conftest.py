"""The security battery's figures, printed at the end of the run.

Tests of the battery record what they tried with pytest's ``record_property``:
``battery.bad_inputs`` (one per input posted), ``battery.races`` (one per race run) and
``battery.faults`` (one per fault injected) and ``battery.attacks`` (one per attack
found from outside and replayed here, which must now fail). Only tests that passed count. The
permission matrix is counted from its own table: each passed row is one cell per actor,
each passed foreign-object row one cell per actor who reaches the object.
"""

from __future__ import annotations

from collections import Counter

import pytest

FIGURES = {
    "battery.bad_inputs": "bad inputs tried",
    "battery.races": "races run",
    "battery.faults": "faults injected",
    "battery.attacks": "attacks from outside replayed",
}
MATRIX_FILE = "test_permission_matrix.py::"


def _param(nodeid: str) -> str:
    return nodeid.rpartition("[")[2].rstrip("]") if nodeid.endswith("]") else ""


def matrix_cells(passed: list[pytest.TestReport]) -> int:
    """Cells of the permission matrix whose test passed in this run."""
    try:
        from tests.test_permission_matrix import ACTORS, MATRIX
    except ImportError:  # the matrix is not part of this checkout
        return 0
    rows = {f"{r.url_name}-{r.method}": r for r in MATRIX}
    cells = 0
    for report in passed:
        if MATRIX_FILE not in report.nodeid:
            continue
        row = rows.get(_param(report.nodeid))
        if row is None:
            continue
        if "::test_permission_matrix[" in report.nodeid:
            cells += len(ACTORS)
        elif "::test_another_tenants_object_is_not_found[" in report.nodeid:
            cells += sum(1 for outcome in row.expected.values() if outcome == "ok")
    return cells


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    stats = terminalreporter.stats
    passed = [r for r in stats.get("passed", []) if getattr(r, "when", "") == "call"]
    totals: Counter[str] = Counter()
    for report in passed:
        for name, value in getattr(report, "user_properties", []):
            if name in FIGURES and isinstance(value, int):
                totals[name] += value
    failed = [
        r
        for r in stats.get("failed", []) + stats.get("error", [])
        if any(name in FIGURES for name, _ in getattr(r, "user_properties", []))
        or MATRIX_FILE in getattr(r, "nodeid", "")
        or "tests/battery/" in getattr(r, "nodeid", "")
    ]
    skipped = [r for r in stats.get("skipped", []) if "tests/battery/" in getattr(r, "nodeid", "")]
    terminalreporter.section("security battery")
    terminalreporter.write_line(f"permission matrix cells checked: {matrix_cells(passed)}")
    for name, label in FIGURES.items():
        terminalreporter.write_line(f"{label}: {totals[name]}")
    if skipped:
        terminalreporter.write_line(
            f"battery tests skipped: {len(skipped)} (see the skipped tiers)"
        )
    if failed:
        terminalreporter.write_line(f"battery tests failed: {len(failed)}")
    else:
        terminalreporter.write_line("battery tests failed: 0 (nothing leaked, nothing lost)")
