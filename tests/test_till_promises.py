"""The till's promises under attack: voids after a campaign's end, replays after a void, guessed
codes, odd input, a statement that can really fail, formulas in the CSV."""

import csv
import io
import json
import threading

from sqlalchemy import select, update

from core.db import db, utcnow
from merchant import tokens
from merchant.models import CouponStatus, EntryKind, LedgerEntry, WalletCoupon
from merchant.redemption import MAX_WRONG_CODES
from tests.conftest import login
from tests.test_redemption import qr, redeem


def _end_with_void(app, owner_identifier, campaign_id):
    owner = login(app, owner_identifier)
    ended = owner.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "end", "end_policy": "void"})
    assert ended.status_code == 200, ended.json


def test_a_void_after_the_campaign_ended_with_void_leaves_the_coupon_dead(app, shop):
    s = shop(coupons=2)
    done = redeem(s["cashier"], qr(s["coupons"][0]), 4000).json
    _end_with_void(app, s["owner"], s["campaign_id"])
    voided = s["cashier"].post(f"/api/merchant/redemptions/{done['redemption_id']}/void")
    assert voided.status_code == 200, voided.json
    with app.app_context():
        coupon = db.session.get(WalletCoupon, s["coupons"][0][0])
        assert coupon.status is CouponStatus.VOIDED and coupon.void_reason == "campaign_ended"
        assert db.session.get(WalletCoupon, s["coupons"][1][0]).status is CouponStatus.VOIDED
    again = redeem(s["cashier"], qr(s["coupons"][0]), 4000)
    assert again.status_code == 422 and again.json["reason"] == "voided"


def test_a_replay_after_a_void_does_not_say_redeemed(app, shop):
    s = shop()
    key, code = "till-replay-void", qr(s["coupons"][0])
    first = redeem(s["cashier"], code, key=key)
    assert first.status_code == 200
    assert s["cashier"].post(f"/api/merchant/redemptions/{first.json['redemption_id']}/void").status_code == 200
    replay = redeem(s["cashier"], code, key=key)
    assert replay.status_code == 409 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json["type"] == "/problems/redemption-voided"
    assert replay.json["redemption_id"] == first.json["redemption_id"] and replay.json["voided_at"]
    with app.app_context():  # and the replay redeemed nothing: the coupon is back in the wallet
        assert db.session.get(WalletCoupon, s["coupons"][0][0]).status is CouponStatus.USABLE


def test_guessed_codes_lock_the_coupon_and_the_owner_hears_of_it(app, shop):
    from merchant.feed import merchant_channel

    s = shop()
    coupon_id, secret = s["coupons"][0]
    right = tokens.typed_code(coupon_id, secret, utcnow().timestamp())
    wrong = f"{coupon_id}-{(int(right.split('-')[1]) + 1) % 1_000_000:06d}"
    stream = app.extensions["linli_feed"].subscribe(merchant_channel(s["merchant_id"]))
    for _ in range(MAX_WRONG_CODES):
        assert redeem(s["cashier"], wrong).json["reason"] == "not_genuine"
    locked = redeem(s["cashier"], right)
    assert locked.status_code == 423 and locked.json["reason"] == "codes_locked"
    events = [stream.get(timeout=1) for _ in range(MAX_WRONG_CODES + 2)]
    stream.close()
    kinds = [json.loads(e)["kind"] for e in events if e]
    assert kinds.count("codes_locked") == 1 and kinds.count("refused") == MAX_WRONG_CODES + 1
    with app.app_context():
        assert db.session.get(WalletCoupon, coupon_id).status is CouponStatus.USABLE


def test_another_shops_guesses_do_not_count_against_a_coupon(app, shop):
    mine, other = shop(), shop()
    coupon_id, secret = mine["coupons"][0]
    for _ in range(MAX_WRONG_CODES + 2):
        assert redeem(other["cashier"], f"{coupon_id}-000000").json["reason"] == "other_merchant"
    assert redeem(mine["cashier"], qr(mine["coupons"][0])).status_code == 200


def test_odd_digits_and_huge_ids_are_refused_not_crashed(app, shop):
    s = shop()
    coupon_id = s["coupons"][0][0]
    for code in (f"{coupon_id}-١٢٣٤٥٦", f"LL1:{coupon_id}:1:١٢٣٤٥٦", "١٢٣-٤٥٦٧٨٩",
                  "LL1:１:２:３４５６７８", "9999999999-123456", "LL1:9999999999:1:123456", "²-123456"):
        response = redeem(s["cashier"], code)
        assert response.status_code == 422, (code, response.json)
        assert response.json["reason"] in ("malformed", "not_genuine")


def test_the_statement_fails_on_a_ledger_row_edited_behind_its_back(app, shop):
    s = shop(coupons=2)
    for coupon in s["coupons"]:
        assert redeem(s["cashier"], qr(coupon), 4000).status_code == 200
    page = s["cashier"].get("/merchant/statement")
    assert 'class="reconcile good"' in page.text
    with app.app_context():
        db.session.execute(update(LedgerEntry).where(LedgerEntry.kind == EntryKind.REDEEMED,
                                                     LedgerEntry.coupon_id == s["coupons"][0][0])
                           .values(discount_cents=LedgerEntry.discount_cents + 1))
        db.session.commit()
    assert 'class="reconcile bad"' in s["cashier"].get("/merchant/statement").text


def test_the_statement_reconciles_while_redemptions_commit_beside_it(app, shop):
    from merchant import reports

    s = shop(coupons=12)
    today = utcnow().date()
    stop, verdicts = threading.Event(), []

    def keep_reading():
        with app.app_context():
            while not stop.is_set():
                verdicts.append(reports.statement(s["merchant_id"], today, today).reconciles)
                db.session.rollback()

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        for coupon in s["coupons"]:
            assert redeem(s["cashier"], qr(coupon), 3000).status_code == 200
    finally:
        stop.set()
        reader.join(timeout=30)
    assert verdicts and all(verdicts)


def test_formulas_in_names_reach_the_csv_as_text(app, shop):
    s = shop(title="=HYPERLINK(\"http://evil.example\",\"free\")")
    assert redeem(s["cashier"], qr(s["coupons"][0]), 4000).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.kind == EntryKind.REDEEMED))
    body = s["cashier"].get("/merchant/statement.csv").text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    campaign_cells = [row[4] for row in rows[1:] if row[1] == "redeemed"]
    assert campaign_cells == ["'=HYPERLINK(\"http://evil.example\",\"free\")"]
