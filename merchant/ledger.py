"""The merchant's ledger: every collection, redemption, refusal and void, appended and never changed.

Every figure the dashboard and the settlement statement show is computed from these rows, so
the two cannot disagree with each other or with what happened. Nothing updates or deletes an
entry: a mistake at the till is corrected by a void entry that points at the redemption. Each
entry also carries its local date, weekday and hour in the district's time zone, so peak-hour
figures group by plain columns on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, insert
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, str_enum


class EntryKind(enum.StrEnum):
    COLLECTED = "collected"
    REDEEMED = "redeemed"
    REFUSED = "refused"
    VOIDED = "voided"


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint("(kind IN ('redeemed', 'voided')) = (bill_cents IS NOT NULL AND discount_cents IS NOT NULL)",
                        name="money"),
        CheckConstraint("(kind = 'voided') = (reverses_id IS NOT NULL)", name="void_reverses"),
        CheckConstraint("discount_cents IS NULL OR (discount_cents >= 0 AND discount_cents <= bill_cents)",
                        name="discount_within_bill"),
        Index("ix_ledger_entry_merchant_kind_at", "merchant_id", "kind", "at"),
        Index("ix_ledger_entry_merchant_date", "merchant_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "entry_kind"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)
    local_weekday: Mapped[int] = mapped_column(SmallInteger)  # Monday 0
    local_hour: Mapped[int] = mapped_column(SmallInteger)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="RESTRICT"))
    # No foreign key: the ledger outlives anything it mentions, and is never rewritten for it.
    coupon_id: Mapped[int | None] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    bill_cents: Mapped[int | None]
    discount_cents: Mapped[int | None]
    # refused: why; redeemed: how the code came in (camera, photo, typed, printed).
    reason: Mapped[str | None] = mapped_column(String(40))
    # A void names the redemption it reverses; unique, so a redemption is voided at most once.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entry.id", deferrable=True, initially="DEFERRED"), unique=True)


def entry_values(*, kind: EntryKind, at: datetime, tz: ZoneInfo, merchant_id: int, **fields) -> dict:
    local = at.astimezone(tz)
    return {"kind": kind, "at": at, "local_date": local.date(), "local_weekday": local.weekday(),
            "local_hour": local.hour, "merchant_id": merchant_id, **fields}


_COLUMNS = ("kind", "at", "local_date", "local_weekday", "local_hour", "merchant_id", "campaign_id", "coupon_id",
            "actor_id", "bill_cents", "discount_cents", "reason", "reverses_id")


@cache
def _insert():
    return insert(LedgerEntry.__table__).returning(LedgerEntry.__table__.c.id)


def append(**fields) -> int:
    """One entry, by a plain Core INSERT built once (this is on every hot path)."""
    values = dict.fromkeys(_COLUMNS)
    values.update(entry_values(**fields))
    return db.session.execute(_insert(), values).scalar_one()
