"""At the till in real browsers: the resident's phone shows the rotating QR, the cashier's page
redeems a screenshot of it, the owner's dashboard shows it live, and the screenshot expires."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
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
        till.get_by_role("dialog", name="Void this redemption?").get_by_role("button", name="Yes, void it").click()
        expect(till.locator("#result-title")).to_have_text("Redemption voided")
        expect(till.locator("#result-detail")).to_have_text("The coupon is back in the customer's wallet.")
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


# --- every control after every outcome, on a phone ---------------------------------------------

def _guard(page) -> list[str]:
    """What must never happen at the till: a page-level error, a raw error page, an empty id."""
    bad: list[str] = []
    page.on("pageerror", lambda error: bad.append(f"script error: {error}"))
    page.on("response", lambda r: bad.append(f"{r.status} page {r.url}")
            if r.request.is_navigation_request() and r.status >= 400 else None)
    page.on("request", lambda r: bad.append(f"request to {r.url}") if "//" in r.url.split("://", 1)[1] else None)
    page.on("filechooser", lambda chooser: None)  # the photo button: chooser opened, nothing chosen
    return bad


def _fully_in_view(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    topbar = page.locator(".topbar").bounding_box()
    assert box and box["y"] >= topbar["y"] + topbar["height"] - 1 and box["y"] + box["height"] <= 844, box


def _click_every_control(page, base: str, bad: list[str]) -> None:
    """Every visible button of the till, one after the other; a void button opens the in-page
    confirmation, which is answered "No, keep it" (the focus goes back to the button)."""
    controls = page.locator("#till button:visible, #till label.button:visible, #result button:visible, "
                            "#recent button:visible")
    dialog = page.get_by_role("dialog", name="Void this redemption?")
    for handle in controls.element_handles():
        if not handle.is_visible():
            continue
        is_void = handle.evaluate("b => b.id === 'void-last' || b.classList.contains('void')")
        handle.click()
        if is_void:
            expect(dialog).to_be_visible()
            assert dialog.locator("#void-confirm-what").inner_text().strip()
            expect(dialog.get_by_role("button", name="No, keep it")).to_be_focused()
            dialog.get_by_role("button", name="No, keep it").click()
            expect(dialog).to_be_hidden()
            assert handle.evaluate("b => document.activeElement === b")
    if page.locator("#stop-camera").is_visible():
        page.locator("#stop-camera").click()
    for href in page.locator("main a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert page.request.get(base + href).status == 200, href
    assert page.url == f"{base}/merchant/till", page.url
    assert "requested URL was not found" not in page.content()
    assert bad == [], bad


def _scan(page, bill: str, code: str) -> None:
    page.evaluate("""() => { window.cleared = false; const r = document.getElementById('result');
        new MutationObserver(() => { if (r.hidden) window.cleared = true; }).observe(r, {attributes: true}); }""")
    page.locator("#bill").fill(bill)
    page.locator("#code").fill(code)
    page.locator("#redeem").click()


def _void(page, button) -> None:
    button.click()
    dialog = page.get_by_role("dialog", name="Void this redemption?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Yes, void it").click()
    expect(dialog).to_be_hidden()


def test_every_till_control_after_every_outcome_stays_on_the_till(chromium, app, shop, monkeypatch):
    from merchant import tokens
    from merchant.redemption import MAX_WRONG_CODES
    from tests.conftest import login
    from tests.test_redemption import redeem

    s = shop(coupons=4, amount_off_cents=500, title="Noodle night")
    (c1, k1), (c2, k2), (c3, k3), (c4, k4) = s["coupons"]

    def typed(coupon_id, secret):
        return tokens.typed_code(coupon_id, secret, time.time())

    title, detail = "#result-title", "#result-detail"
    with live_server(app) as base:
        context = chromium.new_context(**PHONE, locale="en-GB")
        till = context.new_page()
        bad = _guard(till)
        sign_in(till, base, _cashier_identifier(app, s), TEST_PASSWORD)
        till.goto(f"{base}/merchant/till")
        _click_every_control(till, base, bad)

        # Redeemed: the card is in full view, with its void button.
        _scan(till, "40", typed(c1, k1))
        expect(till.locator(title)).to_have_text("Coupon accepted")
        expect(till.locator("#result-pay")).to_have_text("Customer pays ¥35")
        _fully_in_view(till, "#result")
        _click_every_control(till, base, bad)

        # Refused (the same coupon again): the card is replaced, and there is no void button,
        # not even for a script that clicks the hidden one.
        _scan(till, "40", typed(c1, k1))
        expect(till.locator(title)).to_have_text("Not accepted")
        expect(till.locator(detail)).to_have_text("This coupon has already been used.")
        assert till.evaluate("window.cleared")
        expect(till.locator("#void-last")).to_be_hidden()
        till.locator("#void-last").dispatch_event("click")
        expect(till.get_by_role("dialog")).to_be_hidden()
        _fully_in_view(till, "#result")
        _click_every_control(till, base, bad)
        till.locator("#code").fill("1")  # typing another code clears the stale refusal
        expect(till.locator("#result")).to_be_hidden()

        # Voided from the card, after the confirmation: the coupon is back in the wallet.
        _scan(till, "40", typed(c2, k2))
        expect(till.locator(title)).to_have_text("Coupon accepted")
        _void(till, till.get_by_role("button", name="Void this redemption"))
        expect(till.locator(title)).to_have_text("Redemption voided")
        expect(till.locator("#result-pay")).to_have_text("Customer pays ¥40")
        expect(till.locator(detail)).to_have_text("The coupon is back in the customer's wallet.")
        expect(till.locator("#recent li").first.locator(".badge")).to_have_text("Voided")
        _fully_in_view(till, "#result")
        _click_every_control(till, base, bad)

        # Void refused: voided meanwhile at another till.
        _scan(till, "40", typed(c2, k2))
        expect(till.locator(title)).to_have_text("Coupon accepted")
        rid = till.locator("#void-last").get_attribute("data-redemption-id")
        assert s["cashier"].post(f"/api/merchant/redemptions/{rid}/void").status_code == 200
        _void(till, till.locator(f'#recent li[data-redemption-id="{rid}"] button'))
        expect(till.locator(title)).to_have_text("Not voided")
        expect(till.locator(detail)).to_have_text("This redemption was already voided.")
        expect(till.locator(f'#recent li[data-redemption-id="{rid}"] .badge')).to_have_text("Voided")
        _click_every_control(till, base, bad)

        # Void refused: too late.
        _scan(till, "40", typed(c3, k3))
        expect(till.locator(title)).to_have_text("Coupon accepted")
        rid = till.locator("#void-last").get_attribute("data-redemption-id")
        with monkeypatch.context() as later:
            later.setattr(merchant.till_api, "utcnow", lambda: utcnow() + timedelta(minutes=11))
            _void(till, till.get_by_role("button", name="Void this redemption"))
            expect(till.locator(title)).to_have_text("Not voided")
        expect(till.locator(detail)).to_have_text("Too late: a redemption can be voided only within 10 minutes.")
        expect(till.locator("#void-last")).to_be_hidden()
        expect(till.locator(f'#recent li[data-redemption-id="{rid}"] button')).to_have_count(0)
        _fully_in_view(till, "#result")
        _click_every_control(till, base, bad)

        # A retry whose first answer was lost, voided in between: "voided since", not "redeemed".
        tries = []

        def lose_the_first_answer(route):
            tries.append(route.request.headers["idempotency-key"])
            if len(tries) == 1:
                first = route.fetch()
                voided = s["cashier"].post(f"/api/merchant/redemptions/{first.json()['redemption_id']}/void")
                assert voided.status_code == 200
                route.abort("connectionreset")
            else:
                route.continue_()

        till.route("**/api/merchant/redemptions", lose_the_first_answer)
        _scan(till, "40", typed(c2, k2))
        expect(till.locator(title)).to_have_text("Not accepted", timeout=10_000)
        expect(till.locator(detail)).to_have_text("This redemption was voided since. Scan the coupon again to "
                                                  "redeem it.")
        assert len(tries) == 2 and tries[0] == tries[1]
        till.unroute("**/api/merchant/redemptions")
        _click_every_control(till, base, bad)

        # Codes locked after guesses.
        right = typed(c4, k4)
        wrong = f"{c4}-{(int(right.split('-')[1]) + 1) % 1_000_000:06d}"
        for _ in range(MAX_WRONG_CODES):
            redeem(s["cashier"], wrong)
        _scan(till, "40", right)
        expect(till.locator(title)).to_have_text("Not accepted")
        expect(till.locator(detail)).to_contain_text("Too many wrong codes were tried for this coupon")
        _click_every_control(till, base, bad)

        # Voided after its campaign ended with "void": the coupon stays cancelled.
        owner = login(app, s["owner"])
        assert owner.post(f"/api/merchant/campaigns/{s['campaign_id']}/state",
                          json={"action": "end", "end_policy": "void"}).status_code == 200
        first = till.locator("#recent li").last
        _void(till, first.get_by_role("button", name="Void"))
        expect(till.locator(title)).to_have_text("Redemption voided")
        expect(till.locator(detail)).to_have_text("Its campaign has ended, so the coupon stays cancelled.")
        _fully_in_view(till, "#result")
        _click_every_control(till, base, bad)

        # The links, last: they leave the till for pages that work.
        for name in ("Dashboard", "Today's statement"):
            till.get_by_role("link", name=name).click()
            till.wait_for_load_state("networkidle")
            till.go_back()
        assert bad == [], bad
        context.close()


def test_the_till_on_a_phone_in_both_languages_and_in_large_text(chromium, app, shop, database_url):
    """Screenshots of what the cashier sees (test-artifacts/till-phone-*), nothing wider than the phone."""
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    from merchant import tokens

    s = shop(coupons=2, amount_off_cents=500, title="Noodle night")
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = chromium.new_context(**PHONE, locale="en-GB")
        till = context.new_page()
        bad = _guard(till)
        sign_in(till, base, _cashier_identifier(app, s), TEST_PASSWORD)
        till.goto(f"{base}/merchant/till")
        for lang, large in (("en", False), ("en", True), ("zh", True), ("zh", False)):
            if (till.locator("html").get_attribute("lang") or "").startswith("zh") != (lang == "zh"):
                till.locator(".prefs .chip[name=locale]").click()
                till.wait_for_load_state("networkidle")
            if ("large-text" in (till.locator("html").get_attribute("class") or "")) != large:
                till.locator(".prefs .chip[name=large_text]").click()
                till.wait_for_load_state("networkidle")
            name = f"till-phone-{lang}-{'large' if large else 'normal'}"
            coupon_id, secret = s["coupons"][0]
            _scan(till, "38.50", tokens.typed_code(coupon_id, secret, time.time()))
            expect(till.locator("#result.good")).to_be_visible()
            _fully_in_view(till, "#result")
            till.screenshot(path=str(ARTIFACTS / f"{name}-1-accepted.png"))
            till.locator("#void-last").click()
            expect(till.locator("#void-confirm")).to_be_visible()
            till.screenshot(path=str(ARTIFACTS / f"{name}-2-confirm.png"))
            till.locator("#void-yes").click()
            expect(till.locator("#result.voided")).to_be_visible()
            _fully_in_view(till, "#result")
            till.screenshot(path=str(ARTIFACTS / f"{name}-3-voided.png"))
            _scan(till, "38.50", "not a coupon")
            expect(till.locator("#result.bad")).to_be_visible()
            _fully_in_view(till, "#result")
            till.screenshot(path=str(ARTIFACTS / f"{name}-4-refused.png"))
            till.screenshot(path=str(ARTIFACTS / f"{name}-5-page.png"), full_page=True)
            assert till.evaluate("document.documentElement.scrollWidth") <= 390, name
        assert bad == [], bad
        context.close()
