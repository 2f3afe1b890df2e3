"""Idempotency-Key for requests that must happen once (a redemption at the till).

The key's row is inserted first, in the same transaction as the work, and its answer stored
before commit. A retry that arrives after the commit finds the answer; one that arrives while
the first is still running waits on the row's unique index (PostgreSQL) or on the write lock
(SQLite), then finds it. Either way it gets the first answer: same status, same body. A key
reused for a different request is refused, never answered with someone else's result.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, String, delete, select, update
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


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict


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


def claim_key(scope: str, key: str, fp: str, now: datetime) -> Replay | None:
    """None if this request owns the key now; the stored answer if it was answered before."""
    inserted = db.session.execute(
        upsert(IdempotencyRecord).values(scope=scope, key=key, fingerprint=fp, created_at=now)
        .on_conflict_do_nothing(index_elements=["scope", "key"]).returning(IdempotencyRecord.key)
    ).scalar_one_or_none()
    if inserted is not None:
        return None
    record = db.session.execute(select(IdempotencyRecord.fingerprint, IdempotencyRecord.status,
                                       IdempotencyRecord.body)
                                .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)).one()
    if record.fingerprint != fp:
        raise IdempotencyKeyReused("This Idempotency-Key was used for a different request; use a new key.")
    return Replay(record.status, record.body)


def store_answer(scope: str, key: str, status: int, body: dict) -> None:
    db.session.execute(update(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
                       .values(status=status, body=body))


def forget_old(now: datetime | None = None) -> int:
    """Housekeeping (flask idempotency purge): keys older than KEEP_FOR."""
    cutoff = (now or utcnow()) - KEEP_FOR
    return db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount


