"""The merchant's ledger: every collection, redemption, refusal and void, appended and never changed.

Every figure the dashboard and the settlement statement show is computed from these rows, so
the two cannot disagree with each other or with what happened. Nothing updates or deletes an
entry: a mistake at the till is corrected by a void entry that points at the redemption. Each
entry also carries its local date, weekday and hour in the district's time zone, so peak-hour
figures group by plain columns on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.db import db
from merchant import statements
from merchant.models import EntryKind


def entry_values(*, kind: EntryKind, at: datetime, tz: ZoneInfo, merchant_id: int, **fields) -> dict:
    local = at.astimezone(tz)
    return {"kind": kind, "at": at, "local_date": local.date(), "local_weekday": local.weekday(),
            "local_hour": local.hour, "merchant_id": merchant_id, **fields}


def row(**fields) -> dict:
    """Every column of one entry (those not given are NULL)."""
    values = dict.fromkeys(statements.ledger_columns())
    values.update(entry_values(**fields))
    return values


def append(**fields) -> int:
    """One entry, by a plain Core INSERT built once (this is on every hot path)."""
    return db.session.execute(statements.ledger_insert(), row(**fields)).scalar_one()
