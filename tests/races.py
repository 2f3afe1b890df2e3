"""The one race harness: real threads, each with its own connection, released together.

Every concurrency claim in the suite is proved with these, against SQLite and PostgreSQL alike:
`race` for operations (each thread its own app context and transaction, committed like a
request), `race_clients` for HTTP (each thread its own test client, so its own cookies). Both
start every thread first and release them at once through a threading.Barrier, and fail the
test rather than hang when a thread is stuck.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from core.db import db

RACE_TIMEOUT_S = 120


def at_once(calls: Sequence[Callable[[], Any]], *, timeout_s: float = RACE_TIMEOUT_S) -> list:
    """Call each of `calls` in its own thread, all released together; what each returned or raised, in order."""
    n = len(calls)
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=timeout_s)
        except threading.BrokenBarrierError as exc:
            results[i] = exc
            return
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001 - reported to the test, which decides
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), name=f"race-{i}", daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout_s)
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        pytest.fail(f"{len(stuck)} of {n} racing threads still running after {timeout_s} s", pytrace=False)
    broken = [r for r in results if isinstance(r, threading.BrokenBarrierError)]
    if broken:
        pytest.fail(f"{len(broken)} of {n} racing threads were never released together", pytrace=False)
    return results


def race(app, n: int, work: Callable[[int], Any]) -> list:
    """Run work(i) in n threads released together, each in its own app context and transaction.

    Each commits as a request would (or rolls back when it raised). Returns what each returned,
    or the exception it raised; the caller counts rows afterwards.
    """

    def in_transaction(i: int):
        with app.app_context():
            try:
                result = work(i)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise

    return at_once([lambda i=i: in_transaction(i) for i in range(n)])


def race_clients(clients: Sequence, send: Callable[[Any], Any]) -> list:
    """send(client) for every client, each on its own thread, released together; the responses, in order.

    An exception in a thread is a broken test, not an outcome: it is raised here.
    """
    results = at_once([lambda c=c: send(c) for c in clients])
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
