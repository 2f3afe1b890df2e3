"""Proof of presence without GPS: the screen's rotating code (pure rules), the scan, the check-ins
it allows for 15 minutes, and everything a stale, forged or other fence's code must not do."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from airdrop import presence
from airdrop.models import Presence
from core.db import db, utcnow
from core.identity.models import Role
from geofence import presence_rules as pr
from geofence.models import Fence, new_presence_secret
from merchant.models import WalletCoupon
from tests.conftest import count

SECRET = "11" * 32


# --- the pure rules ---------------------------------------------------------------------------

def test_a_code_counts_in_its_step_and_the_next_only():
    t = 1_800_000_000.0
    step = pr.step_at(t)
    code = pr.code_for(SECRET, 7, step)
    assert pr.CODE_PATTERN.match(code)
    assert pr.verify(SECRET, 7, step, code, unix_s=t) == pr.OK
    assert pr.verify(SECRET, 7, step, code, unix_s=t + pr.STEP_S) == pr.OK  # the previous step
    assert pr.verify(SECRET, 7, step, code, unix_s=t + 2 * pr.STEP_S) == pr.EXPIRED  # a minute on: dead
    assert pr.verify(SECRET, 7, step, code, unix_s=t + 120) == pr.EXPIRED
    assert pr.verify(SECRET, 7, step + 1, pr.code_for(SECRET, 7, step + 1), unix_s=t) == pr.INVALID  # future


def test_forged_and_other_fences_codes_are_invalid():
    t = 1_800_000_000.0
    step = pr.step_at(t)
    code = pr.code_for(SECRET, 7, step)
    assert pr.verify(SECRET, 8, step, code, unix_s=t) == pr.INVALID  # another fence, same secret
    assert pr.verify("22" * 32, 7, step, code, unix_s=t) == pr.INVALID  # rotated secret
    assert pr.verify(SECRET, 7, step - 1, code, unix_s=t) == pr.INVALID  # the code of another step
    flipped = ("A" if code[0] != "A" else "B") + code[1:]
    assert pr.verify(SECRET, 7, step, flipped, unix_s=t) == pr.INVALID
    for junk in ("", "x" * 13, "x" * 15, "abc/def+ghij=k", None):
        assert pr.verify(SECRET, 7, step, junk, unix_s=t) == pr.INVALID


def test_screen_token_and_timing():
    token = pr.screen_token(SECRET, 7)
    assert pr.screen_allowed(SECRET, 7, token)
    assert not pr.screen_allowed(SECRET, 8, token) and not pr.screen_allowed("22" * 32, 7, token)
    assert not pr.screen_allowed(SECRET, 7, None) and not pr.screen_allowed(SECRET, 7, "")
    assert token != pr.code_for(SECRET, 7, 0)
    assert pr.seconds_left(1_800_000_010.0) == 20.0  # 1_800_000_000 is a step boundary
    assert len(new_presence_secret()) == 64 and new_presence_secret() != new_presence_secret()


# --- the scan, through the page and the API (both engines) ---------------------------------------

def _fence_and_campaigns(app, make_fence, make_campaign, make_merchant, n=1, **terms):
    with app.app_context():
        fence = make_fence()
        for i in range(n):
            make_campaign(fences=[fence.id], merchant_id=make_merchant(tags=[f"t{i}"]).id, **terms)
        db.session.commit()
        return fence.id


def _url(app, fence_id, at=None):
    with app.app_context():
        fence = db.session.get(Fence, fence_id)
        step, code, _ = presence.current_code(fence, at=at or utcnow())
    return f"/here/{fence_id}/{step}/{code}"


def _coupons(app, resident_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WalletCoupon)
                                 .where(WalletCoupon.resident_id == resident_id))


def test_a_fresh_code_drops_and_the_same_code_two_minutes_on_is_refused(app, signed_in, make_fence,
                                                                       make_campaign, make_merchant, monkeypatch):
    fence_id = _fence_and_campaigns(app, make_fence, make_campaign, make_merchant, n=2)
    client, resident_id = signed_in(Role.RESIDENT)
    url = _url(app, fence_id)
    page = client.get(url)
    assert page.status_code == 200 and "You are at" in page.text and 'data-auto-submit' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    response = client.post(url)
    assert response.status_code == 303 and response.headers["Location"].endswith("/wallet")
    assert _coupons(app, resident_id) == 2
    wallet = client.get("/wallet").text
    assert "(scanned code)" in wallet and "New coupons are in your wallet." in wallet
    with app.app_context():
        row = db.session.get(Presence, resident_id)
        assert row.fence_id == fence_id and timedelta(minutes=14) < row.until - utcnow() <= timedelta(minutes=15)
        until = row.until

    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(presence, "now", lambda: later)
    stale = client.post(url)
    assert stale.status_code == 410 and "This code has expired. Scan the screen again." in stale.text
    assert client.get(url).status_code == 410
    assert _coupons(app, resident_id) == 2
    with app.app_context():
        assert db.session.get(Presence, resident_id).until == until  # nothing written


def test_another_fences_code_and_forgeries_write_nothing(app, signed_in, make_fence, make_campaign,
                                                         make_merchant):
    fence_id = _fence_and_campaigns(app, make_fence, make_campaign, make_merchant)
    with app.app_context():
        other = make_fence(name="Elsewhere").id
        db.session.commit()
    client, resident_id = signed_in(Role.RESIDENT)
    _, _, step, code = _url(app, other).split("/")[1:]
    assert client.post(f"/here/{fence_id}/{step}/{code}").status_code == 403
    assert client.post(f"/here/{fence_id}/{step}/{'A' * 14}").status_code == 403
    assert client.post(f"/here/{fence_id}/{step}/short").status_code == 403
    assert client.get(f"/here/{fence_id}/{step}/{'A' * 14}").status_code == 403
    assert client.post(f"/here/999999/{step}/{code}").status_code == 404
    assert _coupons(app, resident_id) == 0 and count(app, Presence) == 0


def test_the_daily_budget_and_the_per_resident_limit_still_hold(app, signed_in, make_fence, make_campaign,
                                                                make_merchant):
    app.config["AIRDROP_DAILY_BUDGET"] = 2
    fence_id = _fence_and_campaigns(app, make_fence, make_campaign, make_merchant, n=4)
    client, resident_id = signed_in(Role.RESIDENT)
    for _ in range(3):  # scanning again and again: still two coupons, one per campaign
        assert client.post(_url(app, fence_id)).status_code == 303
        assert client.post("/api/airdrop/presence/checkins").status_code == 200
    assert _coupons(app, resident_id) == 2
    body = client.post("/api/airdrop/presence/checkins").json
    assert body["outcome"] == "budget_used"
    with app.app_context():
        per_campaign = db.session.execute(select(WalletCoupon.campaign_id, func.count())
                                          .where(WalletCoupon.resident_id == resident_id)
                                          .group_by(WalletCoupon.campaign_id)).all()
    assert all(n == 1 for _, n in per_campaign)


def test_while_present_the_wallet_checks_in_without_a_position(app, signed_in, make_fence, make_campaign,
                                                               make_merchant, monkeypatch):
    fence_id = _fence_and_campaigns(app, make_fence, make_campaign, make_merchant)
    client, resident_id = signed_in(Role.RESIDENT)
    refused = client.post("/api/airdrop/presence/checkins")
    assert refused.status_code == 409 and refused.json["type"] == "/problems/not-present"
    client.post(_url(app, fence_id))
    with app.app_context():
        make_campaign(fences=[fence_id], merchant_id=make_merchant().id)  # a new shop, a minute later
        db.session.commit()
    body = client.post("/api/airdrop/presence/checkins").json
    assert body["outcome"] == "dropped" and body["present"]["fence_id"] == fence_id
    assert body["dropped"][0]["fence_id"] == fence_id
    assert _coupons(app, resident_id) == 2
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(presence, "now", lambda: later)
    assert client.post("/api/airdrop/presence/checkins").status_code == 409  # 15 minutes are over


def test_a_stranger_is_sent_to_sign_in_and_back(app, client, make_fence, make_campaign, make_merchant):
    fence_id = _fence_and_campaigns(app, make_fence, make_campaign, make_merchant)
    url = _url(app, fence_id)
    page = client.get(url)
    assert page.status_code == 200 and "Sign in to collect coupons here." in page.text
    assert f'href="/login?next={url}"' in page.text
    response = client.post(url)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    assert count(app, Presence) == 0


def test_a_merchant_cannot_collect(app, signed_in, make_fence, make_campaign, make_merchant):
    fence_id = _fence_and_campaigns(app, make_fence, make_campaign, make_merchant)
    client, _ = signed_in(Role.MERCHANT)
    assert client.post(_url(app, fence_id)).status_code == 403
    assert count(app, Presence) == 0 and count(app, WalletCoupon) == 0


# --- the screen ------------------------------------------------------------------------------

def test_only_the_screen_link_shows_the_code_and_a_new_secret_revokes_it(app, signed_in, client, make_fence):
    with app.app_context():
        fence = make_fence()
        db.session.commit()
        fence_id, secret = fence.id, fence.presence_secret
    public = client.get(f"/signage/{fence_id}")
    assert public.status_code == 200 and "signage-code" not in public.text
    assert secret not in public.text
    token = pr.screen_token(secret, fence_id)
    assert client.get(f"/signage/{fence_id}/code.svg").status_code == 404
    assert client.get(f"/signage/{fence_id}/code.svg?screen={'x' * 22}").status_code == 404

    admin, _ = signed_in(Role.ADMIN)
    page = admin.get(f"/admin/fences/{fence_id}").text
    assert f"/signage/{fence_id}?screen={token}" in page and secret not in page
    screen = client.get(f"/signage/{fence_id}?screen={token}")
    assert screen.status_code == 200 and 'id="signage-code"' in screen.text and secret not in screen.text
    assert screen.headers["Cache-Control"] == "no-store"
    assert "Scan to collect coupons here" in screen.text and "扫码领取本站优惠券" in screen.text
    svg = client.get(f"/signage/{fence_id}/code.svg?screen={token}")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Cache-Control"] == "no-store" and 0 < float(svg.headers["X-Code-Expires-In"]) <= 30

    assert admin.post(f"/admin/fences/{fence_id}/screen-code").status_code == 302
    assert client.get(f"/signage/{fence_id}/code.svg?screen={token}").status_code == 404
    assert "signage-code" not in client.get(f"/signage/{fence_id}?screen={token}").text
    with app.app_context():
        assert db.session.get(Fence, fence_id).presence_secret != secret
