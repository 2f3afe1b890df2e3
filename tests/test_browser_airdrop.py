"""A resident walks into the demo fence with the wallet open; a merchant creates a campaign."""

from __future__ import annotations

from playwright.sync_api import expect

from demo.district import CENTRE, DEMO_PASSWORD
from tests.browser import PHONE
from tests.browser import sign_in as browser_sign_in
from tests.conftest import ARTIFACTS

INSIDE = {"latitude": CENTRE[0] + 0.0004, "longitude": CENTRE[1], "accuracy": 15}
OUTSIDE = {"latitude": CENTRE[0] + 0.02, "longitude": CENTRE[1], "accuracy": 15}


def sign_in(page, base, identifier):
    browser_sign_in(page, base, identifier, DEMO_PASSWORD)


def test_walking_into_the_fence_fills_the_wallet_with_reasons(chromium, demo_site, app, database_url):
    # Walking at test speed would look like a teleport; the speed check has its own test below.
    app.config["AIRDROP_MAX_SPEED_MPS"] = 1e9
    engine = database_url.split(":")[0].split("+")[0]
    context = chromium.new_context(**PHONE, locale="en-GB", geolocation=OUTSIDE, permissions=["geolocation"])
    page = context.new_page()
    sign_in(page, demo_site, "resident@linli.demo")
    page.goto(f"{demo_site}/wallet")
    status = page.locator("#airdrop-status")
    expect(status).to_contain_text("outside every coupon zone")
    assert page.locator(".coupon").count() == 0

    context.set_geolocation(INSIDE)
    page.get_by_role("button", name="Check again here").click()
    expect(status).to_contain_text("New coupons")
    drops = page.locator("#airdrop-drops > li")
    assert drops.count() >= 1
    reasons = drops.first.locator(".reasons li").all_inner_texts()
    assert any("m from you" in r for r in reasons) and any(r.startswith("Worth ¥") for r in reasons)
    expect(page.locator("#shelf .coupon").first).to_be_visible()
    assert page.locator("#shelf .coupon").count() == drops.count()
    expect(page.locator("#shelf .distance").first).to_contain_text("m away")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / f"wallet-after-drop-{engine}.png"), full_page=True)

    page.locator("#shelf .coupon a").first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Valid until").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"coupon-detail-{engine}.png"), full_page=True)

    page.goto(f"{demo_site}/wallet")
    expect(page.locator("#airdrop-status")).not_to_contain_text("Finding")
    context.set_geolocation(OUTSIDE)
    page.get_by_role("button", name="Check again here").click()
    expect(page.locator("#airdrop-status")).to_contain_text("outside every coupon zone")
    context.close()


def test_a_teleport_is_refused_on_the_page(chromium, demo_site):
    context = chromium.new_context(**PHONE, locale="en-GB", geolocation=OUTSIDE, permissions=["geolocation"])
    page = context.new_page()
    sign_in(page, demo_site, "resident@linli.demo")
    page.goto(f"{demo_site}/wallet")
    expect(page.locator("#airdrop-status")).to_contain_text("outside every coupon zone")
    context.set_geolocation(INSIDE)
    page.locator("#airdrop-retry").click()  # 2 km in a moment: no walker does that
    expect(page.locator("#airdrop-status")).to_contain_text("jumped too far")
    assert page.locator(".coupon").count() == 0
    context.close()


def test_owner_creates_a_campaign_on_a_phone(chromium, demo_site, database_url):
    engine = database_url.split(":")[0].split("+")[0]
    context = chromium.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    sign_in(page, demo_site, "owner@noodles.linli.demo")
    page.get_by_role("link", name="Manage campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Title").fill("Rainy day noodles")
    page.get_by_label("Amount off (¥)").fill("6")
    page.get_by_label("Minimum spend (¥)").fill("25")
    page.get_by_label("Starts").fill("2026-01-01T08:00")
    page.get_by_label("Ends").fill("2030-01-01T08:00")
    page.screenshot(path=str(ARTIFACTS / f"merchant-new-campaign-{engine}.png"), full_page=True)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Rainy day noodles"
    assert page.locator(".status-draft").inner_text() == "Draft"
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".status-live").inner_text() == "Live"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / f"merchant-campaign-{engine}.png"), full_page=True)
    context.close()
