"""The coupon at the till, on a 390 x 844 phone in English and Chinese, normal and large text: the
whole QR and the typed code on the first screen, the code on one line, the details after; "Show
to cashier" fills the screen with white, a large QR and the code, and is left with a tap or Esc;
no position is asked for on opening the page, only on "How far is it?"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import PHONE, live_server, sign_in
from tests.conftest import ARTIFACTS, TEST_PASSWORD

VIEWPORT = PHONE["viewport"]
# Counts the position requests a page makes, before any of its own scripts run.
COUNT_GEOLOCATION = """
window.__positionAsked = 0;
if (navigator.geolocation) {
  const geo = navigator.geolocation;
  const count = (original) => function (...args) { window.__positionAsked += 1; return original.apply(geo, args); };
  geo.getCurrentPosition = count(geo.getCurrentPosition);
  geo.watchPosition = count(geo.watchPosition);
}
"""
NO_FULLSCREEN_API = "Element.prototype.requestFullscreen = undefined;"
# The rectangles of the text itself: more than one means it wrapped.
LINES = "node => { const r = document.createRange(); r.selectNodeContents(node); " \
        "return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
LINE_HEIGHT = "node => parseFloat(getComputedStyle(node).lineHeight)"


def inside_viewport(box) -> bool:
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"] + 0.5
            and box["y"] + box["height"] <= VIEWPORT["height"] + 0.5)


def assert_one_line(locator, what: str) -> None:
    box = locator.bounding_box()
    line = locator.evaluate(LINE_HEIGHT)
    assert locator.evaluate(LINES) == 1, f"{what} wraps: {locator.inner_text()!r}"
    assert abs(box["height"] - line) < 1.5, f"{what} is {box['height']}px high, one line is {line}px"
    assert inside_viewport(box), f"{what} is outside the first screen: {box}"
    assert locator.evaluate("n => n.scrollWidth <= n.clientWidth + 1"), f"{what} overflows its box"


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_the_qr_and_code_come_first_and_show_to_the_cashier(chromium, app, shop, database_url, locale, large):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    engine = database_url.split(":")[0].split("+")[0]
    name = f"coupon-page-{locale}-{'large' if large else 'normal'}-{engine}"
    # A long title and description: the details must not push the code down.
    s = shop(amount_off_cents=1500, min_spend_cents=8800, title="Family hotpot night for four",
             description="Any hotpot set for four people, drinks not included. One coupon per table.")
    coupon_id = s["coupons"][0][0]
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(app) as base:
        context = chromium.new_context(**PHONE, locale="en-GB")  # signed in in English, then switched
        context.add_init_script(COUNT_GEOLOCATION)
        if large:  # no Fullscreen API here, as on an iPhone: the overlay alone must do
            context.add_init_script(NO_FULLSCREEN_API)
        page = context.new_page()
        sign_in(page, base, s["resident"], TEST_PASSWORD)
        page.goto(f"{base}/wallet/coupons/{coupon_id}")
        if locale == "zh":
            page.locator("button[name=locale][value=zh]").click()
            page.wait_for_load_state("networkidle")
        if large:
            page.locator("button[name=large_text][value=on]").click()
            page.wait_for_load_state("networkidle")
        page.goto(f"{base}/wallet/coupons/{coupon_id}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.lang") == ("zh-Hans" if locale == "zh" else "en")
        assert page.evaluate("document.documentElement.classList.contains('large-text')") is large
        expect(page.locator("#till-code.ready")).to_be_visible()
        code = page.locator("#short-code")
        expect(code).to_have_text(re.compile(rf"^{coupon_id}-\d{{3}} \d{{3}}$"))
        assert page.evaluate("window.scrollY") == 0
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        page.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)

        # The whole QR and the typed code on the first screen, the code on one line.
        qr = page.locator("#qr")
        qr_box = qr.bounding_box()
        assert qr_box["width"] >= 240 and inside_viewport(qr_box), qr_box
        assert_one_line(code, "the typed code")
        # Coupon numbers grow: a seven-digit one still fits on one line (redrawn within 30 seconds).
        typed = code.inner_text()
        code.evaluate("n => { n.textContent = '1234567-123 456'; }")
        assert_one_line(code, "a long typed code")
        page.screenshot(path=str(ARTIFACTS / f"{name}-long-code.png"))
        code.evaluate(f"n => {{ n.textContent = {typed!r}; }}")
        assert inside_viewport(page.locator("#cashier-open").bounding_box())
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
        # The details (terms, shop, expiry) after the QR.
        for fact in (".coupon-facts .facts", ".coupon-facts .coupon-title"):
            assert page.locator(fact).bounding_box()["y"] >= qr_box["y"] + qr_box["height"], fact
        # Nothing asked for the position on opening the page.
        assert page.evaluate("window.__positionAsked") == 0

        # Show to cashier: white from edge to edge, a larger QR and the code, focus inside.
        opener = page.locator("#cashier-open")
        opener.click()
        view = page.locator("#cashier-view")
        expect(view).to_be_visible()
        assert view.evaluate("n => getComputedStyle(n).backgroundColor") == "rgb(255, 255, 255)"
        view_box = view.bounding_box()
        assert (view_box["x"], view_box["y"]) == (0, 0)
        assert (view_box["width"], view_box["height"]) == (VIEWPORT["width"], VIEWPORT["height"])
        full_qr = page.locator("#qr-full").bounding_box()
        assert full_qr["width"] > qr_box["width"] and inside_viewport(full_qr), full_qr
        assert page.locator("#qr-full").get_attribute("data-payload") == page.locator("#qr").get_attribute(
            "data-payload")
        full_code = page.locator("#short-code-full")
        expect(full_code).to_have_text(code.inner_text())
        assert_one_line(full_code, "the cashier view's code")
        full_code.evaluate("n => { n.textContent = '1234567-123 456'; }")
        assert_one_line(full_code, "a long code in the cashier view")
        full_code.evaluate(f"n => {{ n.textContent = {typed!r}; }}")
        assert page.evaluate("document.activeElement.id") == "cashier-close"
        assert page.get_by_role("dialog").count() == 1  # announced as a dialog, named by the shop
        assert page.get_by_role("img", name=re.compile("QR|二维码")).count() >= 1
        if not large:
            page.wait_for_function("() => document.fullscreenElement !== null")
        page.screenshot(path=str(ARTIFACTS / f"{name}-cashier.png"))

        page.keyboard.press("Escape")
        if not large:  # the first Esc leaves full screen, and the view with it
            page.wait_for_function("() => document.fullscreenElement === null")
        expect(view).to_be_hidden()
        assert page.evaluate("document.activeElement.id") == "cashier-open"

        # Opened from the keyboard, left with a tap anywhere.
        opener.focus()
        page.keyboard.press("Enter")
        expect(view).to_be_visible()
        page.mouse.click(VIEWPORT["width"] / 2, 40)
        expect(view).to_be_hidden()
        page.wait_for_function("() => document.fullscreenElement === null")

        # The position is asked for only when the resident asks how far the shop is.
        assert page.evaluate("window.__positionAsked") == 0
        page.locator("#distance-button").click()
        assert page.evaluate("window.__positionAsked") == 1
        context.close()


def test_the_distance_is_shown_at_once_where_the_position_is_already_allowed(chromium, app, shop):
    s = shop()
    coupon_id = s["coupons"][0][0]
    with live_server(app) as base:
        context = chromium.new_context(**PHONE, locale="en-GB", permissions=["geolocation"],
                                       geolocation={"latitude": 31.1605, "longitude": 121.50, "accuracy": 10})
        page = context.new_page()
        sign_in(page, base, s["resident"], TEST_PASSWORD)
        page.goto(f"{base}/wallet/coupons/{coupon_id}")
        expect(page.locator(".coupon-facts .distance")).to_have_text("60 m away")
        expect(page.locator("#distance-button")).to_have_count(0)
        context.close()
