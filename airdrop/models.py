"""The one thing the airdrop keeps about a resident: the last accepted fix, for a few minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db


class LastFix(db.Model):
    """One row per resident, overwritten by each check-in; readers ignore it after `expires_at`
    and the purge deletes it (airdrop/last_fix.py). Used only when REDIS_URL is unset."""

    __tablename__ = "airdrop_last_fix"

    resident_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    lat: Mapped[float]
    lon: Mapped[float]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Presence(db.Model):
    """Proof of presence (airdrop/presence.py): the resident scanned this fence's screen code and
    counts as there until `until`. One row per resident, overwritten by the next scan; readers ignore
    it after `until`, and scans delete expired rows. Only the fence and a time, as on a coupon."""

    __tablename__ = "airdrop_presence"

    resident_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    fence_id: Mapped[int] = mapped_column(ForeignKey("fence.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
