"""Redeeming at the till through the API: once only, retries answered alike, refusals logged."""

import io
import uuid
from datetime import timedelta

import qrcode
from sqlalchemy import func, select

from core.db import db, utcnow
from core.identity.models import Role
from merchant import tokens
from merchant.models import CouponStatus, EntryKind, LedgerEntry, WalletCoupon
from tests.conftest import login
from tests.races import race_clients


def qr(coupon, at=None) -> str:
    coupon_id, secret = coupon
    return tokens.qr_payload(coupon_id, secret, (at or utcnow()).timestamp())


def redeem(client, code, bill_cents=4000, key=None, **extra):
    return client.post("/api/merchant/redemptions", json={"code": code, "bill_cents": bill_cents, **extra},
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


def ledger(app, kind):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == kind))


def test_scanned_code_redeems_once_and_tells_the_cashier_what_to_charge(app, shop):
    s = shop(amount_off_cents=500, min_spend_cents=3000)
    response = redeem(s["cashier"], qr(s["coupons"][0]), 4250, method="camera")
    assert response.status_code == 200, response.json
    assert response.json["discount_cents"] == 500 and response.json["to_pay_cents"] == 3750
    again = redeem(s["cashier"], qr(s["coupons"][0]), 4250)
    assert again.status_code == 409 and again.json["reason"] == "already_redeemed"
    assert again.mimetype == "application/problem+json"
    with app.app_context():
        coupon = db.session.get(WalletCoupon, s["coupons"][0][0])
        assert coupon.status is CouponStatus.REDEEMED
        entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REDEEMED)).one()
        assert (entry.bill_cents, entry.discount_cents, entry.actor_id, entry.reason) == (4250, 500, s["cashier_id"],
                                                                                          "camera")
    assert ledger(app, EntryKind.REFUSED) == 1


def test_typed_short_code_works_and_percentage_discounts_are_capped(app, shop):
    s = shop(discount_kind="percent", amount_off_cents=None, percent_off=20, percent_cap_cents=1000)
    coupon_id, secret = s["coupons"][0]
    typed = tokens.typed_code(coupon_id, secret, utcnow().timestamp())
    spaced = typed[:-3] + " " + typed[-3:]  # as the phone shows it
    response = redeem(s["cashier"], spaced, 8000)
    assert response.status_code == 200, response.json
    assert response.json["discount_cents"] == 1000 and response.json["to_pay_cents"] == 7000


def test_a_retry_with_the_same_key_gets_the_same_answer_and_redeems_nothing_more(app, shop):
    s = shop()
    key, code = "till-7f3a", qr(s["coupons"][0])
    first = redeem(s["cashier"], code, key=key)
    second = redeem(s["cashier"], code, key=key)
    assert first.status_code == second.status_code == 200
    assert first.json == second.json and second.headers["Idempotent-Replayed"] == "true"
    # A refusal is replayed just the same.
    refused_first = redeem(s["cashier"], code, key="till-7f3b")
    refused_again = redeem(s["cashier"], code, key="till-7f3b")
    assert refused_first.status_code == refused_again.status_code == 409
    assert refused_first.json == refused_again.json
    assert ledger(app, EntryKind.REDEEMED) == 1 and ledger(app, EntryKind.REFUSED) == 1
    # The same key with another request is refused, and changes nothing.
    reused = redeem(s["cashier"], code, bill_cents=9999, key=key)
    assert reused.status_code == 422 and reused.json["type"] == "/problems/idempotency-key-reused"
    missing = s["cashier"].post("/api/merchant/redemptions", json={"code": code, "bill_cents": 100})
    assert missing.status_code == 400 and missing.json["type"] == "/problems/idempotency-key-missing"
    assert ledger(app, EntryKind.REDEEMED) == 1 and ledger(app, EntryKind.REFUSED) == 1


def test_a_screenshot_stops_working_and_forged_codes_are_refused(app, shop):
    s = shop(coupons=2)
    old = qr(s["coupons"][0], at=utcnow() - timedelta(minutes=2))
    response = redeem(s["cashier"], old)
    assert response.status_code == 422 and response.json["reason"] == "code_expired"
    coupon_id, secret = s["coupons"][0]
    step = tokens.step_at(utcnow().timestamp())
    wrong = "000000" if tokens.code_at(secret, step) != "000000" else "111111"
    assert redeem(s["cashier"], f"LL1:{coupon_id}:{step}:{wrong}").json["reason"] == "not_genuine"
    # Another coupon's code with this coupon's id: the code is tied to the coupon's own secret.
    other = qr(s["coupons"][1]).split(":")
    assert redeem(s["cashier"], f"LL1:{coupon_id}:{other[2]}:{other[3]}").json["reason"] == "not_genuine"
    assert redeem(s["cashier"], "LL1:2147483647:1:123456").json["reason"] == "not_genuine"
    assert redeem(s["cashier"], "hello").json["reason"] == "malformed"
    with app.app_context():
        assert db.session.get(WalletCoupon, coupon_id).status is CouponStatus.USABLE
    assert ledger(app, EntryKind.REFUSED) == 5 and ledger(app, EntryKind.REDEEMED) == 0


