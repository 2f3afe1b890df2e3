"""What reminders keep: residents' push subscriptions, what they follow, their settings, and one row
per push decided (the idempotency key and the daily budget's count)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


class PushSubscription(db.Model):
    """A browser's PushSubscription (one per device and browser): where to POST and its keys."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    device: Mapped[str] = mapped_column(String(120), default="")  # "Chrome on Android", from the User-Agent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ShopFollow(db.Model):
    __tablename__ = "shop_follow"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchant.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FenceFollow(db.Model):
    __tablename__ = "fence_follow"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    fence_id: Mapped[int] = mapped_column(ForeignKey("fence.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReminderSettings(db.Model):
    """A resident's kinds and quiet hours (minutes after local midnight); no row: the defaults."""

    __tablename__ = "reminder_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    airdrops: Mapped[bool] = mapped_column(default=True)
    reports: Mapped[bool] = mapped_column(default=True)
    expiring: Mapped[bool] = mapped_column(default=True)
    quiet_start_min: Mapped[int | None] = mapped_column(SmallInteger)
    quiet_end_min: Mapped[int | None] = mapped_column(SmallInteger)


class PushDecision(db.Model):
    """One row per (resident, effect): inserted before anything is sent, so no window, report change
    or coupon is pushed twice however often the job runs; `outcome` is rules.SEND or why not, and the
    day's SEND rows are the budget's count. `delivered_to`: subscription ids already sent to, so a
    retried delivery skips them. `budget_slot`: a SEND row takes the day's next slot (0, 1, 2 ...)
    under a unique key, so two jobs deciding at once cannot both take the last one; the others are
    NULL, which a unique key never compares."""

    __tablename__ = "push_decision"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_push_decision_user_key"),
                      UniqueConstraint("user_id", "local_day", "budget_slot", name="uq_push_decision_budget_slot"),
                      Index("ix_push_decision_user_day", "user_id", "local_day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    local_day: Mapped[date] = mapped_column(Date)
    budget_slot: Mapped[int | None] = mapped_column(SmallInteger)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    delivered_to: Mapped[list] = mapped_column(JSON, default=list)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
