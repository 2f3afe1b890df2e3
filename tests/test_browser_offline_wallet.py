"""The offline wallet (issue 12) in Chromium on a 390 px phone: a resident in a lift with no signal.

Online, the wallet keeps every usable coupon on the phone (its page, fetched by the service worker,
and its key); cut the network and reload: the wallet lists them and says when it last synced, and a
coupon whose page was never opened draws its rotating QR (decoded here, and checked against the
coupon's own TOTP). A Chinese resident reads all of it, the generic offline page too, in Chinese. A
signage board reloaded offline shows its last board and since when it is offline. Signing out
drops the kept pages and keys.
"""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from playwright.sync_api import expect

from core.db import db
from tests.browser import PHONE, live_server, sign_in
from tests.conftest import ARTIFACTS, TEST_PASSWORD, login


@pytest.fixture
def sqlite_only(database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")


def _resident_prefers(app, identifier: str, **preferences) -> None:
    from core.identity.models import User

    with app.app_context():
        user = db.session.query(User).filter_by(email=identifier).one()
        for name, value in preferences.items():
            setattr(user, name, value)
        db.session.commit()


def _kept_for_offline(page, coupons: int) -> None:
    """The wallet page has handed every coupon to the phone: keys held, pages kept (and the list)."""
    shelf = page.locator("#shelf")
    expect(shelf).to_have_attribute("data-offline", "ready", timeout=15_000)
    assert shelf.get_attribute("data-offline-keys") == str(coupons)
    assert shelf.get_attribute("data-offline-pages") == str(coupons + 1)


def _decoded_qr(locator) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(locator.screenshot())))
    assert found, "no QR code found in the picture"
    return found[0].text


def test_the_wallet_and_a_never_opened_coupon_work_after_a_reload_offline(chromium, app, shop, sqlite_only):
    from merchant.tokens import code_at

    s = shop(coupons=2, title="Noodle night")
    (first_id, _), (never_id, never_secret) = s["coupons"]
    zh = shop(title="Dumplings")
    _resident_prefers(app, zh["resident"], locale="zh", large_text=True)
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = chromium.new_context(**PHONE, locale="en-GB")
        page = context.new_page()
        sign_in(page, base, s["resident"], TEST_PASSWORD)
        page.goto(f"{base}/wallet")  # the first visit: not the worker's yet, which keeps the pages itself
        _kept_for_offline(page, 2)
        expect(page.locator("#offline-status")).to_be_hidden()
        page.goto(f"{base}/wallet/coupons/{first_id}")  # one coupon opened online, the other never
        expect(page.locator("#till-code.ready")).to_be_visible()

        context.set_offline(True)
        expect(page.locator("#offline-status")).to_be_visible()  # the live page, as the signal goes
        page.goto(f"{base}/wallet")
        expect(page.locator(".coupon")).to_have_count(2)
        status = page.locator("#offline-status")
        expect(status).to_be_visible()
        expect(status).to_have_text(re.compile(r"^You are offline\. Shown as of \d{1,2}:\d{2} \(last synced\)\.$"))
        expect(page.locator("#airdrop-status")).to_have_text("You are offline. Your coupons still work.")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / "offline-wallet-en.png"), full_page=True)

        page.locator(f'a[href="/wallet/coupons/{never_id}"]').click()
        expect(page.locator("#till-code.ready")).to_be_visible()
        expect(page.locator("#offline-status")).to_be_visible()
        qr = page.locator("#qr")
        payload = qr.get_attribute("data-payload")
        prefix, coupon, step, code = payload.split(":")
        assert (prefix, coupon, code) == ("LL1", str(never_id), code_at(never_secret, int(step)))
        assert abs(int(step) - time.time() // 30) <= 1
        _, coupon, step, code = _decoded_qr(qr).split(":")  # what a till's camera reads
        assert coupon == str(never_id) and code == code_at(never_secret, int(step))
        page.screenshot(path=str(ARTIFACTS / "offline-wallet-coupon-en.png"))

        # Online, but the server cannot answer (a proxy's 503): the kept copy, saying so all the same.
        context.set_offline(False)
        wallet_view = app.view_functions["wallet_pages.wallet"]
        app.view_functions["wallet_pages.wallet"] = lambda: ("Service Unavailable", 503)
        page.goto(f"{base}/wallet")
        expect(page.locator(".coupon")).to_have_count(2)
        expect(page.locator("#offline-status")).to_be_visible()
        assert page.evaluate("navigator.onLine") is True
        app.view_functions["wallet_pages.wallet"] = wallet_view

        # Sign out (online): the kept pages and keys go, so the next person offline finds no coupon.
        page.goto(f"{base}/wallet")
        page.get_by_role("button", name="Sign out", exact=True).click()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("localStorage.getItem('linli.keys')") is None
        context.set_offline(True)
        for path in ("/wallet", f"/wallet/coupons/{never_id}"):
            page.goto(base + path)
            expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
            expect(page.locator(".coupon, #till-code")).to_have_count(0)

        # Her session ends without a sign-out on this phone (it expired, or "sign out everywhere"
        # elsewhere) and a Chinese neighbour signs in on it: none of the first one's coupons is left.
        context.set_offline(False)
        sign_in(page, base, s["resident"], TEST_PASSWORD)
        page.goto(f"{base}/wallet")
        _kept_for_offline(page, 2)
        context.clear_cookies()
        sign_in(page, base, zh["resident"], TEST_PASSWORD)  # her browser asks for English
        page.goto(f"{base}/wallet")
        _kept_for_offline(page, 1)
        assert list(json.loads(page.evaluate("localStorage.getItem('linli.keys')"))) == [str(zh["coupons"][0][0])]
        context.set_offline(True)
        page.reload()
        status = page.locator("#offline-status")
        expect(status).to_have_text(re.compile(r"^您已离线。显示的是上次同步（.*\d{1,2}:\d{2}）的内容。$"))
        expect(page.locator(".coupon")).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / "offline-wallet-zh.png"), full_page=True)
        page.locator(".coupon-link").click()  # in large text: the QR and the cashier's button still first
        expect(page.locator("#till-code.ready")).to_be_visible()
        for part in ("#qr", "#cashier-open"):
            box = page.locator(part).bounding_box()
            assert box["y"] + box["height"] <= PHONE["viewport"]["height"], part
        page.screenshot(path=str(ARTIFACTS / "offline-wallet-coupon-zh-large.png"))
        for path in (f"/wallet/coupons/{never_id}", "/report"):  # someone else's, never kept: the offline page
            page.goto(base + path)
            expect(page.get_by_role("heading", level=1)).to_have_text("您已离线")
            assert page.evaluate("document.documentElement.lang") == "zh-Hans"
        page.screenshot(path=str(ARTIFACTS / "offline-wallet-offline-page-zh.png"))
        context.close()


