"""The PWA as people use it: a phone-sized headless Chromium, every demo role signing in."""

from __future__ import annotations

import pytest

from demo.district import DEMO_ACCOUNTS, DEMO_PASSWORD
from tests.browser import PHONE
from tests.browser import sign_in as browser_sign_in
from tests.conftest import ARTIFACTS


def sign_in(page, base: str, identifier: str, password: str = DEMO_PASSWORD) -> None:
    browser_sign_in(page, base, identifier, password)


def test_every_demo_role_signs_in_on_a_phone(chromium, demo_site, database_url):
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(exist_ok=True)
    engine = database_url.split(":")[0].split("+")[0]
    seen = set()
    for identifier, role, name in DEMO_ACCOUNTS:
        if role in seen:
            continue
        seen.add(role)
        context = chromium.new_context(**PHONE, locale="en-GB")
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        sign_in(page, demo_site, identifier)
        assert page.url.endswith(f"/{role.value}"), page.url
        assert page.get_by_role("heading", level=1).inner_text() == f"Hello, {name}"
        # Nothing may stick out sideways on a 390 px phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / f"home-{role.value}-{engine}.png"), full_page=True)
        violations = Axe().run(page).response["violations"]
        assert not violations, [(v["id"], v["help"]) for v in violations]
        assert not errors
        context.close()


def test_large_text_and_chinese_persist_across_visits(chromium, demo_site, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    context = chromium.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    sign_in(page, demo_site, "resident@linli.demo")
    body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.get_by_role("button", name="Large text").click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") > body_size * 1.2
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Li Wei，您好"
    page.screenshot(path=str(ARTIFACTS / "home-resident-large-zh.png"), full_page=True)
    page.reload()
    assert page.evaluate("document.documentElement.classList.contains('large-text')")
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    context.close()


def test_service_worker_serves_an_offline_page(chromium, demo_site):
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{demo_site}/login")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.ready.then(() => true)",
                           timeout=10_000)
    page.reload()  # now controlled by the worker
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10_000)
    context.set_offline(True)
    page.goto(f"{demo_site}/resident")
    assert "You are offline" in page.content()
    context.close()


def test_wrong_password_is_explained_on_the_page(chromium, demo_site):
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, demo_site, "resident@linli.demo", "not the password")
    assert page.get_by_role("alert").inner_text() == "The account or the password is wrong."
    assert page.url.endswith("/login")
    context.close()


PAGES_BY_ACCOUNT = {
    "13800138000": ["/wallet", "/report", "/report/streetlight", "/my/reports", "/notifications"],
    "cashier@noodles.linli.demo": ["/merchant/till", "/merchant/dashboard?period=30d", "/merchant/statement?period=7d"],
    "staff@linli.demo": ["/staff/queue", "/staff/ranking", "/staff/assisted?category=drain", "/staff/coupons"],
    "admin@linli.demo": ["/admin/catalogue", "/admin/catalogue/streetlight"],
}


def test_the_working_pages_fit_a_phone_and_pass_axe(chromium, demo_site, database_url):
    """Every page a resident, a cashier, a staff member and an admin work in: no sideways
    scrolling on a 390 px phone, no script errors, no axe violations (in Chinese for Wang Fang)."""
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    from axe_playwright_python.sync_playwright import Axe

    for identifier, paths in PAGES_BY_ACCOUNT.items():
        context = chromium.new_context(**PHONE, locale="en-GB")
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        sign_in(page, demo_site, identifier)
        for path in paths:
            response = page.goto(demo_site + path)
            assert response.status == 200, path
            # Measured once the web fonts are in and the page has painted, not after a guessed pause.
            page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            violations = Axe().run(page).response["violations"]
            assert not violations, (path, [(v["id"], v["help"], v["nodes"][0]["html"][:120]) for v in violations])
        assert not errors, errors
        context.close()
