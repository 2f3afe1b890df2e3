"""Check-ins through the API: what drops, why, and what is refused."""

from datetime import timedelta

from sqlalchemy import select, text

from core.db import db, utcnow
from core.identity.models import Role
from merchant.models import Campaign, WalletCoupon
from tests.conftest import CENTRE

HERE = {"lat": CENTRE[0] + 0.0005, "lon": CENTRE[1], "accuracy_m": 12.0}


def _setup(app, make_fence, make_campaign, make_merchant, n=1, **terms):
    with app.app_context():
        fence = make_fence()
        ids = [make_campaign(fences=[fence.id], merchant_id=make_merchant(tags=[f"tag{i}"]).id, **terms).id
               for i in range(n)]
        db.session.commit()
        return fence.id, ids


def test_walking_into_the_fence_drops_ranked_coupons_with_reasons(app, signed_in, make_fence, make_campaign,
                                                                   make_merchant):
    fence_id, campaign_ids = _setup(app, make_fence, make_campaign, make_merchant, n=4)
    client, resident_id = signed_in(Role.RESIDENT)
    response = client.post("/api/airdrop/checkins", json=HERE)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["outcome"] == "dropped" and body["fences"][0]["id"] == fence_id
    assert len(body["dropped"]) == 3  # the top three of four
    scores = [d["score"] for d in body["dropped"]]
    assert scores == sorted(scores, reverse=True)
    assert all({"distance", "value"} <= {r["code"] for r in d["reasons"]} for d in body["dropped"])
    wallet = client.get("/api/wallet/coupons").json
    assert sorted(c["id"] for c in wallet) == sorted(d["coupon_id"] for d in body["dropped"])
    # The same check-in again: nothing more (one more campaign is left, within today's budget of 5).
    again = client.post("/api/airdrop/checkins", json=HERE).json
    assert again["outcome"] == "dropped" and len(again["dropped"]) == 1
    third = client.post("/api/airdrop/checkins", json=HERE).json
    assert third["outcome"] == "nothing_new" and third["dropped"] == []


def test_history_of_redemptions_ranks_favourite_shops_first(app, signed_in, make_fence, make_campaign,
                                                            make_merchant):
    client, resident_id = signed_in(Role.RESIDENT)
    with app.app_context():
        fence = make_fence()
        tea = make_merchant(tags=["tea"], lat=CENTRE[0] + 0.004, lon=CENTRE[1])  # farther away
        # A tag with no hours of its own (airdrop.rules.TAG_HOURS): noodles would win at lunchtime.
        noodles = make_merchant(tags=["florist"], lat=CENTRE[0], lon=CENTRE[1])
        old = make_campaign(merchant_id=tea.id, fences=[])
        now = utcnow()
        db.session.add(WalletCoupon(resident_id=resident_id, campaign_id=old.id, merchant_id=tea.id,
                                    collected_at=now - timedelta(days=3), drop_date=(now - timedelta(days=3)).date(),
                                    expires_at=now + timedelta(days=3), status="redeemed", redeemed_at=now))
        tea_id = make_campaign(merchant_id=tea.id, fences=[fence.id]).id
        make_campaign(merchant_id=noodles.id, fences=[fence.id])
        db.session.commit()
    app.config["AIRDROP_TOP_N"] = 1
    body = client.post("/api/airdrop/checkins", json=HERE).json
    assert [d["campaign_id"] for d in body["dropped"]] == [tea_id]
    assert {"code": "you_like", "tags": ["tea"]} in body["dropped"][0]["reasons"]


def test_outside_every_fence(app, signed_in, make_fence, make_campaign, make_merchant):
    _setup(app, make_fence, make_campaign, make_merchant)
    client, _ = signed_in(Role.RESIDENT)
    body = client.post("/api/airdrop/checkins", json={"lat": 31.30, "lon": 121.60, "accuracy_m": 10.0}).json
    assert body["outcome"] == "outside" and body["dropped"] == [] and "outside" in body["message"]


def test_poor_accuracy_and_spoofed_jumps_are_refused(app, signed_in, make_fence, make_campaign, make_merchant):
    _setup(app, make_fence, make_campaign, make_merchant)
    client, _ = signed_in(Role.RESIDENT)
    poor = client.post("/api/airdrop/checkins", json={**HERE, "accuracy_m": 500.0}).json
    assert poor["outcome"] == "poor_accuracy" and poor["dropped"] == []
    far = client.post("/api/airdrop/checkins", json={"lat": 31.40, "lon": 121.80, "accuracy_m": 10.0}).json
    assert far["outcome"] == "outside"
    jump = client.post("/api/airdrop/checkins", json=HERE).json  # 40 km in a second
    assert jump["outcome"] == "impossible_movement" and jump["dropped"] == []
    with app.app_context():
        assert db.session.scalar(select(WalletCoupon.id)) is None


