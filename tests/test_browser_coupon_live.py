"""At the till, on the resident's phone: the coupon page says "used" within a second of the
cashier's redemption and the QR goes; a void gives the coupon back and the QR returns."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from core.formatting import yuan
from tests.browser import PHONE, live_server, sign_in
from tests.conftest import ARTIFACTS, TEST_PASSWORD
from tests.test_redemption import qr, redeem

USED = {"en": re.compile(r"^Used at \d{1,2}:\d{2}( [AP]M)? at .+, you saved ¥\d+"),
        "zh": re.compile(r"^\d{1,2}:\d{2} 已在.+使用，为您省了 ¥\d+")}
BACK = {"en": "Back in your wallet", "zh": "已退回您的卡包"}


def wait_for_stream(app, timeout: float = 10) -> None:
    """Until the page's stream is subscribed on the server: from then on no event can be missed."""
    deadline = time.monotonic() + timeout
    while app.extensions["linli_feed"].streams() == 0:
        assert time.monotonic() < deadline, "the coupon page never opened its live stream"
        time.sleep(0.05)


def test_the_coupon_page_hears_the_till_redeem_and_void(chromium, app, shop, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    s = shop(coupons=2, amount_off_cents=500)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = chromium.new_context(**PHONE, locale="en-GB")
        page = context.new_page()
        sign_in(page, base, s["resident"], TEST_PASSWORD)
        for locale, coupon in zip(("en", "zh"), s["coupons"], strict=True):
            if locale == "zh":
                page.locator("button[name=locale][value=zh]").click()
                page.wait_for_load_state("load")
            page.goto(f"{base}/wallet/coupons/{coupon[0]}", wait_until="load")
            expect(page.locator("#till-code.ready")).to_be_visible()
            wait_for_stream(app)
            sent = time.perf_counter()
            done = redeem(s["cashier"], qr(coupon), 3000).json
            state = page.locator("#coupon-state")
            expect(state).to_have_text(USED[locale], timeout=5000)
            took = time.perf_counter() - sent
            print(f"{locale}: redeemed -> page says used in {took * 1000:.0f} ms")
            assert took < 1, f"the page said 'used' {took:.2f} s after the redemption"
            expect(state).to_contain_text(yuan(done["discount_cents"]))
            expect(page.locator("#till-code")).to_be_hidden()
            expect(page.locator("#used-stamp")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / f"coupon-used-{locale}.png"))
            voided = s["cashier"].post(f"/api/merchant/redemptions/{done['redemption_id']}/void")
            assert voided.status_code == 200
            expect(state).to_have_text(BACK[locale], timeout=5000)
            expect(page.locator("#qr svg")).to_be_visible()
            expect(page.locator("#used-stamp")).to_be_hidden()
            page.screenshot(path=str(ARTIFACTS / f"coupon-back-{locale}.png"))
        context.close()
