"""SQLite's writers take turns in their process; the database still decides."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from core.sqlite_gate import WriterGate, is_write


@pytest.mark.parametrize("statement", [
    "INSERT INTO t VALUES (1)", "  update t set x = 1", "DELETE FROM t", "REPLACE INTO t VALUES (1)",
    "WITH c AS (SELECT 1) UPDATE t SET x = (SELECT * FROM c)",
])
def test_writes_are_recognised(statement):
    assert is_write(statement)


@pytest.mark.parametrize("statement", ["SELECT * FROM t", "WITH c AS (SELECT 1) SELECT * FROM c",
                                       "PRAGMA busy_timeout", "SELECT updated_at FROM t"])
def test_reads_pass_freely(statement):
    assert not is_write(statement)


def test_the_holder_passes_again_and_another_thread_may_give_the_gate_back():
    gate = WriterGate()
    assert gate.enter(0.1) and gate.enter(0.1)
    gate.leave()
    assert not _enter_elsewhere(gate), "still held once"
    threading.Thread(target=gate.leave).start()
    time.sleep(0.05)
    assert _enter_elsewhere(gate)


def _enter_elsewhere(gate: WriterGate) -> bool:
    result = []
    thread = threading.Thread(target=lambda: result.append(gate.enter(0.05)))
    thread.start()
    thread.join()
    return result[0]


def test_a_crowd_of_writers_all_commit_and_none_is_lost(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'crowd.sqlite3'}", connect_args={"check_same_thread": False})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE stock (id INTEGER PRIMARY KEY, remaining INTEGER)"))
        conn.execute(text("CREATE TABLE taken (n INTEGER)"))
        conn.execute(text("INSERT INTO stock VALUES (1, 500)"))
    errors = []
    start = threading.Barrier(32)

    def claim_many():
        start.wait()
        for _ in range(20):
            try:
                with engine.begin() as conn:
                    won = conn.execute(text("UPDATE stock SET remaining = remaining - 1 "
                                            "WHERE id = 1 AND remaining > 0")).rowcount
                    time.sleep(0.001)  # work inside the transaction, with the write lock held
                    if won:
                        conn.execute(text("INSERT INTO taken VALUES (1)"))
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=claim_many) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        remaining = conn.scalar(text("SELECT remaining FROM stock"))
        taken = conn.scalar(text("SELECT count(*) FROM taken"))
    engine.dispose()
    assert errors == []
    assert (remaining, taken) == (0, 500)
