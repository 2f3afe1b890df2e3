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


_COLUMNS = ("kind", "at", "local_date", "local_weekday", "local_hour", "merchant_id", "campaign_id", "coupon_id",
            "actor_id", "bill_cents", "discount_cents", "reason", "reverses_id")


def append(**fields) -> int:
    """One entry, by a plain Core INSERT built once (this is on every hot path)."""
    values = dict.fromkeys(_COLUMNS)
    values.update(entry_values(**fields))
    return db.session.execute(statements.ledger_insert(), values).scalar_one()