def test_merchant_a_cannot_redeem_merchant_bs_coupon(app, shop):
    a, b = shop(), shop()
    response = redeem(a["cashier"], qr(b["coupons"][0]))
    assert response.status_code == 403 and response.json["reason"] == "other_merchant"
    with app.app_context():
        assert db.session.get(WalletCoupon, b["coupons"][0][0]).status is CouponStatus.USABLE
        refusal = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REFUSED)).one()
        # Logged for A, without B's coupon or campaign.
        assert (refusal.merchant_id, refusal.coupon_id, refusal.campaign_id) == (a["merchant_id"], None, None)
    # Nor can A void B's redemption.
    done = redeem(b["cashier"], qr(b["coupons"][0]))
    assert a["cashier"].post(f"/api/merchant/redemptions/{done.json['redemption_id']}/void").status_code == 404


def test_minimum_spend_expired_and_voided_coupons_are_refused(app, shop):
    s = shop(coupons=3, min_spend_cents=5000)
    low = redeem(s["cashier"], qr(s["coupons"][0]), 4999)
    assert low.status_code == 422 and low.json["reason"] == "min_spend" and low.json["min_spend_cents"] == 5000
    with app.app_context():
        expired = db.session.get(WalletCoupon, s["coupons"][1][0])
        expired.collected_at, expired.expires_at = utcnow() - timedelta(days=8), utcnow() - timedelta(seconds=1)
        voided = db.session.get(WalletCoupon, s["coupons"][2][0])
        voided.status, voided.void_reason = CouponStatus.VOIDED, "campaign_ended"
        db.session.commit()
    assert redeem(s["cashier"], qr(s["coupons"][1]), 6000).json["reason"] == "coupon_expired"
    assert redeem(s["cashier"], qr(s["coupons"][2]), 6000).json["reason"] == "voided"
    assert redeem(s["cashier"], qr(s["coupons"][0]), 5000).status_code == 200


def test_void_within_ten_minutes_returns_the_coupon_and_keeps_both_entries(app, shop, monkeypatch):
    s = shop()
    done = redeem(s["cashier"], qr(s["coupons"][0])).json
    voided = s["cashier"].post(f"/api/merchant/redemptions/{done['redemption_id']}/void")
    assert voided.status_code == 200, voided.json
    again = s["cashier"].post(f"/api/merchant/redemptions/{done['redemption_id']}/void")
    assert again.status_code == 409 and again.json["type"] == "/problems/already-voided"
    resident = login(app, s["resident"])
    assert [c["id"] for c in resident.get("/api/wallet/coupons").json] == [s["coupons"][0][0]]
    assert ledger(app, EntryKind.REDEEMED) == 1 and ledger(app, EntryKind.VOIDED) == 1
    # Redeemed again, then too late to void.
    later = redeem(s["cashier"], qr(s["coupons"][0])).json
    import merchant.till_api

    monkeypatch.setattr(merchant.till_api, "utcnow", lambda: utcnow() + timedelta(minutes=11))
    late = s["cashier"].post(f"/api/merchant/redemptions/{later['redemption_id']}/void")
    assert late.status_code == 409 and late.json["type"] == "/problems/void-window-passed"


def test_a_photo_of_the_phone_is_decoded_and_other_files_are_refused(app, shop):
    s = shop()
    payload = qr(s["coupons"][0])
    image = qrcode.make(payload).get_image()
    png = io.BytesIO()
    image.save(png, "PNG")
    response = s["cashier"].post("/api/merchant/scans", data={"photo": (io.BytesIO(png.getvalue()), "till.png")},
                                 content_type="multipart/form-data")
    assert response.status_code == 200 and response.json["code"] == payload
    fake = s["cashier"].post("/api/merchant/scans", data={"photo": (io.BytesIO(b"just text"), "code.jpg")},
                             content_type="multipart/form-data")
    assert fake.status_code == 422 and fake.json["reason"] == "not_an_image"
    blank = io.BytesIO()
    qrcode.make("x").get_image().crop((0, 0, 20, 20)).save(blank, "PNG")
    nothing = s["cashier"].post("/api/merchant/scans", data={"photo": (io.BytesIO(blank.getvalue()), "b.png")},
                                content_type="multipart/form-data")
    assert nothing.status_code == 422 and nothing.json["reason"] == "no_code"


