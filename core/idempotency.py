"""Idempotency-Key for requests that must happen once (a redemption at the till).

The key's row, with the answer, is inserted by the same transaction that did the work, just
before it commits. A retry does the work again, finds the key taken and raises Replayed, whose
handler rolls its own work back: whether it ran after the first commit or beside it (the INSERT
waits on the unique index in PostgreSQL, on the write lock in SQLite), it answers what the first
request answered, same status, same body, with `Idempotent-Replayed: true`. The replay is the
first request's answer, not the coupon's present state. A key reused for a different request is
refused and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import JSON, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, upsert, utcnow
from core.problems import Problem, ValidationFailed

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Long enough for any retry after a dropped connection at the till.
KEEP_FOR = timedelta(days=2)


class IdempotencyKeyMissing(Problem):
    status, type, title = 400, "/problems/idempotency-key-missing", "Idempotency-Key header required"


class IdempotencyKeyReused(ValidationFailed):
    type, title = "/problems/idempotency-key-reused", "Idempotency-Key already used for another request"


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_record"

    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    body: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Replayed(Exception):  # noqa: N818 - not an error: the answer to send instead of ours
    """This key was answered first by another request: send that answer, keep nothing of ours."""

    def __init__(self, status: int, body: dict):
        super().__init__(status)
        self.status, self.body = status, body


def valid_key(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise IdempotencyKeyMissing("Send a unique Idempotency-Key header with every redemption, and the same one "
                                    "when you retry it.")
    key = raw.strip()
    if len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise IdempotencyKeyMissing(f"The Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.")
    return key


def fingerprint(method: str, path: str, payload: dict) -> str:
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@cache
def _insert(dialect: str):
    table = IdempotencyRecord.__table__
    return (upsert(table).on_conflict_do_nothing(index_elements=["scope", "key"])
            .returning(table.c.key))


def _first(scope: str, key: str):
    return db.session.execute(select(IdempotencyRecord.fingerprint, IdempotencyRecord.status,
                                     IdempotencyRecord.body)
                              .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)).first()


def _replay(first, fp: str):
    if first.fingerprint != fp:
        raise IdempotencyKeyReused("This Idempotency-Key was used for a different request; use a new key.")
    raise Replayed(first.status, first.body)


def record(scope: str, key: str, fp: str, status: int, body: dict, now: datetime) -> None:
    """Store this request's answer under its key, in the transaction that did the work.

    Raises Replayed when the key was answered first by another request. A concurrent first
    request still running makes the INSERT wait for its commit (PostgreSQL's unique index,
    SQLite's write lock)."""
    dialect = db.session.get_bind().dialect.name
    stored = db.session.execute(_insert(dialect), {"scope": scope, "key": key, "fingerprint": fp, "status": status,
                                                   "body": body, "created_at": now}).scalar_one_or_none()
    if stored is not None:
        return
    _replay(_first(scope, key), fp)


def forget_old(now: datetime | None = None) -> int:
    """Housekeeping (flask idempotency purge): keys older than KEEP_FOR."""
    cutoff = (now or utcnow()) - KEEP_FOR
    return db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount


