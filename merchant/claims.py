"""Claims: taking a coupon from a campaign's inventory into a resident's wallet.

A claim is four conditional statements, each decided by the database under any concurrency:
  1. the coupon row, unique per campaign, resident and local day (repeats drop nothing);
  2. the resident's counter for the campaign, raised only while below the per-resident limit;
  3. the resident's counter for the day, raised only while below the fairness budget;
  4. the campaign's inventory, lowered only while above zero and while the campaign is live.
When a later step refuses, the earlier ones are undone by equally atomic statements, so a
refused claim leaves nothing behind and one check-in can keep the coupons it did get. A claim
that succeeds appends its collection to the merchant's ledger in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update

from core.db import db, upsert
from merchant import ledger, statements
from merchant.models import Campaign, CampaignStatus, ClaimCount, CouponStatus, DailyDrops, EntryKind, WalletCoupon
from merchant.signals import coupon_claimed

ALREADY_TODAY = "already_today"
LIMIT_REACHED = "limit_reached"
BUDGET_USED = "budget_used"
SOLD_OUT = "sold_out"


class ClaimRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def claim(*, resident_id: int, campaign: Campaign, fence_id: int | None, now: datetime, local_day: date,
          daily_budget: int, tz: ZoneInfo) -> WalletCoupon:
    coupon_id = db.session.execute(
        upsert(WalletCoupon)
        .values(resident_id=resident_id, campaign_id=campaign.id, merchant_id=campaign.merchant_id,
                fence_id=fence_id, collected_at=now, drop_date=local_day,
                expires_at=now + timedelta(seconds=campaign.coupon_valid_s), status=CouponStatus.USABLE)
        .on_conflict_do_nothing(index_elements=["campaign_id", "resident_id", "drop_date"])
        .returning(WalletCoupon.id)
    ).scalar_one_or_none()
    if coupon_id is None:
        raise ClaimRefused(ALREADY_TODAY)

    undo = [delete(WalletCoupon).where(WalletCoupon.id == coupon_id)]
    held = upsert(ClaimCount).values(campaign_id=campaign.id, resident_id=resident_id, n=1)
    if db.session.execute(
        held.on_conflict_do_update(index_elements=["campaign_id", "resident_id"], set_={"n": ClaimCount.n + 1},
                                   where=ClaimCount.n < campaign.per_resident_limit)
        .returning(ClaimCount.n)
    ).scalar_one_or_none() is None:
        _undo(undo)
        raise ClaimRefused(LIMIT_REACHED)

    undo.append(update(ClaimCount).where(ClaimCount.campaign_id == campaign.id, ClaimCount.resident_id == resident_id)
                .values(n=ClaimCount.n - 1))
    today = upsert(DailyDrops).values(resident_id=resident_id, day=local_day, n=1)
    if db.session.execute(
        today.on_conflict_do_update(index_elements=["resident_id", "day"], set_={"n": DailyDrops.n + 1},
                                    where=DailyDrops.n < daily_budget)
        .returning(DailyDrops.n)
    ).scalar_one_or_none() is None:
        _undo(undo)
        raise ClaimRefused(BUDGET_USED)

    undo.append(update(DailyDrops).where(DailyDrops.resident_id == resident_id, DailyDrops.day == local_day)
                .values(n=DailyDrops.n - 1))
    if db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.remaining > 0, Campaign.status == CampaignStatus.PUBLISHED,
               Campaign.starts_at <= now, Campaign.ends_at > now)
        .values(remaining=Campaign.remaining - 1)
        .returning(Campaign.id)
    ).scalar_one_or_none() is None:
        _undo(undo)
        raise ClaimRefused(SOLD_OUT)

    # Only now, when nothing can be undone any more: the ledger is never rewritten.
    ledger.append(kind=EntryKind.COLLECTED, at=now, tz=tz, merchant_id=campaign.merchant_id,
                  campaign_id=campaign.id, coupon_id=coupon_id)
    coupon = db.session.get(WalletCoupon, coupon_id)
    coupon_claimed.send(coupon)
    return coupon


def _undo(statements) -> None:
    for statement in reversed(statements):
        db.session.execute(statement)


def void_unredeemed(campaign_id: int, reason: str) -> int:
    """When a campaign ends with 'void': its unredeemed coupons stop working."""
    result = db.session.execute(
        update(WalletCoupon)
        .where(WalletCoupon.campaign_id == campaign_id, WalletCoupon.status == CouponStatus.USABLE)
        .values(status=CouponStatus.VOIDED, void_reason=reason))
    return result.rowcount


def claim_state(resident_id: int, campaign_ids: list[int], day) -> tuple[dict[int, int], set[int], int]:
    """(coupons held per campaign, campaigns dropped today, airdrops used today) in one round trip."""
    counts, dropped, used = {}, set(), 0
    for campaign_id, n, kind in db.session.execute(statements.resident_claim_state(),
                                                   {"resident": resident_id, "day": day, "ids": campaign_ids}):
        if kind == "held":
            counts[campaign_id] = n
        elif kind == "today":
            dropped.add(campaign_id)
        else:
            used = n
    return counts, dropped, used