def test_residents_and_strangers_cannot_use_the_till(app, shop, signed_in):
    s = shop()
    resident, _ = signed_in(Role.RESIDENT)
    assert redeem(resident, qr(s["coupons"][0])).status_code == 403
    assert redeem(app.test_client(), qr(s["coupons"][0])).status_code in (400, 401)  # no CSRF token or no session
    assert ledger(app, EntryKind.REDEEMED) == 0


def test_the_coupon_key_goes_only_to_its_resident_and_only_while_usable(app, shop, signed_in):
    s = shop()
    coupon_id, secret = s["coupons"][0]
    owner = login(app, s["resident"])
    key = owner.get(f"/api/wallet/coupons/{coupon_id}/key")
    assert key.status_code == 200 and key.json["secret"] == secret and key.headers["Cache-Control"] == "no-store"
    other, _ = signed_in(Role.RESIDENT)
    assert other.get(f"/api/wallet/coupons/{coupon_id}/key").status_code == 404
    redeem(s["cashier"], qr(s["coupons"][0]))
    assert owner.get(f"/api/wallet/coupons/{coupon_id}/key").status_code == 404


def test_twenty_tills_scanning_one_coupon_at_once_redeem_it_exactly_once(app, shop):
    s = shop()
    clients = _tills(app, s)
    code = qr(s["coupons"][0])
    responses = race_clients(clients, lambda till: redeem(till, code))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19, statuses
    assert ledger(app, EntryKind.REDEEMED) == 1 and ledger(app, EntryKind.REFUSED) == 19


def test_twenty_retries_of_one_request_at_once_get_one_answer(app, shop):
    s = shop()
    clients = _tills(app, s)
    code = qr(s["coupons"][0])
    responses = race_clients(clients, lambda till: redeem(till, code, key="one-press-of-the-button"))
    assert {r.status_code for r in responses} == {200}
    assert len({r.get_data() for r in responses}) == 1  # byte for byte the same answer
    assert ledger(app, EntryKind.REDEEMED) == 1 and ledger(app, EntryKind.REFUSED) == 0


def _identifier(app, user_id):
    from core.identity.models import User

    with app.app_context():
        return db.session.get(User, user_id).identifier


def _tills(app, s):
    """Twenty devices signed in as the shop's cashier (sign-in limits are not what is tested here)."""
    app.config["RATELIMIT_ENABLED"] = False
    return [s["cashier"]] + [login(app, _identifier(app, s["cashier_id"])) for _ in range(19)]


def test_staff_give_and_print_a_coupon_that_the_till_redeems_once(app, shop, make_user):
    import re

    s = shop(coupons=0)
    with app.app_context():
        staff = make_user(Role.STAFF)
        db.session.commit()
        staff_identifier = staff.identifier
    desk = login(app, staff_identifier)
    found = desk.get(f"/staff/coupons?who={s['resident']}")
    assert found.status_code == 200
    given = desk.post("/staff/coupons/give", follow_redirects=True,
                      data={"resident_id": _resident_id(app, s), "campaign_id": s["campaign_id"]})
    assert b"Coupon given" in given.data
    with app.app_context():
        coupon_id = db.session.scalar(select(WalletCoupon.id).where(WalletCoupon.campaign_id == s["campaign_id"]))
    page = desk.post(f"/staff/coupons/{coupon_id}/print", data={"resident_id": _resident_id(app, s)})
    assert page.status_code == 200 and b"<svg" in page.data
    digits = re.search(r'class="printed-digits">([\d ]+)<', page.get_data(as_text=True))[1].replace(" ", "")
    assert len(digits) == 12
    typo = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert redeem(s["cashier"], typo).json["reason"] == "malformed"  # the check digit catches it at once
    assert redeem(s["cashier"], tokens.group_digits(digits), method="printed").status_code == 200
    again = redeem(s["cashier"], tokens.printed_qr_payload(digits))
    assert again.status_code == 409 and again.json["reason"] == "printed_used"
    # Residents and shops cannot print.
    assert s["cashier"].post(f"/staff/coupons/{coupon_id}/print", data={"resident_id": 1}).status_code == 403
    assert desk.get("/staff/coupons?who=13800000000").status_code == 404


def _resident_id(app, s):
    from core.identity.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == s["resident"]))


def test_old_answers_are_purged_from_the_command_line(app, shop):
    from core.idempotency import IdempotencyRecord

    s = shop()
    redeem(s["cashier"], qr(s["coupons"][0]), key="yesterday-and-before")
    with app.app_context():
        record = db.session.scalars(select(IdempotencyRecord)).one()
        record.created_at = utcnow() - timedelta(days=3)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["idempotency", "purge"])
    assert result.exit_code == 0 and "forgot 1" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
