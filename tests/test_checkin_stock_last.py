"""A check-in takes stock last (airdrop.operations, merchant.claims.take): when the stock is gone
by then, the resident's reserved rows vanish and the position is still kept for the speed check."""

from sqlalchemy import func, select, update

from core.db import db
from core.identity.models import Role
from merchant.models import Campaign, ClaimCount, DailyDrops, EntryKind, LedgerEntry, WalletCoupon
from tests.conftest import CENTRE

HERE = {"lat": CENTRE[0] + 0.0005, "lon": CENTRE[1], "accuracy_m": 12.0}
FAR = {"lat": CENTRE[0] + 0.5, "lon": CENTRE[1], "accuracy_m": 12.0}  # 55 km away, seconds later


def test_stock_gone_after_the_snapshot_leaves_nothing_but_the_fix(app, signed_in, make_fence, make_campaign):
    with app.app_context():
        fence = make_fence()
        campaign_id = make_campaign(fences=[fence.id], inventory_total=5).id
        db.session.commit()
    first, _ = signed_in(Role.RESIDENT)
    assert first.post("/api/airdrop/checkins", json=HERE).json["outcome"] == "dropped"  # the snapshot is warm
    with app.app_context():
        db.session.execute(update(Campaign).where(Campaign.id == campaign_id).values(remaining=0))
        db.session.commit()
    client, resident_id = signed_in(Role.RESIDENT)
    # The worker's snapshot still lists the campaign; the database says it is gone.
    assert client.post("/api/airdrop/checkins", json=HERE).json["outcome"] == "no_live_campaign"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WalletCoupon)
                                 .where(WalletCoupon.resident_id == resident_id)) == 0
        for counter in (ClaimCount, DailyDrops):  # counted back down: nothing spent of limit or budget
            assert not db.session.scalar(select(func.sum(counter.n)).where(counter.resident_id == resident_id))
        assert db.session.scalar(select(func.count()).select_from(LedgerEntry)
                                 .where(LedgerEntry.kind == EntryKind.COLLECTED)) == 1  # the first one's only
    assert client.post("/api/airdrop/checkins", json=FAR).json["outcome"] == "impossible_movement"


def test_the_decrement_and_its_ledger_row_go_together(app, signed_in, make_fence, make_campaign):
    with app.app_context():
        fence = make_fence()
        campaign_id = make_campaign(fences=[fence.id], inventory_total=3).id
        db.session.commit()
    for _ in range(4):
        client, _ = signed_in(Role.RESIDENT)
        client.post("/api/airdrop/checkins", json=HERE)
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).remaining == 0
        rows = db.session.execute(select(LedgerEntry.coupon_id, LedgerEntry.merchant_id, LedgerEntry.local_date)
                                  .where(LedgerEntry.campaign_id == campaign_id)).all()
        coupons = db.session.execute(select(WalletCoupon.id, WalletCoupon.merchant_id, WalletCoupon.drop_date)
                                     .where(WalletCoupon.campaign_id == campaign_id)).all()
        assert sorted(rows) == sorted(coupons) and len(rows) == 3
