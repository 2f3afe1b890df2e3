"""The notification settings page on a 390 px phone, in English and Chinese, with and without JavaScript.

Headless Chromium has no push service to subscribe to, so "Turn on for this phone" is driven with a
faked PushManager.subscribe and Notification.requestPermission: this covers our page, push.js and
the API call with the subscription's JSON, not the browser's own subscription or a real push
(tests/test_push_end_to_end.py sends and decrypts real ones against a stand-in push service)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from demo.district import DEMO_PASSWORD
from tests.browser import PHONE
from tests.browser import sign_in as browser_sign_in
from tests.conftest import ARTIFACTS

FAKE_PUSH = """
(() => {
  const b64 = (n) => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(n))))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  window.Notification.requestPermission = async () => "granted";
  PushManager.prototype.subscribe = async function (options) {
    sessionStorage.setItem("subscribedWith", String(options.applicationServerKey.length));
    const json = { endpoint: "https://push.example.test/" + b64(12), expirationTime: null,
                   keys: { p256dh: b64(65), auth: b64(16) } };
    return { toJSON: () => json };
  };
})();
"""


def axe_clean(page):
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["help"], v["nodes"][0]["html"][:120]) for v in violations]


def test_settings_page_without_js_then_subscribing_this_phone_in_both_languages(chromium, demo_site, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    ARTIFACTS.mkdir(exist_ok=True)

    # Without JavaScript: the form works, the subscribe button stays hidden and the page says why.
    context = chromium.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    browser_sign_in(page, demo_site, "resident@linli.demo", DEMO_PASSWORD)
    page.goto(f"{demo_site}/")
    page.get_by_role("link", name="Choose notifications").click()
    expect(page.get_by_role("heading", name="Notifications on this phone")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on for this phone")).to_be_hidden()
    expect(page.get_by_text("Turning notifications on for a phone needs JavaScript")).to_be_visible()
    page.get_by_label("Old Shanghai Noodles").check()
    page.get_by_label("From").fill("23:00")
    page.get_by_label("Until").fill("07:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Your notification settings are saved.")).to_be_visible()
    expect(page.get_by_label("Old Shanghai Noodles")).to_be_checked()
    expect(page.get_by_label("From")).to_have_value("23:00")
    context.close()

    # With JavaScript (and a faked PushManager): this phone is added to the list of devices.
    context = chromium.new_context(**PHONE)
    context.add_init_script(FAKE_PUSH)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_sign_in(page, demo_site, "resident@linli.demo", DEMO_PASSWORD)
    page.goto(f"{demo_site}/settings/notifications")
    expect(page.get_by_text("No device gets notifications yet.")).to_be_visible()
    page.get_by_role("button", name="Turn on for this phone").click()
    expect(page.locator("#devices li").first).to_contain_text("Chrome")
    expect(page.locator("#devices li").first).to_contain_text("not notified yet")
    assert page.evaluate("sessionStorage.getItem('subscribedWith')") == "65"  # the server's VAPID key, decoded
    axe_clean(page)
    page.screenshot(path=str(ARTIFACTS / "push-settings-en.png"), full_page=True)
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No device gets notifications yet.")).to_be_visible()
    assert errors == []
    context.close()

    # In Chinese (Wang Fang reads Linli in Chinese).
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    browser_sign_in(page, demo_site, "13800138000", DEMO_PASSWORD)
    page.goto(f"{demo_site}/settings/notifications")
    expect(page.get_by_role("heading", name="手机通知")).to_be_visible()
    expect(page.get_by_role("button", name="在这部手机上开启")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe_clean(page)
    page.screenshot(path=str(ARTIFACTS / "push-settings-zh.png"), full_page=True)
    context.close()