def test_a_signage_board_reloaded_offline_shows_its_last_board(chromium, app, make_fence, make_merchant,
                                                               make_campaign, sqlite_only):
    with app.app_context():
        fence = make_fence(name="Community centre")
        shop = make_merchant(name="Old Shanghai Noodles",
                             translations={"name": {"en": "Old Shanghai Noodles", "zh": "老上海面馆"}})
        make_campaign(fences=[fence.id], merchant_id=shop.id)  # no windows: drops at any time
        db.session.commit()
        fence_id = fence.id
    with live_server(app) as base:
        context = chromium.new_context(viewport={"width": 720, "height": 1280}, locale="en-GB")
        page = context.new_page()
        page.goto(f"{base}/signage/{fence_id}")  # a lift screen's first visit: it registers the worker
        rows = page.locator('.signage-rows[data-part="now"] .signage-row')
        expect(rows).to_have_count(1)
        deadline = time.monotonic() + 10  # until the worker has kept the page (it did not see it load)
        while not page.evaluate("caches.open('linli-signage').then((c) => c.keys()).then((k) => k.length === 1)"):
            assert time.monotonic() < deadline, "the signage page was not kept"
            page.wait_for_timeout(100)

        context.set_offline(True)
        page.reload()
        notice = page.locator("#signage-offline")
        expect(notice).to_be_visible()
        expect(notice.locator('[data-lang="en"]')).to_have_text(re.compile(r"^Offline since \d{2}:\d{2}$"))
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Old Shanghai Noodles")
        page.screenshot(path=str(ARTIFACTS / "offline-wallet-signage.png"))
        context.close()


def test_pages_name_their_language_and_account_for_the_service_worker(app, shop, client):
    s = shop(coupons=2)
    resident = login(app, s["resident"])
    page = resident.get("/wallet?shelf=used")
    assert page.headers["Content-Language"] == "en"
    account = page.headers["X-Linli-Account"]
    assert re.fullmatch(r"[0-9a-f]{24}", account)  # a keyed hash: it names nobody
    assert login(app, shop()["resident"]).get("/wallet").headers["X-Linli-Account"] != account
    # Every usable coupon is handed to the phone, whichever shelf the page shows.
    sync = json.loads(re.search(r'id="offline-sync">(.*?)</script>', page.get_data(as_text=True)).group(1))
    assert sync["account"] == account and sync["list"] == "/wallet"
    assert sync["coupons"] == {str(i): {"page": f"/wallet/coupons/{i}", "key": f"/api/wallet/coupons/{i}/key"}
                               for i, _ in s["coupons"]}
    assert "X-Linli-Account" not in client.get("/login").headers  # nobody's
    assert "X-Linli-Account" not in resident.get(f"/api/wallet/coupons/{s['coupons'][0][0]}/key").headers
    # The offline page in the language asked for, whoever asks: the worker keeps one per language.
    offline = client.get("/offline?lang=zh", headers={"Accept-Language": "en"})
    assert offline.headers["Content-Language"] == "zh" and "您已离线" in offline.get_data(as_text=True)
    assert "You are offline" in resident.get("/offline?lang=en").get_data(as_text=True)
    worker = client.get("/sw.js").get_data(as_text=True)
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", worker).group(1))
    assert {"/offline?lang=en", "/offline?lang=zh", "/static/js/coupon-keys.js",
            "/static/vendor/uqr/dist/index.mjs", "/static/vendor/otpauth/dist/otpauth.esm.min.js"} <= set(shell)
