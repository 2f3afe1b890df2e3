"""SQLite's writers take turns in the process before they meet at SQLite's lock.

SQLite has one writer at a time and its own lock decides; nothing here is needed for
correctness. What this fixes is the queue in front of it. A writer that finds the lock taken
sleeps in SQLite's busy handler and retries (after 1, 2, 5 ... 100 ms), so whoever comes along at
the right moment overtakes those who waited longest, and meanwhile the holder competes for the
GIL with the worker's other threads: in the 18:00 claim storm a check-in waited 24 s and a few
gave up at 30. Here the first write statement of a transaction takes its process's gate and
COMMIT or ROLLBACK (or the connection's return to the pool) gives it back: at most one
transaction per process is ever at SQLite's lock, and the others wait asleep, without the GIL,
in the order the operating system wakes them. A thread that already holds the gate passes again
(a second connection in one request behaves as it did without the gate).
"""

from __future__ import annotations

import os
import re
import threading

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

ENABLED = os.environ.get("LINLI_SQLITE_WRITE_GATE", "1") != "0"
WAIT_S = 30.0  # as long as busy_timeout: the same promise as before, a wait and not an error
_HELD = "linli_sqlite_gate"
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b|\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b",
                    re.IGNORECASE | re.DOTALL)


class WriterGate:
    """A lock any thread may release (a connection can go back to the pool from another thread),
    re-entered by the thread that holds it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0

    def enter(self, timeout: float) -> bool:
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return True
        if not self._lock.acquire(timeout=timeout):
            return False
        self._owner, self._depth = me, 1
        return True

    def leave(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


_gates: dict[str, WriterGate] = {}
_gates_lock = threading.Lock()


def gate_for(database: str) -> WriterGate:
    with _gates_lock:
        return _gates.setdefault(database, WriterGate())


def is_write(statement: str) -> bool:
    return _WRITE.match(statement) is not None


@event.listens_for(Engine, "before_cursor_execute")
def _take_turn(conn, _cursor, statement, _parameters, _context, _executemany):
    if not ENABLED or conn.dialect.name != "sqlite" or not is_write(statement):
        return
    info = conn.connection.info
    if info.get(_HELD) is not None:
        return
    gate = gate_for(conn.engine.url.database or ":memory:")
    if not gate.enter(WAIT_S):
        raise sa_exc.OperationalError(statement, None, Exception("database is locked (writer gate)"))
    info[_HELD] = gate


def _give_back(info: dict) -> None:
    gate = info.pop(_HELD, None)
    if gate is not None:
        gate.leave()


@event.listens_for(Engine, "commit")
def _after_commit(conn):
    # Fired just before the DBAPI commit: the next writer then waits at most that commit in
    # SQLite's busy handler, a millisecond in WAL mode.
    _give_back(conn.connection.info)


@event.listens_for(Engine, "rollback")
def _after_rollback(conn):
    _give_back(conn.connection.info)


@event.listens_for(Pool, "checkin")
def _returned(_dbapi_connection, record):
    if record is not None:
        _give_back(record.info)


@event.listens_for(Pool, "reset")
def _reset(_dbapi_connection, record, _state=None):
    if record is not None:
        _give_back(record.info)
