"""Claims: taking a coupon from a campaign's inventory into a resident's wallet.

A claim is four conditional statements, each decided by the database under any concurrency:
  1. the coupon row, unique per campaign, resident and local day (repeats drop nothing);
  2. the resident's counter for the campaign, raised only while below the per-resident limit;
  3. the resident's counter for the day, raised only while below the fairness budget;
  4. the campaign's inventory, lowered only while above zero and while the campaign is live.
When a later step refuses, the earlier ones are undone by equally atomic statements, so a
refused claim leaves nothing behind and one check-in can keep the coupons it did get. A claim
that succeeds appends its collection to the merchant's ledger in the same transaction.

Steps 1-3 lock rows of one resident only; step 4 locks the campaign row every claimer of the
campaign needs, until the transaction ends. So a claim is two calls: `reserve` (1-3) and
`take` (4, with the ledger entry in the same statement on PostgreSQL), and a check-in reserves
everything, does the rest of its writes, and takes stock last: the hot row is then held for the
few microseconds between that statement and the request's commit, not for the whole check-in
(at 18:00 every claimer of one campaign queues on that row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select, update

from core.db import db, upsert
from merchant import ledger, statements
from merchant.models import (
    Campaign,
    CampaignStatus,
    ClaimCount,
    CouponStatus,
    DailyDrops,
    EntryKind,
    LedgerEntry,
    WalletCoupon,
)
from merchant.signals import coupon_claimed

ALREADY_TODAY = "already_today"
LIMIT_REACHED = "limit_reached"
BUDGET_USED = "budget_used"
SOLD_OUT = "sold_out"


class ClaimRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Reservation:
    """Steps 1-3 done for one coupon; `take` finishes it or undoes them."""
    coupon: WalletCoupon
    campaign: Campaign
    now: datetime
    tz: ZoneInfo
    undo: list = field(default_factory=list)


def claim(*, resident_id: int, campaign: Campaign, fence_id: int | None, now: datetime, local_day: date,
          daily_budget: int, tz: ZoneInfo) -> WalletCoupon:
    return take(reserve(resident_id=resident_id, campaign=campaign, fence_id=fence_id, now=now,
                        local_day=local_day, daily_budget=daily_budget, tz=tz))


def reserve(*, resident_id: int, campaign: Campaign, fence_id: int | None, now: datetime, local_day: date,
            daily_budget: int, tz: ZoneInfo) -> Reservation:
    """Steps 1-3: the coupon row and the resident's two counters. Raises ClaimRefused."""
    # The ORM row comes back from the INSERT itself: no second round trip to load it.
    coupon = db.session.scalars(
        upsert(WalletCoupon)
        .values(resident_id=resident_id, campaign_id=campaign.id, merchant_id=campaign.merchant_id,
                fence_id=fence_id, collected_at=now, drop_date=local_day,
                expires_at=now + timedelta(seconds=campaign.coupon_valid_s), status=CouponStatus.USABLE)
        .on_conflict_do_nothing(index_elements=["campaign_id", "resident_id", "drop_date"])
        .returning(WalletCoupon)
    ).one_or_none()
    if coupon is None:
        raise ClaimRefused(ALREADY_TODAY)

    undo = [delete(WalletCoupon).where(WalletCoupon.id == coupon.id)]
    held = upsert(ClaimCount).values(campaign_id=campaign.id, resident_id=resident_id, n=1)
    if db.session.execute(
        held.on_conflict_do_update(index_elements=["campaign_id", "resident_id"], set_={"n": ClaimCount.n + 1},
                                   where=ClaimCount.n < campaign.per_resident_limit)
        .returning(ClaimCount.n)
    ).scalar_one_or_none() is None:
        _undo(undo, coupon)
        raise ClaimRefused(LIMIT_REACHED)

    undo.append(update(ClaimCount).where(ClaimCount.campaign_id == campaign.id, ClaimCount.resident_id == resident_id)
                .values(n=ClaimCount.n - 1))
    today = upsert(DailyDrops).values(resident_id=resident_id, day=local_day, n=1)
    if db.session.execute(
        today.on_conflict_do_update(index_elements=["resident_id", "day"], set_={"n": DailyDrops.n + 1},
                                    where=DailyDrops.n < daily_budget)
        .returning(DailyDrops.n)
    ).scalar_one_or_none() is None:
        _undo(undo, coupon)
        raise ClaimRefused(BUDGET_USED)

    undo.append(update(DailyDrops).where(DailyDrops.resident_id == resident_id, DailyDrops.day == local_day)
                .values(n=DailyDrops.n - 1))
    return Reservation(coupon, campaign, now, tz, undo)


def take(reservation: Reservation) -> WalletCoupon:
    """Step 4, the one hot statement: lower the inventory and, only then, append the collection
    to the ledger (never rewritten). Raises ClaimRefused(SOLD_OUT) after undoing steps 1-3."""
    coupon, campaign, now = reservation.coupon, reservation.campaign, reservation.now
    values = ledger.entry_values(kind=EntryKind.COLLECTED, at=now, tz=reservation.tz,
                                 merchant_id=campaign.merchant_id, campaign_id=campaign.id, coupon_id=coupon.id)
    if db.session.get_bind().dialect.name == "postgresql":
        # One statement: the decrement and its ledger row commit or vanish together, and the row
        # lock is taken by the last statement before COMMIT.
        taken = db.session.execute(_take_and_record(), {"campaign_id": campaign.id, "now": now,
                                                        **{f"l_{k}": values[k] for k in _LEDGER_COLUMNS}})
        taken = taken.scalar_one_or_none()
    else:
        # SQLite has one writer at a time anyway: the database lock, not a row lock, is what waits.
        taken = db.session.execute(_take_stock(), {"campaign_id": campaign.id, "now": now}).scalar_one_or_none()
        if taken is not None:
            ledger.append(kind=EntryKind.COLLECTED, at=now, tz=reservation.tz, merchant_id=campaign.merchant_id,
                          campaign_id=campaign.id, coupon_id=coupon.id)
    if taken is None:
        _undo(reservation.undo, coupon)
        raise ClaimRefused(SOLD_OUT)
    coupon_claimed.send(coupon)
    return coupon


@cache
def _take_stock():
    c = Campaign.__table__.c
    now = bindparam("now", type_=c.starts_at.type)
    return (Campaign.__table__.update()
            .where(c.id == bindparam("campaign_id"), c.remaining > 0, c.status == CampaignStatus.PUBLISHED,
                   c.starts_at <= now, c.ends_at > now)
            .values(remaining=c.remaining - 1)
            .returning(c.id))


_LEDGER_COLUMNS = ("kind", "at", "local_date", "local_weekday", "local_hour", "merchant_id", "coupon_id")


@cache
def _take_and_record():
    """PostgreSQL: WITH taken AS (UPDATE campaign ... RETURNING id) INSERT INTO ledger_entry SELECT ..."""
    taken = _take_stock().cte("taken")
    t = LedgerEntry.__table__.c
    # Prefixed: a parameter named like a campaign column would become a SET of the UPDATE.
    rows = select(*(bindparam(f"l_{name}", type_=t[name].type) for name in _LEDGER_COLUMNS), taken.c.id)
    return (LedgerEntry.__table__.insert().from_select([*_LEDGER_COLUMNS, "campaign_id"], rows)
            .returning(t.id).add_cte(taken))


def _undo(statements, coupon: WalletCoupon) -> None:
    for statement in reversed(statements):
        db.session.execute(statement)
    if coupon in db.session:  # its row is gone: the session must not flush or refresh it
        db.session.expunge(coupon)


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
