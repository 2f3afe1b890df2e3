"""A merchant business and its coupon campaigns."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, str_enum, utcnow


class Merchant(db.Model):
    __tablename__ = "merchant"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255))
    lat: Mapped[float]
    lon: Mapped[float]
    opening_hours: Mapped[str] = mapped_column(String(255), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
