"""Merchant owners manage campaigns; admins manage geofences; the schedule is public."""

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from core.db import db, utcnow
from core.identity.models import MerchantRole, Role
from merchant.models import Campaign, WalletCoupon
from tests.conftest import CENTRE, count

HERE = {"lat": CENTRE[0], "lon": CENTRE[1], "accuracy_m": 10.0}


def _iso(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat()


def campaign_body(fence_id: int, **over) -> dict:
    return {"title": "¥5 off any bowl", "discount_kind": "amount", "amount_off_cents": 500,
            "min_spend_cents": 2000, "starts_at": _iso(-timedelta(hours=1)), "ends_at": _iso(timedelta(days=30)),
            "inventory_total": 50, "per_resident_limit": 1, "target_fence_ids": [fence_id], "tags": ["noodles"],
            "airdrop_windows": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}], **over}


def owner_with_fence(app, signed_in, make_fence):
    with app.app_context():
        fence_id = make_fence().id
        db.session.commit()
    client, user_id = signed_in(Role.MERCHANT)
    return client, fence_id


def test_owner_creates_publishes_and_residents_collect(app, signed_in, make_fence):
    owner, fence_id = owner_with_fence(app, signed_in, make_fence)
    created = owner.post("/api/merchant/campaigns", json=campaign_body(fence_id))
    assert created.status_code == 201 and created.json["status"] == "draft"
    campaign_id = created.json["id"]
    resident, _ = signed_in(Role.RESIDENT)
    assert resident.post("/api/airdrop/checkins", json=HERE).json["outcome"] == "no_live_campaign"
    published = owner.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "publish"})
    assert published.status_code == 200 and published.json["status"] == "live"
    assert resident.post("/api/airdrop/checkins", json=HERE).json["outcome"] == "dropped"
    assert owner.get(f"/api/merchant/campaigns/{campaign_id}").json["collected"] == 1
    assert [c["id"] for c in owner.get("/api/merchant/campaigns?status=live").json] == [campaign_id]


def test_terms_are_validated(app, signed_in, make_fence):
    owner, fence_id = owner_with_fence(app, signed_in, make_fence)
    cases = {
        "ends_at": {"ends_at": _iso(-timedelta(days=2))},
        "percent_off": {"discount_kind": "percent", "amount_off_cents": None},
        "amount_off_cents": {"amount_off_cents": 0},
        "inventory_total": {"inventory_total": "50"},
        "airdrop_windows": {"airdrop_windows": [{"days": [9], "start": "18:00", "end": "21:00"}]},
        "starts_at": {"starts_at": "2026-11-22T10:00:00"},  # no time zone
        "target_fence_ids": {"target_fence_ids": [999999]},
    }
    for field, change in cases.items():
        body = {k: v for k, v in campaign_body(fence_id, **change).items() if v is not None}
        response = owner.post("/api/merchant/campaigns", json=body)
        assert response.status_code == 422, (field, response.json)
        assert field in str(response.json["errors"]), (field, response.json)
    assert count(app, Campaign) == 0


def test_percent_discount_with_cap(app, signed_in, make_fence):
    owner, fence_id = owner_with_fence(app, signed_in, make_fence)
    body = campaign_body(fence_id, discount_kind="percent", percent_off=20, percent_cap_cents=1000)
    del body["amount_off_cents"]
    response = owner.post("/api/merchant/campaigns", json=body)
    assert response.status_code == 201 and response.json["percent_cap_cents"] == 1000


def test_state_machine_through_the_api(app, signed_in, make_fence):
    owner, fence_id = owner_with_fence(app, signed_in, make_fence)
    campaign_id = owner.post("/api/merchant/campaigns", json=campaign_body(fence_id)).json["id"]
    state = f"/api/merchant/campaigns/{campaign_id}/state"
    assert owner.post(state, json={"action": "pause"}).status_code == 409
    assert owner.post(state, json={"action": "publish"}).json["status"] == "live"
    assert owner.post(state, json={"action": "pause"}).json["status"] == "paused"
    assert owner.post(state, json={"action": "resume"}).json["status"] == "live"
    assert owner.post(state, json={"action": "end"}).status_code == 422  # must say honour or void
    ended = owner.post(state, json={"action": "end", "end_policy": "honour"})
    assert ended.json["status"] == "ended" and ended.json["end_policy"] == "honour"
    assert owner.post(state, json={"action": "resume"}).status_code == 409
    assert owner.patch(f"/api/merchant/campaigns/{campaign_id}", json={"title": "x"}).status_code == 409


