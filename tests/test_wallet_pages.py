"""The wallet API's pages: each page and the shelf's size come from one statement, so both must
still be right on the last page, past the end, and on a shelf with nothing on it."""

from __future__ import annotations

import json
from datetime import date, timedelta

from core.db import db, utcnow
from core.identity.models import Role
from merchant.models import CouponStatus, WalletCoupon


def _page(client, query: str):
    response = client.get(f"/api/wallet/coupons?{query}")
    assert response.status_code == 200, response.get_json()
    return [c["id"] for c in response.json], json.loads(response.headers["X-Pagination"])["total"]


def test_every_page_of_a_shelf_counts_the_whole_shelf(app, signed_in, make_campaign):
    client, resident_id = signed_in(Role.RESIDENT)
    now = utcnow()
    with app.app_context():
        campaign = make_campaign()
        ids = []
        for i in range(5):
            coupon = WalletCoupon(resident_id=resident_id, campaign_id=campaign.id, merchant_id=campaign.merchant_id,
                                  collected_at=now - timedelta(days=1), drop_date=date(2026, 1, 1) + timedelta(i),
                                  expires_at=now + timedelta(days=i + 1), status=CouponStatus.USABLE)
            db.session.add(coupon)
            db.session.flush()
            ids.append(coupon.id)
        db.session.commit()
    assert _page(client, "page=1&page_size=2") == (ids[:2], 5)  # soonest expiry first
    assert _page(client, "page=3&page_size=2") == (ids[4:], 5)
    assert _page(client, "page=7&page_size=2") == ([], 5)
    assert _page(client, "shelf=used") == ([], 0)
