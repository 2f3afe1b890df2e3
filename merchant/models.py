"""Coupon campaigns and the coupons they issue: the merchant domain owns the coupon lifecycle.

A coupon (WalletCoupon) sits in a resident's card wallet, but every change to it - the claim,
the redemption, a void - is a merchant operation (claims.py, redemption.py), because each one
moves the campaign's inventory or the ledger in the same transaction. The counters exist so that
the database, not Python, decides: each claim is a handful of conditional statements.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, str_enum, utcnow
from merchant.tokens import new_secret


class CampaignStatus(enum.StrEnum):
    """What the owner decided. Whether a published campaign is scheduled, live or over follows
    from the clock (merchant.rules.display_status)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"
    ENDED = "ended"


class EndPolicy(enum.StrEnum):
    HONOUR = "honour"  # unredeemed coupons stay usable until they expire
    VOID = "void"  # unredeemed coupons stop working when the campaign ends


class DiscountKind(enum.StrEnum):
    AMOUNT = "amount"
    PERCENT = "percent"


class Campaign(db.Model):
    __tablename__ = "campaign"
    __table_args__ = (
        # The database, not Python, keeps inventory honest (see wallet claims).
        CheckConstraint("remaining >= 0 AND remaining <= inventory_total", name="inventory"),
        CheckConstraint("per_resident_limit >= 1", name="per_resident_limit"),
        CheckConstraint("percent_cap_cents IS NULL OR percent_cap_cents > 0", name="percent_cap"),
        CheckConstraint("(status = 'ended') = (end_policy IS NOT NULL)", name="ended_with_policy"),
        CheckConstraint("ends_at > starts_at", name="window"),
        CheckConstraint("min_spend_cents >= 0 AND coupon_valid_s > 0", name="terms"),
        CheckConstraint(
            "(discount_kind = 'amount' AND amount_off_cents > 0 AND percent_off IS NULL)"
            " OR (discount_kind = 'percent' AND percent_off BETWEEN 1 AND 99 AND amount_off_cents IS NULL)",
            name="discount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # The title and description in each language the owner gave them; title and description above
    # hold the primary text (merchant/texts.py).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    discount_kind: Mapped[DiscountKind] = mapped_column(str_enum(DiscountKind, "discount_kind"))
    amount_off_cents: Mapped[int | None]
    percent_off: Mapped[int | None]
    percent_cap_cents: Mapped[int | None]
    min_spend_cents: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    coupon_valid_s: Mapped[int] = mapped_column(default=7 * 24 * 3600)
    inventory_total: Mapped[int]
    remaining: Mapped[int]
    per_resident_limit: Mapped[int] = mapped_column(default=1)
    status: Mapped[CampaignStatus] = mapped_column(str_enum(CampaignStatus, "campaign_status"),
                                                  default=CampaignStatus.DRAFT, index=True)
    # [{"days": [0..6 Monday first], "start": "18:00", "end": "21:00"}] in the district's time zone;
    # an empty list drops coupons at any time during the campaign.
    airdrop_windows: Mapped[list[dict]] = mapped_column(JSON, default=list)
    end_policy: Mapped[EndPolicy | None] = mapped_column(str_enum(EndPolicy, "end_policy"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic lock: an edit made from a stale read (the campaign was published meanwhile on
    # another phone) fails instead of changing terms that residents already collected under.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    # Loaded with selectinload() where campaigns are shown to their owner; nowhere else.
    targets: Mapped[list[CampaignTarget]] = relationship(lazy="select", order_by="CampaignTarget.fence_id",
                                                         viewonly=True)

    @property
    def target_fence_ids(self) -> list[int]:
        return [t.fence_id for t in self.targets]

    @property
    def collected(self) -> int:
        return self.inventory_total - self.remaining


class CampaignTarget(db.Model):
    """The geofences a campaign drops in (the fence table belongs to geofence/, named by string)."""

    __tablename__ = "campaign_target"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    fence_id: Mapped[int] = mapped_column(ForeignKey("fence.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)


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
    # The coupon's own TOTP secret (merchant.tokens): the phone draws rotating codes from it offline.
    totp_secret: Mapped[str] = mapped_column(String(32), default=new_secret)
    # Wrong codes tried against this coupon since its last redemption; at the limit its rotating
    # codes are refused until codes_locked_until (merchant.redemption), so guessing stays hopeless.
    wrong_codes: Mapped[int] = mapped_column(default=0, server_default="0")
    codes_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


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


# The ledger (merchant.ledger appends to it): every collection, redemption, refusal and void.
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
