"""Racing jobs against each other, each in its own thread with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections


def race(
    jobs: list[Callable[[], object]],
    *,
    refusals: tuple[type[Exception], ...] = (ValidationError, PermissionDenied),
    name: Callable[[Exception], object] = lambda exc: type(exc).__name__,
) -> list[object]:
    """Run ``jobs`` at once and return what each returned.

    A refusal the portal explains (one of ``refusals``) comes back as ``name(exc)``
    (by default its class name); anything else is a 500 in the making and fails here.
    """
    results: list[object] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        try:
            start.wait(timeout=10)
            results[i] = jobs[i]()
        except refusals as exc:
            results[i] = name(exc)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a racer hangs"
    assert not [r for r in results if isinstance(r, BaseException)], results
    return results
