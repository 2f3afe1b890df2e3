"""On a phone, in English and in Chinese: an admin finds a resident by a mobile number typed with
spaces, opens the account, disables it (the resident's open session ends), enables it and gives a
one-time sign-in code; creates a department; copies a new Open311 key. At the desk, staff register
a resident who has no account and print a paper coupon for them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from demo.district import DEMO_PASSWORD
from tests.browser import PHONE, sign_in
from tests.conftest import ARTIFACTS

TEXT = {
    "en": {"disabled": "is disabled and signed out on every device", "enabled": "can sign in again",
           "department": "Parks and Trees", "registered": "is registered", "given": "Coupon given",
           "copied": "Copied", "name": "Grandma Liu", "phone": "139 0000 1234"},
    "zh": {"disabled": "已停用，并已在所有设备上退出登录", "enabled": "可以再次登录了",
           "department": "园林绿化", "registered": "已为", "given": "优惠券", "copied": "已复制",
           "name": "刘奶奶", "phone": "139 0000 5678"},
}


def _fits(page, what: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"], f"{what} overflows"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def _in(page, lang: str) -> None:
    if lang == "zh":
        page.get_by_role("button", name="中文").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")


def test_admin_and_desk_on_a_phone(chromium, demo_site, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("browser flow checked on SQLite")
    ARTIFACTS.mkdir(exist_ok=True)
    wang_password = DEMO_PASSWORD
    for lang, text in TEXT.items():
        wang_password = _admin_week(chromium, demo_site, lang, text, wang_password)
        _desk(chromium, demo_site, lang, text)


def _admin_week(chromium, base: str, lang: str, text: dict, wang_password: str) -> str:
    """Returns Wang Fang's new password, which she chose with the one-time code."""
    resident_phone = chromium.new_context(**PHONE, locale="en-GB")
    wang = resident_phone.new_page()
    sign_in(wang, base, "13800138000", wang_password)
    expect(wang.locator(".account-bar")).to_be_visible()

    context = chromium.new_context(**PHONE, locale="en-GB", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in(page, base, "admin@linli.demo", DEMO_PASSWORD)
    page.goto(f"{base}/admin/accounts")
    _in(page, lang)
    page.locator("#q").fill("138 0013 8000")
    page.locator(".admin-search button").click()
    expect(page.locator(".account-name")).to_have_count(1)
    _fits(page, "search results")
    _shot(page, f"search-{lang}")
    page.locator(".account-name", has_text="Wang Fang").click()
    expect(page.locator("#phone")).to_have_value("+8613800138000")
    expect(page.locator("fieldset[data-role-section='staff']")).to_be_hidden()  # a resident's page: no staff part
    _fits(page, "account page")
    _shot(page, f"account-{lang}")
    page.locator(".prefs button[name='large_text']").click()
    expect(page.locator("html")).to_have_class(re.compile("large-text"))
    _fits(page, "account page in large text")
    _shot(page, f"account-large-{lang}")
    page.locator(".prefs button[name='large_text']").click()

    page.locator("button[name='active'][value='off']").click()
    expect(page.locator(".notice")).to_contain_text(text["disabled"])
    wang.reload()
    expect(wang).to_have_url(f"{base}/login?next=/resident")
    page.locator("button[name='active'][value='on']").click()
    expect(page.locator(".notice")).to_contain_text(text["enabled"])

    page.locator("form[action$='/code'] button").click()
    code = page.locator(".one-time-code")
    expect(code).to_have_text(re.compile(r"^[2-9A-Z]{4}-[2-9A-Z]{4}$"))
    _fits(page, "one-time code")
    _shot(page, f"code-{lang}")

    page.locator("form[action$='/code'] button").click()  # a later code replaces it; use the new one
    new_code = page.locator(".one-time-code").inner_text()
    wang.goto(f"{base}/login/code")
    wang.locator("#identifier").fill("13800138000")
    wang.locator("#code").fill(new_code.lower())
    wang.locator("#new_password").fill(f"my new password {lang}")
    _fits(wang, "code sign-in page")
    _shot(wang, f"code-sign-in-{lang}")
    wang.locator("form.stack button[type=submit]").click()
    expect(wang).to_have_url(f"{base}/resident")
    expect(wang.locator(".account-bar")).to_contain_text("Wang Fang")
    resident_phone.close()

    page.goto(f"{base}/admin/departments")
    page.locator("#name").fill(text["department"])
    page.locator("form[action$='/admin/departments'] button").click()
    expect(page.locator(".department-list")).to_contain_text(text["department"])
    page.locator(".department-row summary").first.click()
    _fits(page, "departments")
    _shot(page, f"departments-{lang}")

    page.goto(f"{base}/admin/accounts/new")
    expect(page.locator("fieldset[data-role-section='merchant']")).to_be_hidden()  # the first role: resident
    page.locator("#role").select_option("merchant")
    expect(page.locator("fieldset[data-role-section='merchant']")).to_be_visible()
    page.locator("#role").select_option("staff")
    expect(page.locator("fieldset[data-role-section='merchant']")).to_be_hidden()
    expect(page.locator("fieldset[data-role-section='staff']")).to_be_visible()
    _shot(page, f"new-account-{lang}")

    page.goto(f"{base}/admin/open311-keys")
    page.locator("#name").fill("FixMyStreet")
    page.locator("form.stack button[type=submit]").click()
    key = page.locator("#new-key")
    box = key.bounding_box()
    assert box["x"] + box["width"] <= PHONE["viewport"]["width"]
    page.locator("[data-copy='new-key']").click()
    expect(page.locator(".copy-status")).to_have_text(text["copied"])
    assert page.evaluate("navigator.clipboard.readText()") == key.inner_text().strip()
    _fits(page, "open311 key")
    _shot(page, f"open311-key-{lang}")
    context.close()
    return f"my new password {lang}"


def _desk(chromium, base: str, lang: str, text: dict) -> None:
    context = chromium.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    sign_in(page, base, "staff@linli.demo", DEMO_PASSWORD)
    page.goto(f"{base}/staff/coupons")
    _in(page, lang)
    page.locator("#who").fill(text["phone"])
    page.locator("form[role=search] button").click()
    expect(page.locator(".desk-register")).to_be_visible()
    _fits(page, "desk registration")
    _shot(page, f"desk-register-{lang}")
    page.locator("#register-name").fill(text["name"])
    page.locator(".desk-register button").click()
    expect(page.locator(".notice")).to_contain_text(text["registered"])
    expect(page.locator("h2", has_text=text["name"])).to_be_visible()
    page.locator("form[action$='/give'] button").click()
    expect(page.locator(".notice")).to_contain_text(text["given"])
    page.locator("form[action$='/print'] button").first.click()
    expect(page.locator(".printed-digits")).to_have_text(re.compile(r"^[\d ]{12,}$"))
    _fits(page, "printed coupon")
    _shot(page, f"desk-printed-{lang}")
    context.close()
