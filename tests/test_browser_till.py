"""At the till in real browsers: the resident's phone shows the rotating QR, the cashier's page
redeems a screenshot of it, the owner's dashboard shows it live, and the screenshot expires."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from playwright.sync_api import expect

import merchant.till_api
from core.db import utcnow
from tests.browser import PHONE, live_server, sign_in
from tests.conftest import ARTIFACTS, TEST_PASSWORD


def test_screenshot_of_the_phone_redeemed_live_on_the_dashboard_then_voided_and_expired(chromium, app, shop,
                                                                                         database_url, monkeypatch):
    engine = database_url.split(":")[0].split("+")[0]
    s = shop(amount_off_cents=500, min_spend_cents=2000, title="Noodle night")
    coupon_id = s["coupons"][0][0]
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        phone = chromium.new_context(**PHONE, locale="en-GB")
        resident = phone.new_page()
        sign_in(resident, base, s["resident"], TEST_PASSWORD)
        resident.goto(f"{base}/wallet/coupons/{coupon_id}")
        expect(resident.locator("#till-code.ready")).to_be_visible()
        expect(resident.locator("#short-code")).to_have_text(re.compile(rf"^{coupon_id}-\d{{3}} \d{{3}}$"))
        assert resident.evaluate("document.documentElement.scrollWidth") <= 390
        resident.screenshot(path=str(ARTIFACTS / f"coupon-qr-{engine}.png"), full_page=True)
        shot = ARTIFACTS / f"qr-screenshot-{engine}.png"
        resident.locator("#qr").screenshot(path=str(shot))

        owner_context = chromium.new_context(**PHONE, locale="en-GB")
        dashboard = owner_context.new_page()
        sign_in(dashboard, base, s["owner"], TEST_PASSWORD)
        dashboard.goto(f"{base}/merchant/dashboard")
        expect(dashboard.locator("#live-state.on")).to_be_attached()

        till_context = chromium.new_context(**PHONE, locale="en-GB")
        till = till_context.new_page()
        sign_in(till, base, _cashier_identifier(app, s), TEST_PASSWORD)
        till.goto(f"{base}/merchant/till")
        till.locator("#bill").fill("38.50")
        till.locator("#photo").set_input_files(str(shot))
        expect(till.locator("#result-title")).to_have_text("Coupon accepted")
        expect(till.locator("#result-pay")).to_have_text("Customer pays ¥33.50")
        redeemed_at = time.perf_counter()
        till.screenshot(path=str(ARTIFACTS / f"till-accepted-{engine}.png"), full_page=True)

        # The owner's dashboard, in another browser context, within a second.
        expect(dashboard.locator("#live li").first).to_contain_text("Noodle night", timeout=1000)
        assert time.perf_counter() - redeemed_at < 1.5
        expect(dashboard.locator('[data-figure="redeemed"]')).to_have_text("1")
        expect(dashboard.locator('[data-figure="discount"]')).to_have_text("¥5")
        dashboard.screenshot(path=str(ARTIFACTS / f"dashboard-live-{engine}.png"), full_page=True)

        # A mistake at the till: void it, and the coupon is back on the resident's phone.
        till.get_by_role("button", name="Void this redemption").click()
        expect(till.locator("#till-status")).to_contain_text("Redemption voided")
        resident.goto(f"{base}/wallet/coupons/{coupon_id}")
        expect(resident.locator("#till-code.ready")).to_be_visible()
        expect(dashboard.locator("#live li").first).to_contain_text("voided")

        # Two minutes later the same screenshot is refused: the code in it has expired.
        monkeypatch.setattr(merchant.till_api, "utcnow", lambda: utcnow() + timedelta(minutes=2))
        till.locator("#bill").fill("38.50")
        till.locator("#photo").set_input_files(str(shot))
        expect(till.locator("#result-title")).to_have_text("Not accepted")
        expect(till.locator("#result-detail")).to_contain_text("This code has expired")
        till.screenshot(path=str(ARTIFACTS / f"till-expired-{engine}.png"), full_page=True)

        statement = owner_context.new_page()
        statement.goto(f"{base}/merchant/statement")
        expect(statement.locator("#reconcile")).to_contain_text("add up to the ledger")
        expect(statement.locator('[data-total="discount"]')).to_have_text("0.00")  # redeemed and voided
        statement.screenshot(path=str(ARTIFACTS / f"statement-{engine}.png"), full_page=True)
        for context in (phone, owner_context, till_context):
            context.close()


def _cashier_identifier(app, s):
    from core.db import db
    from core.identity.models import User

    with app.app_context():
        return db.session.get(User, s["cashier_id"]).identifier


def test_the_coupon_code_keeps_rotating_offline_and_is_forgotten_at_sign_out(chromium, app, shop):
    s = shop()
    coupon_id = s["coupons"][0][0]
    with live_server(app) as base:
        context = chromium.new_context(**PHONE, locale="en-GB")
        page = context.new_page()
        sign_in(page, base, s["resident"], TEST_PASSWORD)
        page.goto(f"{base}/wallet/coupons/{coupon_id}")
        expect(page.locator("#till-code.ready")).to_be_visible()
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()  # now through the service worker, which keeps this page for offline use
        expect(page.locator("#till-code.ready")).to_be_visible()
        first = page.locator("#qr").get_attribute("data-payload")

        context.set_offline(True)
        page.reload()
        expect(page.locator("#till-code.ready")).to_be_visible()
        assert page.locator("#qr").get_attribute("data-payload").startswith(f"LL1:{coupon_id}:")
        context.set_offline(False)
        assert first.split(":")[1] == str(coupon_id)

        page.get_by_role("button", name="Sign out", exact=True).click()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("localStorage.getItem('linli.keys')") is None
        context.close()


def _qr_video(payload: str, path) -> None:
    """A Y4M clip of a phone's QR code, for Chromium's fake camera (a few frames, looped)."""
    import qrcode
    from PIL import Image

    frame = Image.new("RGB", (640, 480), "white")
    code = qrcode.make(payload, box_size=8, border=4).get_image().convert("RGB")
    code.thumbnail((440, 440))
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n" + (b"FRAME\n" + planes) * 10)


def test_the_till_scans_a_phone_held_up_to_its_camera(chromium, app, shop, tmp_path):
    from merchant.tokens import qr_payload
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    s = shop(amount_off_cents=800, title="Dumpling set")
    coupon_id, secret = s["coupons"][0]
    video = tmp_path / "phone.y4m"
    _qr_video(qr_payload(coupon_id, secret, time.time()), video)
    camera_browser = chromium.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        with live_server(app) as base:
            context = camera_browser.new_context(**PHONE, locale="en-GB", permissions=["camera"])
            till = context.new_page()
            sign_in(till, base, _cashier_identifier(app, s), TEST_PASSWORD)
            till.goto(f"{base}/merchant/till")
            till.locator("#bill").fill("60")
            till.get_by_role("button", name="Scan with the camera").click()
            expect(till.locator("#result-title")).to_have_text("Coupon accepted", timeout=10_000)
            expect(till.locator("#result-pay")).to_have_text("Customer pays ¥52")
            expect(till.locator("#scanner")).to_be_hidden()  # the camera is switched off after a read
            context.close()
    finally:
        camera_browser.close()
    with app.app_context():
        from sqlalchemy import select

        from core.db import db
        from merchant.models import EntryKind, LedgerEntry

        entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REDEEMED)).one()
        assert (entry.coupon_id, entry.reason, entry.discount_cents) == (coupon_id, "camera", 800)
