"""Instructions per request, counted by callgrind: the same however busy the machine is.

``python -m bench.instructions [--page NAME] [--requests N]`` runs ``bench.profile``
under valgrind's callgrind for each page twice, measuring 1 and then 1 + N requests, and
prints the difference divided by N: the instructions the portal's Python process spends
on one request of the page. PostgreSQL's and Redis's own work is not counted. Wall-clock
figures on a shared machine move by half between runs minutes apart; these move by up
to about ten percent (hash seeds, the garbage collector, the session and cache state),
so two versions of a page can be compared on any machine, a difference of more than
that meaning something. It is slow: about a minute a run.

Needs valgrind (Debian's ``valgrind``) and the data set of a benchmark run (``make bench``
seeds it); settings as for ``bench.profile``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess  # nosec B404 - runs valgrind on this project's own module
import sys

from bench.pages import BASELINE, PAGES

COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
# bench.profile prints one line per page (and session) it measured.
MEASURED = re.compile(r"^\S.*\s+\d+\.\d+\s+\d+\.\d+\s+-?\d+\.\d+\s+\d+$", re.MULTILINE)


def parse(output: str) -> tuple[int, int]:
    """``(instructions, pages measured)`` from a callgrind run of ``bench.profile``."""
    found = COLLECTED.search(output)
    if found is None:
        raise RuntimeError(f"callgrind gave no instruction count:\n{output[-2000:]}")
    return int(found.group(1)), len(MEASURED.findall(output))


def per_request(few: tuple[int, int], many: tuple[int, int], extra: int) -> int:
    """Instructions of one request: the runs differ only by ``extra`` requests a page."""
    (low, pages), (high, pages_again) = few, many
    if pages != pages_again or pages == 0:
        raise RuntimeError(f"The runs measured {pages} and {pages_again} pages.")
    return (high - low) // (extra * pages)


def run(page: str, requests: int, passthrough: list[str]) -> tuple[int, int]:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("bench.instructions: valgrind is missing (apt-get install valgrind).")
    cmd = [
        valgrind,
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.profile",
        "--page",
        page,
        "--repeat",
        str(requests),
        *passthrough,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stderr[-2000:]}")
    return parse(result.stdout + result.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", help="Only the pages whose name contains this.")
    parser.add_argument("--requests", type=int, default=3, help="Extra requests measured.")
    args, passthrough = parser.parse_known_args()
    pages = [BASELINE, *PAGES]
    if args.page:
        pages = [p for p in pages if args.page.lower() in p.name.lower()]
    print(f"{'page':32} {'instructions':>14} {'x baseline':>10}")
    baseline = None
    for page in pages:
        count = per_request(
            run(page.name, 1, passthrough),
            run(page.name, 1 + args.requests, passthrough),
            args.requests,
        )
        if page.baseline:
            baseline = count
        times = f"{count / baseline:10.2f}" if baseline else f"{'':>10}"
        print(f"{page.name:32} {count:14,} {times}", flush=True)


if __name__ == "__main__":
    main()