def test_publishing_needs_a_geofence_and_terms_freeze(app, signed_in, make_fence):
    owner, fence_id = owner_with_fence(app, signed_in, make_fence)
    campaign_id = owner.post("/api/merchant/campaigns", json=campaign_body(fence_id, target_fence_ids=[])).json["id"]
    refused = owner.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "publish"})
    assert refused.status_code == 422 and "target_fence_ids" in refused.json["errors"]
    owner.patch(f"/api/merchant/campaigns/{campaign_id}", json={"target_fence_ids": [fence_id]})
    owner.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "publish"})
    frozen = owner.patch(f"/api/merchant/campaigns/{campaign_id}", json={"amount_off_cents": 9000})
    assert frozen.status_code in (409, 422)
    retitled = owner.patch(f"/api/merchant/campaigns/{campaign_id}", json={"title": "Now ¥5 off"})
    assert retitled.status_code == 200 and retitled.json["amount_off_cents"] == 500


@pytest.mark.parametrize("policy, status, shelf, in_wallet", [
    ("void", "voided", "expired", False), ("honour", "usable", "usable", True)])
def test_ending_says_what_happens_to_collected_coupons(app, signed_in, make_fence, policy, status, shelf, in_wallet):
    owner, fence_id = owner_with_fence(app, signed_in, make_fence)
    campaign_id = owner.post("/api/merchant/campaigns", json=campaign_body(fence_id)).json["id"]
    owner.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "publish"})
    resident, _ = signed_in(Role.RESIDENT)
    coupon_id = resident.post("/api/airdrop/checkins", json=HERE).json["dropped"][0]["coupon_id"]
    owner.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "end", "end_policy": policy})
    coupon = resident.get(f"/api/wallet/coupons/{coupon_id}").json
    assert (coupon["status"], coupon["shelf"], coupon["end_policy"]) == (status, shelf, policy)
    assert coupon["campaign_ended"]
    assert bool(resident.get("/api/wallet/coupons").json) is in_wallet


def test_inventory_goes_up_or_down_to_what_was_collected(app, signed_in, make_fence):
    owner, fence_id = owner_with_fence(app, signed_in, make_fence)
    campaign_id = owner.post("/api/merchant/campaigns", json=campaign_body(fence_id, inventory_total=3)).json["id"]
    owner.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "publish"})
    for _ in range(2):
        resident, _ = signed_in(Role.RESIDENT)
        resident.post("/api/airdrop/checkins", json=HERE)
    inventory = f"/api/merchant/campaigns/{campaign_id}/inventory"
    raised = owner.post(inventory, json={"inventory_total": 10})
    assert raised.json["inventory_total"] == 10 and raised.json["remaining"] == 8
    assert owner.post(inventory, json={"inventory_total": 2}).json["remaining"] == 0
    too_low = owner.post(inventory, json={"inventory_total": 1})
    assert too_low.status_code == 409
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert (campaign.inventory_total, campaign.remaining) == (2, 0)


def test_merchants_see_only_their_own_campaigns_and_cashiers_only_read(app, signed_in, make_fence):
    owner, fence_id = owner_with_fence(app, signed_in, make_fence)
    campaign_id = owner.post("/api/merchant/campaigns", json=campaign_body(fence_id)).json["id"]
    other, _ = signed_in(Role.MERCHANT)
    assert other.get(f"/api/merchant/campaigns/{campaign_id}").status_code == 404
    assert other.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "publish"}).status_code == 404
    assert other.get("/api/merchant/campaigns").json == []
    with app.app_context():
        merchant_id = db.session.get(Campaign, campaign_id).merchant_id
    cashier, _ = signed_in(Role.MERCHANT, merchant_id=merchant_id, merchant_role=MerchantRole.CASHIER)
    assert cashier.get(f"/api/merchant/campaigns/{campaign_id}").status_code == 200
    assert cashier.post("/api/merchant/campaigns", json=campaign_body(fence_id)).status_code == 403
    resident, _ = signed_in(Role.RESIDENT)
    assert resident.get("/api/merchant/campaigns").status_code == 403


