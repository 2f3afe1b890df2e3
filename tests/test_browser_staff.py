"""The staff member's round on a 390 x 844 phone, in English and Chinese, normal and large text:
the work order opens with the order, the way there and "close on site" in the first screen; a
photo chosen with the camera input shows as a thumbnail before it is sent; closing tells the
resident, whose home shows the unread count and whose notification names the problem; the
ranking reads as cards with nothing wider than the phone; the resident's report form previews its
photos too. Screenshots: test-artifacts/staff-*.png."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import db, utcnow
from core.identity.models import User
from demo.district import CENTRE, DEMO_PASSWORD
from services.operations import NewReport, file_report
from tests.browser import PHONE, sign_in
from tests.conftest import ARTIFACTS

WIDTH, HEIGHT = PHONE["viewport"]["width"], PHONE["viewport"]["height"]
ADDRESS = "Lamp post 7, Dongming Road by the bakery"


def _png(path, colour) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), colour)
    ImageDraw.Draw(image).rectangle((120, 90, 360, 270), fill="white")
    image.save(path, "PNG")
    return str(path)


def _jpeg_bytes(colour) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, "JPEG")
    return out.getvalue()


def _file(app, n: int) -> str:
    """A dark lamp reported by Li Wei, with a photo and a position, in Sun Lei's department."""
    with app.app_context():
        reporter = db.session.scalar(select(User.id).where(User.email == "resident@linli.demo"))
        report = file_report(NewReport(
            category_code="streetlight", description=f"The lamp by the bakery has been dark for {n + 2} nights.",
            lat=CENTRE[0] + 0.0003, lon=CENTRE[1], address=ADDRESS, answers={"lamp": "off"},
            photos=[_jpeg_bytes("navy")], reporter_id=reporter), now=utcnow())
        db.session.commit()
        return report.ref


def _prefs(page, lang: str, large: bool) -> None:
    """The account's language and text size, through the chips every page carries."""
    if (page.locator("html").get_attribute("lang") or "").startswith("zh") != (lang == "zh"):
        page.locator(f".prefs .chip[name=locale][value={lang}]").click()
        page.wait_for_load_state("networkidle")
    if ("large-text" in (page.locator("html").get_attribute("class") or "")) != large:
        page.locator(".prefs .chip[name=large_text]").click()
        page.wait_for_load_state("networkidle")


def _no_overflow(page, what: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, what


def test_staff_close_on_site_and_the_resident_is_told(chromium, demo_site, app, database_url, tmp_path):
    if database_url.startswith("postgresql"):
        pytest.skip("browser flow checked on SQLite")
    ARTIFACTS.mkdir(exist_ok=True)
    desk = chromium.new_context(**PHONE, locale="en-GB")
    staff = desk.new_page()
    sign_in(staff, demo_site, "staff@linli.demo", DEMO_PASSWORD)
    home = chromium.new_context(**PHONE, locale="en-GB")
    resident = home.new_page()
    sign_in(resident, demo_site, "resident@linli.demo", DEMO_PASSWORD)
    for n, (lang, large) in enumerate((("en", False), ("en", True), ("zh", True), ("zh", False))):
        name = f"{lang}-{'large' if large else 'normal'}"
        ref = _file(app, n)
        staff.goto(f"{demo_site}/staff/requests/{ref}")
        _prefs(staff, lang, large)
        staff.goto(f"{demo_site}/staff/requests/{ref}")
        staff.locator("#order form button.primary").click()  # "I will do it": the resident hears of it
        expect(staff.locator("#order form")).to_have_count(0)  # not offered again to whoever has it
        expect(staff.locator("#where a[href^='geo:']")).to_be_visible()
        assert ADDRESS in staff.locator("#where").inner_text()
        staff.screenshot(path=str(ARTIFACTS / f"staff-work-order-{name}.png"))
        staff.screenshot(path=str(ARTIFACTS / f"staff-work-order-{name}-page.png"), full_page=True)
        # On site, without scrolling: "close on site" is on the first screen, and in normal text
        # its first outcome too.
        for part in ("#close-title",) if large else ("#close-title", "#close fieldset label"):
            box = staff.locator(part).first.bounding_box()
            assert box and box["y"] + box["height"] <= HEIGHT, (name, part, box)

        staff.locator("#after-photos").set_input_files([_png(tmp_path / f"lit-{n}.png", "gold"),
                                                       _png(tmp_path / f"pole-{n}.png", "teal")])
        previews = staff.locator("#after-preview li")
        expect(previews).to_have_count(2)
        expect(previews.first.locator("img")).to_be_visible()
        assert staff.evaluate("document.querySelector('#after-preview img').naturalWidth") == 480
        expect(previews.first).to_contain_text(f"lit-{n}.png")
        previews.nth(1).get_by_role("button").click()  # not that one
        expect(previews).to_have_count(1)
        assert staff.evaluate("document.getElementById('after-photos').files.length") == 1
        staff.locator("#close-note").fill("Replaced the bulb and the fuse.")
        _no_overflow(staff, name)
        staff.screenshot(path=str(ARTIFACTS / f"staff-close-preview-{name}.png"), full_page=True)
        staff.locator("#close button.primary").click()
        expect(staff.locator(".notice")).to_be_visible()
        assert staff.url.endswith("/staff/queue")

        resident.goto(f"{demo_site}/resident")
        _prefs(resident, lang, large)
        badge = resident.locator("#unread")
        expect(badge).to_be_visible()
        expect(badge.locator(".count-badge")).to_have_text("2")  # acknowledged, then resolved
        expect(badge).to_contain_text("2 unread" if lang == "en" else "2 条未读")
        _no_overflow(resident, name)
        resident.screenshot(path=str(ARTIFACTS / f"staff-resident-home-{name}.png"))
        badge.click()
        card = resident.locator("#notifications a", has_text=ref).first
        expect(card.locator(".problem-excerpt")).to_have_text(ADDRESS)
        expect(card.locator(".problem")).to_have_text("Broken streetlight" if lang == "en" else "路灯损坏")
        _no_overflow(resident, name)
        resident.screenshot(path=str(ARTIFACTS / f"staff-notifications-{name}.png"))
        resident.goto(f"{demo_site}/resident")
        expect(resident.locator("#unread")).to_have_count(0)  # opening the page read them

        staff.goto(f"{demo_site}/staff/ranking")
        expect(staff.locator("#ranking tbody tr").first).to_be_visible()
        _no_overflow(staff, f"ranking {name}")
        staff.locator("#how-computed summary").click()
        expect(staff.locator("[data-explains=within]")).to_be_visible()
        staff.screenshot(path=str(ARTIFACTS / f"staff-ranking-{name}.png"), full_page=True)

    # The resident's report form previews its photos the same way, and sends what is left.
    resident.goto(f"{demo_site}/report/streetlight")
    resident.locator("#photos").set_input_files([_png(tmp_path / "a.png", "navy"), _png(tmp_path / "b.png", "red")])
    previews = resident.locator("#photos-preview li")
    expect(previews).to_have_count(2)
    expect(previews.nth(1)).to_contain_text("b.png")
    previews.first.get_by_role("button").click()
    expect(previews).to_have_count(1)
    expect(previews.first).to_contain_text("b.png")
    _no_overflow(resident, "report form")
    resident.screenshot(path=str(ARTIFACTS / "staff-report-form-preview.png"), full_page=True)
    desk.close()
    home.close()
