"""Proof of presence in Chromium: a resident who refused location scans the community centre's
screen (here: a screenshot of it taken in a second browser) and gets the airdrop; the same
screenshot two minutes later is refused. The screen at 1920x1080 and 720x1280, the phone at 390 px."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from airdrop import presence
from core.db import db, utcnow
from core.identity.models import User
from demo.district import DEMO_PASSWORD
from geofence.models import Fence
from geofence.presence_rules import screen_token
from merchant.models import WalletCoupon
from tests.browser import PHONE, sign_in
from tests.conftest import ARTIFACTS

RESIDENT = "resident@linli.demo"


def _axe_clean(page, what: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert not violations, (what, [(v["id"], v["help"], [n["html"] for n in v["nodes"]][:3]) for v in violations])


def _demo(app):
    with app.app_context():
        fence = db.session.scalars(select(Fence).where(Fence.name == "Dongming Community Centre")).one()
        resident = db.session.scalars(select(User).where(User.email == RESIDENT)).one()
        return fence.id, screen_token(fence.presence_secret, fence.id), resident.id


def _coupons(app, resident_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WalletCoupon)
                                 .where(WalletCoupon.resident_id == resident_id))


def _decode(png: bytes) -> str:
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code in the screenshot"
    return found[0].text


def _screen(chromium, url: str, size: tuple[int, int], name: str) -> bytes:
    """The signage screen link at that size: its QR's screenshot (after the JS fetched a code)."""
    context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, locale="en-GB")
    page = context.new_page()
    page.goto(url)
    qr = page.locator("#signage-qr")
    expect(qr).to_be_visible()
    page.wait_for_function("() => document.getElementById('signage-qr').src.startsWith('blob:')"
                           " && document.getElementById('signage-qr').naturalWidth > 0")
    box = qr.bounding_box()
    # Scannable from about 1 m: at least 8 px a module for this 37-module code (29 plus quiet zone).
    assert box["width"] >= 300 and box["height"] >= 300, box
    assert box["x"] + box["width"] <= size[0] and box["y"] + box["height"] <= size[1], "the QR is off the screen"
    assert page.evaluate("document.documentElement.scrollHeight") <= size[1]
    expect(page.locator("#signage-code-caption")).to_contain_text("Scan to collect coupons here")
    expect(page.locator("#signage-code-caption")).to_contain_text("扫码领取本站优惠券")
    page.screenshot(path=str(ARTIFACTS / f"presence-signage-{name}.png"))
    png = qr.screenshot()
    context.close()
    return png


def test_a_screenshot_of_the_screen_drops_coupons_once_and_is_dead_two_minutes_later(
        chromium, demo_site, app, database_url, monkeypatch):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    ARTIFACTS.mkdir(exist_ok=True)
    fence_id, token, resident_id = _demo(app)
    screen_url = f"{demo_site}/signage/{fence_id}?screen={token}"

    _screen(chromium, screen_url, (720, 1280), "720x1280")
    here_url = _decode(_screen(chromium, screen_url, (1920, 1080), "1920x1080"))
    assert here_url.startswith(f"{demo_site}/here/{fence_id}/")
    before = _coupons(app, resident_id)

    # The phone: location never granted.
    context = chromium.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    sign_in(page, demo_site, RESIDENT, DEMO_PASSWORD)
    page.goto(here_url)  # what the phone's camera app opens
    page.wait_for_url(f"{demo_site}/wallet")
    expect(page.locator(".notice").first).to_contain_text("You are at Dongming Community Centre until")
    expect(page.locator(".notice").first).to_contain_text("(scanned code)")
    expect(page.get_by_text("New coupons are in your wallet.").first).to_be_visible()
    expect(page.locator("#airdrop-status")).to_contain_text("Location is switched off")
    expect(page.locator("#presence-status")).to_contain_text("(scanned code)")  # the wallet's own check-in
    page.wait_for_load_state("networkidle")
    after = _coupons(app, resident_id)
    assert after > before
    assert page.locator("#shelf .coupon").count() == after
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "presence-wallet-phone.png"), full_page=True)
    _axe_clean(page, "wallet after a scan")

    # The same screenshot two minutes on (the server's clock moved): refused, and nothing dropped.
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(presence, "now", lambda: later)
    response = page.goto(here_url)
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This code has expired. Scan the screen again.")
    assert page.locator("#here-form").count() == 0
    page.screenshot(path=str(ARTIFACTS / "presence-expired-phone.png"), full_page=True)
    _axe_clean(page, "expired code page")
    assert _coupons(app, resident_id) == after
    context.close()


def test_the_page_a_stranger_opens_and_the_chinese_expired_page(chromium, demo_site, app, database_url,
                                                                 monkeypatch):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    fence_id, token, _ = _demo(app)
    with app.app_context():
        fence = db.session.get(Fence, fence_id)
        step, code, _ = presence.current_code(fence, at=utcnow())
    url = f"{demo_site}/here/{fence_id}/{step}/{code}"
    context = chromium.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("您在Dongming Community Centre")
    expect(page.get_by_role("link", name="登录")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "presence-stranger-zh-phone.png"), full_page=True)
    _axe_clean(page, "a stranger's scan")
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(presence, "now", lambda: later)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("此二维码已过期，请再扫一次屏幕。")
    context.close()


def _video_of(png: bytes, path) -> None:
    """A Y4M clip of the screen's QR (its screenshot) for Chromium's fake camera."""
    from PIL import Image

    frame = Image.new("RGB", (640, 480), "white")
    code = Image.open(io.BytesIO(png)).convert("RGB")
    code.thumbnail((440, 440))
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n" + (b"FRAME\n" + planes) * 10)


def test_the_wallets_scanner_reads_the_screen(chromium, demo_site, app, database_url, tmp_path):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    fence_id, token, resident_id = _demo(app)
    video = tmp_path / "screen.y4m"
    _video_of(_screen(chromium, f"{demo_site}/signage/{fence_id}?screen={token}", (1920, 1080), "1920x1080"),
              video)
    camera_browser = chromium.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera_browser.new_context(**PHONE, locale="en-GB", permissions=["camera"])
        page = context.new_page()
        sign_in(page, demo_site, RESIDENT, DEMO_PASSWORD)
        page.goto(f"{demo_site}/wallet")
        expect(page.locator("#airdrop-status")).to_contain_text("Location is switched off")
        page.get_by_role("button", name="Scan the code on the screen").click()
        # The camera reads the URL, the wallet opens it, that page sends its form, and back to the wallet.
        expect(page.locator(".notice").first).to_contain_text("(scanned code)", timeout=15_000)
        assert _coupons(app, resident_id) > 0
        context.close()
    finally:
        camera_browser.close()


def test_the_screen_hides_its_code_while_offline(chromium, demo_site, app, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    fence_id, token, _ = _demo(app)
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{demo_site}/signage/{fence_id}?screen={token}")
    expect(page.locator("#signage-qr")).to_be_visible()
    context.set_offline(True)
    expect(page.locator("#signage-qr")).to_be_hidden()
    expect(page.locator("#signage-code-offline")).to_contain_text("the code is hidden")
    expect(page.locator("#signage-code-offline")).to_contain_text("二维码暂不显示")
    page.wait_for_timeout(1000)
    expect(page.locator("#signage-qr")).to_be_hidden()  # and it stays hidden
    page.screenshot(path=str(ARTIFACTS / "presence-signage-offline-1920x1080.png"))
    context.set_offline(False)
    expect(page.locator("#signage-qr")).to_be_visible()
    expect(page.locator("#signage-code-offline")).to_be_hidden()
    context.close()
