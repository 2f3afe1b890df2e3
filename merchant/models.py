"""A merchant business and its coupon campaigns."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


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
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    LIVE = "live"
    PAUSED = "paused"
    ENDED = "ended"


class DiscountKind(enum.StrEnum):
    AMOUNT = "amount"
    PERCENT = "percent"


class Campaign(db.Model):
    __tablename__ = "campaign"
    __table_args__ = (
        # The database, not Python, keeps inventory honest (see wallet claims).
        CheckConstraint("remaining >= 0 AND remaining <= inventory_total", name="inventory"),
        CheckConstraint("per_resident_limit >= 1", name="per_resident_limit"),
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
    discount_kind: Mapped[DiscountKind] = mapped_column(
        Enum(DiscountKind, name="discount_kind", values_callable=lambda e: [m.value for m in e],
             native_enum=False, create_constraint=True, length=16))
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
    status: Mapped[CampaignStatus] = mapped_column(
        Enum(CampaignStatus, name="campaign_status", values_callable=lambda e: [m.value for m in e],
             native_enum=False, create_constraint=True, length=16), default=CampaignStatus.DRAFT, index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
