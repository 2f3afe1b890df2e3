"""Four weeks of trade at the demo noodle shop, so its dashboard and statement have a story.

Everything goes through the same tables the app writes (coupons, the ledger), so the demo's
figures reconcile like real ones. Deterministic: the same district every time.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from core.db import db
from core.identity.models import Role, User
from merchant import ledger
from merchant.models import Campaign, ClaimCount, CouponStatus, EntryKind, WalletCoupon
from merchant.rules import discount_cents

NEIGHBOURS = 220  # each collects once: the campaign allows one coupon per resident
DAYS = 28
# Collections follow the airdrop windows (evenings, weekend days); meals follow mealtimes.
COLLECT_HOURS = [11, 12, 17, 18, 18, 19, 19, 20, 20, 21]
MEAL_HOURS = [7, 8, 11, 12, 12, 13, 17, 18, 18, 19, 19, 20]


def load_history(*, campaign: Campaign, cashier_id: int, password_hash: str, now: datetime, tz: ZoneInfo) -> int:
    rng = random.Random(2026)
    created = now - timedelta(days=DAYS + 1)
    db.session.execute(insert(User), [
        {"email": f"neighbour{i:02d}@linli.demo", "password_hash": password_hash, "display_name": f"Neighbour {i}",
         "role": Role.RESIDENT, "large_text": False, "active": True, "session_version": 1, "revision": 1,
         "created_at": created} for i in range(1, NEIGHBOURS + 1)])
    residents = list(db.session.scalars(select(User.id).where(User.email.like("neighbour%@linli.demo"))
                                        .order_by(User.id)))
    rng.shuffle(residents)
    today = now.astimezone(tz).date()
    entries = 0
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        for _ in range(rng.randint(2, 7) + (4 if day.weekday() >= 5 else 0)):
            resident = residents.pop()
            collected = datetime.combine(day, time(rng.choice(COLLECT_HOURS), rng.randrange(60)), tz)
            coupon = WalletCoupon(resident_id=resident, campaign_id=campaign.id, merchant_id=campaign.merchant_id,
                                  collected_at=collected, drop_date=day,
                                  expires_at=collected + timedelta(seconds=campaign.coupon_valid_s))
            db.session.add(coupon)
            db.session.flush()
            ledger.append(kind=EntryKind.COLLECTED, at=collected, tz=tz, merchant_id=campaign.merchant_id,
                          campaign_id=campaign.id, coupon_id=coupon.id)
            db.session.add(ClaimCount(campaign_id=campaign.id, resident_id=resident, n=1))
            campaign.remaining -= 1
            entries += 1
            if rng.random() > 0.6:
                continue  # not used (yet)
            used_day = day + timedelta(days=rng.randint(0, 3))
            if used_day >= today:
                continue  # still in the wallet
            redeemed = datetime.combine(used_day, time(rng.choice(MEAL_HOURS), rng.randrange(60)), tz)
            if redeemed <= collected:
                redeemed = collected + timedelta(hours=1)
            bill = rng.randrange(campaign.min_spend_cents, campaign.min_spend_cents + 6000, 50)
            discount = discount_cents(kind=campaign.discount_kind, amount_off_cents=campaign.amount_off_cents,
                                      percent_off=campaign.percent_off, percent_cap_cents=campaign.percent_cap_cents,
                                      bill_cents=bill)
            coupon.status, coupon.redeemed_at = CouponStatus.REDEEMED, redeemed
            db.session.flush()
            entry = ledger.append(kind=EntryKind.REDEEMED, at=redeemed, tz=tz, merchant_id=campaign.merchant_id,
                                  campaign_id=campaign.id, coupon_id=coupon.id, actor_id=cashier_id,
                                  bill_cents=bill, discount_cents=discount, reason="camera")
            entries += 1
            if rng.random() < 0.04:  # now and then a mistake at the till, voided on the spot
                coupon.status, coupon.redeemed_at = CouponStatus.USABLE, None
                db.session.flush()
                ledger.append(kind=EntryKind.VOIDED, at=redeemed + timedelta(minutes=2), tz=tz,
                              merchant_id=campaign.merchant_id, campaign_id=campaign.id, coupon_id=coupon.id,
                              actor_id=cashier_id, bill_cents=bill, discount_cents=discount, reverses_id=entry)
                entries += 1
    return entries