def test_closed_window_says_when_the_next_one_opens(app, signed_in, make_fence, make_campaign, make_merchant):
    now_local_day = (utcnow() + timedelta(hours=8)).weekday()
    other_days = [d for d in range(7) if d != now_local_day]
    _setup(app, make_fence, make_campaign, make_merchant,
           airdrop_windows=[{"days": other_days, "start": "00:00", "end": "23:59"}])
    client, _ = signed_in(Role.RESIDENT)
    body = client.post("/api/airdrop/checkins", json=HERE).json
    assert body["outcome"] == "window_closed" and body["next_window_at"]


def test_sold_out_and_paused_campaigns_do_not_drop(app, signed_in, make_fence, make_campaign, make_merchant):
    with app.app_context():
        fence = make_fence()
        make_campaign(fences=[fence.id], inventory_total=5, remaining=0)
        make_campaign(fences=[fence.id], status="paused")
        make_campaign(fences=[fence.id], starts_at=utcnow() + timedelta(days=1))
        db.session.commit()
    client, _ = signed_in(Role.RESIDENT)
    assert client.post("/api/airdrop/checkins", json=HERE).json["outcome"] == "no_live_campaign"


def test_the_position_is_kept_only_as_the_expiring_last_fix(app, signed_in, make_fence, make_campaign,
                                                            make_merchant):
    _setup(app, make_fence, make_campaign, make_merchant, n=2)
    client, _ = signed_in(Role.RESIDENT)
    odd = {"lat": 31.160123, "lon": 121.501234, "accuracy_m": 7.25}
    assert client.post("/api/airdrop/checkins", json=odd).json["outcome"] == "dropped"
    with app.app_context():
        # airdrop_last_fix: one row per resident, overwritten, expiring (tests/test_airdrop_last_fix.py).
        for table in (t for t in db.metadata.sorted_tables if t.name != "airdrop_last_fix"):
            for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
                dump = " ".join(str(v) for v in row)
                assert "31.1601" not in dump and "121.5012" not in dump, table.name


def test_only_residents_check_in_and_input_is_checked(app, signed_in):
    merchant, _ = signed_in(Role.MERCHANT)
    assert merchant.post("/api/airdrop/checkins", json=HERE).status_code == 403
    assert app.test_client().post("/api/airdrop/checkins", json=HERE).status_code == 401
    resident, _ = signed_in(Role.RESIDENT)
    for bad in ({**HERE, "lat": 91.0}, {**HERE, "lon": "121.5"}, {**HERE, "accuracy_m": 0},
                {"lat": 31.16, "lon": 121.5}, {**HERE, "lat": True}):
        response = resident.post("/api/airdrop/checkins", json=bad)
        assert response.status_code == 422 and response.mimetype == "application/problem+json", bad


def test_wallet_shelves_and_someone_elses_coupon(app, signed_in, make_fence, make_campaign, make_merchant):
    _setup(app, make_fence, make_campaign, make_merchant, n=1)
    client, _ = signed_in(Role.RESIDENT)
    coupon_id = client.post("/api/airdrop/checkins", json=HERE).json["dropped"][0]["coupon_id"]
    coupon = client.get(f"/api/wallet/coupons/{coupon_id}").json
    assert coupon["shelf"] == "usable" and coupon["merchant_name"].startswith("Shop")
    assert client.get("/api/wallet/coupons?shelf=used").json == []
    assert client.get("/api/wallet/coupons?shelf=lost").status_code == 422
    stranger, _ = signed_in(Role.RESIDENT)
    assert stranger.get(f"/api/wallet/coupons/{coupon_id}").status_code == 404
    with app.app_context():
        coupon = db.session.get(WalletCoupon, coupon_id)
        coupon.collected_at, coupon.expires_at = utcnow() - timedelta(days=8), utcnow() - timedelta(days=1)
        db.session.commit()
    assert [c["id"] for c in client.get("/api/wallet/coupons?shelf=expired").json] == [coupon_id]


def test_daily_budget_caps_airdrops_across_merchants(app, signed_in, make_fence, make_campaign, make_merchant):
    _setup(app, make_fence, make_campaign, make_merchant, n=7)
    client, _ = signed_in(Role.RESIDENT)
    first = client.post("/api/airdrop/checkins", json=HERE).json
    second = client.post("/api/airdrop/checkins", json=HERE).json
    third = client.post("/api/airdrop/checkins", json=HERE).json
    assert (len(first["dropped"]), len(second["dropped"])) == (3, 2)
    assert third["outcome"] == "budget_used"
    with app.app_context():
        assert db.session.scalar(select(Campaign.id).where(Campaign.remaining < Campaign.inventory_total)
                                 .order_by(Campaign.id).limit(1)) is not None
