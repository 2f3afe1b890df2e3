"""The card wallet: coupons residents collected, and the counters that keep claims within limits.

The counters exist so that the database, not Python, decides: each claim is a handful of
conditional statements (see wallet.operations.claim), safe under any concurrency.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, str_enum
from wallet.tokens import new_secret


class CouponStatus(enum.StrEnum):
    USABLE = "usable"
    REDEEMED = "redeemed"
    VOIDED = "voided"


class WalletCoupon(db.Model):
    __tablename__ = "wallet_coupon"
    __table_args__ = (
        # One drop of a campaign per resident per local day: repeating a check-in drops nothing more.
        UniqueConstraint("campaign_id", "resident_id", "drop_date", name="one_drop_a_day"),
        CheckConstraint("expires_at > collected_at", name="validity"),
        CheckConstraint("(status = 'redeemed') = (redeemed_at IS NOT NULL)", name="redeemed"),
        Index("ix_wallet_coupon_resident_status", "resident_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id", ondelete="CASCADE"), index=True)
    # Where and when it dropped: the only trace of the resident's position we keep.
    fence_id: Mapped[int | None] = mapped_column(ForeignKey("fence.id", ondelete="SET NULL"))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    drop_date: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[CouponStatus] = mapped_column(str_enum(CouponStatus, "coupon_status"),
                                                 default=CouponStatus.USABLE)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(40))
    # The coupon's own TOTP secret (wallet.tokens): the phone draws rotating codes from it offline.
    totp_secret: Mapped[str] = mapped_column(String(32), default=new_secret)


class PrintedCode(db.Model):
    """A coupon printed on paper for a resident without a smartphone: one code, used once.

    Printing again replaces the code, so a lost slip can be cancelled by printing a new one.
    """

    __tablename__ = "printed_code"

    coupon_id: Mapped[int] = mapped_column(ForeignKey("wallet_coupon.id", ondelete="CASCADE"), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    printed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClaimCount(db.Model):
    """How many coupons of a campaign a resident holds: the per-resident limit's counter."""

    __tablename__ = "claim_count"
    __table_args__ = (CheckConstraint("n >= 0", name="non_negative"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


class DailyDrops(db.Model):
    """Airdropped coupons per resident per local day: the district-wide fairness budget."""

    __tablename__ = "daily_drops"
    __table_args__ = (CheckConstraint("n >= 0", name="non_negative"),)

    resident_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(default=0)
