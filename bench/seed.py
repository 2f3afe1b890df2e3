"""Bulk data for benchmarks: many fences, many residents, a big campaign (inside an app context)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from core.db import db, utcnow
from core.identity.models import Merchant, Role, User
from core.identity.passwords import hash_password
from geofence.models import Fence, FenceKind
from geofence.registry import bump_revision

# Fences are spread over a 60 x 60 km square around the district, like a city's worth of sites.
from merchant.models import Campaign, CampaignStatus, CampaignTarget, DiscountKind

CITY = (31.16, 121.50)


def add_fences(n: int, *, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = utcnow()
    rows = []
    for i in range(n):
        lat = CITY[0] + rng.uniform(-0.27, 0.27)
        lon = CITY[1] + rng.uniform(-0.31, 0.31)
        if i % 10 == 0:  # one in ten is a small polygon
            d = rng.uniform(0.001, 0.003)
            polygon = {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d],
                                                          [lon - d, lat + d], [lon - d, lat - d]]]}
            rows.append({"name": f"Site {i}", "kind": FenceKind.POLYGON, "center_lat": lat, "center_lon": lon,
                         "radius_m": None, "polygon": polygon, "active": True, "created_at": now,
                         "updated_at": now})
        else:
            rows.append({"name": f"Site {i}", "kind": FenceKind.CIRCLE, "center_lat": lat, "center_lon": lon,
                         "radius_m": rng.uniform(50, 400), "polygon": None, "active": True, "created_at": now,
                         "updated_at": now})
    for start in range(0, n, 5000):
        db.session.execute(insert(Fence), rows[start:start + 5000])
    bump_revision()


def add_residents(n: int, password: str, *, prefix: str) -> list[str]:
    hashed = hash_password(password)
    emails = [f"{prefix}{i}@linli.bench" for i in range(n)]
    now = utcnow()
    db.session.execute(insert(User), [
        {"email": e, "password_hash": hashed, "display_name": f"Bench {i}", "role": Role.RESIDENT,
         "large_text": False, "active": True, "session_version": 1, "revision": 1, "created_at": now}
        for i, e in enumerate(emails)])
    return emails


def add_storm_campaign(inventory: int) -> tuple[int, int]:
    """A fence of its own, far from the demo, with one always-open campaign. (fence id, campaign id)"""
    now = utcnow()
    fence = Fence(name="Storm square", kind=FenceKind.CIRCLE, center_lat=30.50, center_lon=120.50, radius_m=500)
    merchant = Merchant(name="Storm Noodles", address="1 Storm Road", lat=30.5005, lon=120.50, tags=["noodles"])
    db.session.add_all([fence, merchant])
    db.session.flush()
    campaign = Campaign(merchant_id=merchant.id, title="Storm deal", discount_kind=DiscountKind.AMOUNT,
                        amount_off_cents=500, min_spend_cents=0, starts_at=now - timedelta(hours=1),
                        ends_at=now + timedelta(days=1), inventory_total=inventory, remaining=inventory,
                        per_resident_limit=1, status=CampaignStatus.PUBLISHED, airdrop_windows=[])
    db.session.add(campaign)
    db.session.flush()
    db.session.add(CampaignTarget(campaign_id=campaign.id, fence_id=fence.id))
    bump_revision()
    return fence.id, campaign.id


def storm_result(campaign_id: int) -> tuple[int, int, int]:
    """(inventory, remaining, coupons in wallets) as the database holds them."""
    from sqlalchemy import func

    from merchant.models import WalletCoupon

    campaign = db.session.get(Campaign, campaign_id)
    held = db.session.scalar(select(func.count(WalletCoupon.id)).where(WalletCoupon.campaign_id == campaign_id))
    return campaign.inventory_total, campaign.remaining, held