def test_admin_fences_and_every_worker_sees_edits(app, signed_in, database_url):
    from linli import create_app

    app.config["FENCE_INDEX_CHECK_S"] = 0
    admin, _ = signed_in(Role.ADMIN)
    square = {"type": "Polygon", "coordinates": [[[121.40, 31.10], [121.41, 31.10], [121.41, 31.11],
                                                  [121.40, 31.11], [121.40, 31.10]]]}
    polygon = admin.post("/api/admin/fences", json={"name": "Market", "kind": "polygon", "polygon": square})
    assert polygon.status_code == 201 and abs(polygon.json["center_lat"] - 31.105) < 1e-6
    bad = admin.post("/api/admin/fences", json={"name": "Bow", "kind": "polygon", "polygon": {
        "type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}})
    assert bad.status_code == 422 and "polygon" in bad.json["errors"]
    assert admin.post("/api/admin/fences", json={"name": "C", "kind": "circle", "center_lat": 31.1}).status_code == 422
    # A second worker builds its index, then an admin edit on the first must reach it.
    other = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "FENCE_INDEX_CHECK_S": 0})
    from geofence.registry import current_index, settle

    with other.app_context():
        assert current_index().containing(31.105, 121.405) == [polygon.json["id"]]
    admin.patch(f"/api/admin/fences/{polygon.json['id']}", json={"active": False})
    with other.app_context():
        stale = current_index()  # sees the new revision and starts a rebuild off the request path
        assert stale.containing(31.105, 121.405) == [polygon.json["id"]]
        assert settle().containing(31.105, 121.405) == []
        db.engine.dispose()
    resident, _ = signed_in(Role.RESIDENT)
    assert resident.post("/api/admin/fences", json={"name": "x", "kind": "circle", "center_lat": 1,
                                                    "center_lon": 1, "radius_m": 10}).status_code == 403
    assert [f["name"] for f in app.test_client().get("/api/fences").json] == []


def test_public_schedule_json_and_ical(app, make_fence, make_campaign):
    with app.app_context():
        fence = make_fence()
        make_campaign(fences=[fence.id], title="Evening noodles",
                      airdrop_windows=[{"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "21:00"}])
        make_campaign(fences=[fence.id], title="Draft", status="draft")
        db.session.commit()
        fence_id = fence.id
    visitor = app.test_client()
    schedule = visitor.get(f"/api/airdrops/schedule?fence_id={fence_id}").json
    assert [o["title"] for o in schedule] == ["Evening noodles"]
    assert 4 <= len(schedule[0]["airdrops"]) <= 6  # weekday evenings in the next 7 days
    assert visitor.get("/api/airdrops/schedule?fence_id=999999").status_code == 404
    assert visitor.get("/api/airdrops/schedule?days=2.5").status_code == 422
    ics = visitor.get("/feeds/airdrops.ics")
    assert ics.mimetype == "text/calendar"
    events = [c for c in Calendar.from_ical(ics.data).walk() if c.name == "VEVENT"]
    assert len(events) >= 8 and all("Evening noodles" in str(e["SUMMARY"]) for e in events)
    start = events[0].decoded("DTSTART")
    assert start.tzinfo is not None and start.astimezone().utcoffset() is not None
    assert all(e.decoded("DTEND") > e.decoded("DTSTART") for e in events)


def test_campaign_ending_never_lies_about_the_wallet(app, signed_in, make_fence, make_campaign):
    with app.app_context():
        fence = make_fence()
        make_campaign(fences=[fence.id], ends_at=utcnow() + timedelta(seconds=2))
        db.session.commit()
    resident, _ = signed_in(Role.RESIDENT)
    resident.post("/api/airdrop/checkins", json=HERE)
    with app.app_context():
        assert db.session.scalar(select(WalletCoupon.id)) is not None


def test_owner_keeps_the_business_profile_and_cashiers_read_it(app, signed_in):
    owner, _ = signed_in(Role.MERCHANT)
    changed = owner.patch("/api/merchant/profile", json={
        "name": "Golden Crust", "opening_hours": "Mon-Sun 07:00-20:00", "tags": ["bakery", "breakfast"],
        "lat": 31.161, "lon": 121.502})
    assert changed.status_code == 200 and changed.json["tags"] == ["bakery", "breakfast"]
    assert owner.patch("/api/merchant/profile", json={"lat": 31.2}).status_code == 422  # lat without lon
    assert owner.patch("/api/merchant/profile", json={"lat": 95.0, "lon": 121.5}).status_code == 422
    assert owner.patch("/api/merchant/profile", json={"tags": ["no spaces please"]}).status_code == 422
    cashier, _ = signed_in(Role.MERCHANT, merchant_id=changed.json["id"], merchant_role=MerchantRole.CASHIER)
    assert cashier.get("/api/merchant/profile").json["name"] == "Golden Crust"
    assert cashier.patch("/api/merchant/profile", json={"name": "Mine now"}).status_code == 403


def test_an_edit_from_a_stale_read_cannot_change_published_terms(app, make_campaign, make_fence):
    """Two phones of one owner: one publishes while the other still shows the draft form."""
    from core.problems import Conflict
    from merchant import operations

    with app.app_context():
        fence_id = make_fence().id
        campaign_id = make_campaign(fences=[fence_id], status="draft").id
        db.session.commit()
    with app.app_context():
        stale = db.session.get(Campaign, campaign_id)  # the draft form, read before publishing
        with app.app_context():  # the other phone publishes
            operations.change_state(db.session.get(Campaign, campaign_id), "publish", now=utcnow())
            db.session.commit()
        with pytest.raises(Conflict):
            operations.update_campaign(stale, {"amount_off_cents": 9900}, now=utcnow())
        db.session.rollback()
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert (campaign.status.value, campaign.amount_off_cents) == ("published", 500)
