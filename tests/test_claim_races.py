"""Claims under real concurrency: threads released together against PostgreSQL and SQLite,
then the database is counted. Inventory, per-resident limits and the daily budget must hold."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.db import db, utcnow
from merchant.claims import BUDGET_USED, LIMIT_REACHED, SOLD_OUT, ClaimRefused, claim
from merchant.models import Campaign, ClaimCount, DailyDrops, EntryKind, LedgerEntry, WalletCoupon
from tests.conftest import make_residents
from tests.races import race

TODAY = date(2026, 11, 20)


def _claim(campaign_id: int, resident_id: int, *, day: date = TODAY, budget: int = 5):
    campaign = db.session.get(Campaign, campaign_id)
    return claim(resident_id=resident_id, campaign=campaign, fence_id=None, now=utcnow(), local_day=day,
                 daily_budget=budget, tz=ZoneInfo("Asia/Shanghai"))


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_200_claimers_on_inventory_100_get_exactly_100(app, make_campaign):
    with app.app_context():
        campaign_id = make_campaign(inventory_total=100).id
        residents = make_residents(200)
        db.session.commit()
    results = race(app, 200, lambda i: _claim(campaign_id, residents[i]).id)
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, ClaimRefused) and r.reason == SOLD_OUT for r in refused), refused[:3]
    assert len(refused) == 100
    with app.app_context():
        assert _count(WalletCoupon, WalletCoupon.campaign_id == campaign_id) == 100
        assert db.session.get(Campaign, campaign_id).remaining == 0
        assert _count(ClaimCount, ClaimCount.campaign_id == campaign_id, ClaimCount.n == 1) == 100
        assert db.session.scalar(select(func.sum(DailyDrops.n))) == 100  # the refused left no trace
        # Every collection is in the merchant's ledger once, and no refused claim is.
        collected = _count(LedgerEntry, LedgerEntry.campaign_id == campaign_id, LedgerEntry.kind == EntryKind.COLLECTED)
        assert collected == 100


def test_one_resident_racing_itself_never_exceeds_the_limit(app, make_campaign):
    with app.app_context():
        campaign_id = make_campaign(inventory_total=1000, per_resident_limit=3).id
        (resident,) = make_residents(1)
        db.session.commit()
    # Thirty attempts on ten different days: the limit of three must hold across them all.
    results = race(app, 30, lambda i: _claim(campaign_id, resident, day=TODAY + timedelta(days=i % 10)).id)
    assert sum(not isinstance(r, Exception) for r in results) == 3
    assert {r.reason for r in results if isinstance(r, ClaimRefused)} <= {LIMIT_REACHED, "already_today"}
    with app.app_context():
        assert _count(WalletCoupon, WalletCoupon.resident_id == resident) == 3
        assert db.session.get(Campaign, campaign_id).remaining == 997
        assert db.session.scalar(select(ClaimCount.n)) == 3


def test_the_daily_budget_holds_across_merchants_under_concurrency(app, make_campaign):
    with app.app_context():
        campaigns = [make_campaign(inventory_total=10).id for _ in range(12)]
        (resident,) = make_residents(1)
        db.session.commit()
    results = race(app, 12, lambda i: _claim(campaigns[i], resident, budget=5).id)
    assert sum(not isinstance(r, Exception) for r in results) == 5
    assert {r.reason for r in results if isinstance(r, Exception)} == {BUDGET_USED}
    with app.app_context():
        assert _count(WalletCoupon, WalletCoupon.resident_id == resident) == 5
        assert db.session.scalar(select(func.sum(Campaign.inventory_total - Campaign.remaining))) == 5
        assert db.session.scalar(select(DailyDrops.n)) == 5


def test_repeated_claim_the_same_day_drops_nothing_more(app, make_campaign):
    with app.app_context():
        campaign_id = make_campaign(inventory_total=10, per_resident_limit=5).id
        (resident,) = make_residents(1)
        db.session.commit()
    results = race(app, 10, lambda i: _claim(campaign_id, resident).id)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).remaining == 9
