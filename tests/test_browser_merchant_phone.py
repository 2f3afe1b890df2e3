"""The merchant's dashboard and statement on a 390 px phone, in English and Chinese, normal and
large text: every column named and on screen, nothing wider than the phone, the 30-day statement
a card per day; and a Chinese-reading resident's wallet shows the shops' Chinese names."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from core.db import db
from core.identity.models import User
from tests.browser import PHONE, sign_in
from tests.conftest import ARTIFACTS, CENTRE

OWNER = "owner@noodles.linli.demo"
PASSWORD = "neighbour-2026"
COLUMNS = {"dashboard": ["Campaign", "Collected", "Redeemed", "Rate", "Discount"],
           "totals": ["Count", "Bills", "Discount", "Paid"]}

# Every cell of a rows-table with the label its ::before draws, and where it sits.
CELLS = """selector => Array.from(document.querySelectorAll(selector)).map(td => {
  const box = td.getBoundingClientRect();
  return {label: getComputedStyle(td, '::before').content.replace(/^"|"$/g, ''), text: td.textContent.trim(),
          left: box.left, right: box.right, width: box.width};
})"""


def _labels(app, lang: str) -> dict[str, list[str]]:
    """The column names as the page says them (the catalogue decides the Chinese)."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with app.test_request_context(), force_locale(lang):
        return {table: [_(label) for label in names] for table, names in COLUMNS.items()}


def _no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


@pytest.fixture
def phone_site(database_url, demo_site):
    if database_url.startswith("postgresql"):
        pytest.skip("browser layout checked on SQLite")
    return demo_site


@pytest.mark.parametrize("lang, large", [("en", False), ("zh", False), ("en", True), ("zh", True)])
def test_dashboard_and_statement_read_as_cards_on_a_phone(chromium, app, phone_site, lang, large):
    with app.app_context():
        db.session.execute(update(User).where(User.email == OWNER).values(locale=lang, large_text=large))
        db.session.commit()
    labels = _labels(app, lang)
    assert lang == "en" or labels["totals"] != COLUMNS["totals"]  # the Chinese page says them in Chinese
    size = "large" if large else "normal"
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    sign_in(page, phone_site, OWNER, PASSWORD)

    page.goto(f"{phone_site}/merchant/dashboard?period=30d")
    expect(page.locator(".campaign-table tbody tr").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    _no_overflow(page)
    cells = page.evaluate(CELLS, ".campaign-table tbody td")
    assert [c["label"] for c in cells[:5]] == labels["dashboard"]
    assert all(c["width"] > 0 and c["left"] >= 0 and c["right"] <= 390 for c in cells), cells
    if lang == "zh":  # the demo shop gave its campaign's title in Chinese
        assert cells[0]["text"] == "任意一碗立减5元"
    page.screenshot(path=str(ARTIFACTS / f"merchant-phone-dashboard-{lang}-{size}.png"), full_page=True)

    page.goto(f"{phone_site}/merchant/statement?period=30d")
    _no_overflow(page)
    totals = page.evaluate(CELLS, ".statement-table.totals tbody td")
    assert [c["label"] for c in totals] == labels["totals"] * 3  # redemptions, voids, net
    assert all(c["width"] > 0 and c["right"] <= 390 for c in totals), totals
    assert page.locator(".statement-lines").is_hidden()  # the long table is for paper and wide screens
    days = page.locator(".day-card")
    assert days.count() >= 20  # four weeks of trade: a card a day
    first = days.first
    for label in labels["totals"]:
        expect(first.locator(".day-label").filter(has_text=re.compile(f"^{re.escape(label)}$"))).to_be_visible()
    # No label runs into its figure (a cell too narrow for both would overflow it).
    cramped = page.evaluate("""() => Array.from(document.querySelectorAll('.day-totals > span, .rows-table td'))
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())""")
    assert cramped == []
    first.locator("summary").click()
    expect(first.locator(".day-lines li").first).to_be_visible()
    _no_overflow(page)
    page.screenshot(path=str(ARTIFACTS / f"merchant-phone-statement-{lang}-{size}.png"), full_page=True)
    # The day cards take far less of the phone than the one long table they replace (14,000 px).
    cards, table = page.evaluate("""() => {
      const lines = document.querySelector('.statement-lines');
      lines.style.display = 'block';
      const table = lines.offsetHeight;
      lines.style.display = '';
      return [document.querySelector('.statement-days').offsetHeight, table];
    }""")
    assert cards < table / 2, (cards, table)

    # On a wide screen the statement is the one table, as before.
    page.set_viewport_size({"width": 1024, "height": 800})
    assert page.locator(".statement-lines").is_visible() and days.first.is_hidden()
    context.close()


def test_a_chinese_reader_sees_the_shops_chinese_names_and_one_distance_per_shop(chromium, app, phone_site):
    with app.app_context():
        wang = db.session.scalar(select(User.phone).where(User.phone == "+8613800138000"))
    context = chromium.new_context(**PHONE, locale="en-GB", permissions=["geolocation"],
                                   geolocation={"latitude": CENTRE[0], "longitude": CENTRE[1], "accuracy": 10})
    page = context.new_page()
    sign_in(page, phone_site, wang, PASSWORD)
    page.goto(f"{phone_site}/wallet")
    expect(page.locator("#airdrop-drops li").first).to_be_visible()
    expect(page.locator("#shelf .distance").first).not_to_be_empty()
    shops = page.locator("#shelf .coupon-shop").all_inner_texts()
    assert "老上海面馆" in shops and not any("Noodles" in s for s in shops)
    # The drop's reasons and the shop's card say the same distance (one formatter decides).
    cards = dict(page.evaluate("""() => Array.from(document.querySelectorAll('#shelf .coupon')).map(c =>
        [c.querySelector('.coupon-shop').textContent.trim(), c.querySelector('.distance').textContent.trim()])"""))
    for drop in page.locator("#airdrop-drops > li").all():
        shop = drop.locator("strong").inner_text().split(" · ")[0]
        metres = re.search(r"\d+", cards[shop])[0]
        said = [r for r in drop.locator(".reasons li").all_inner_texts() if "米" in r]
        assert len(said) == 1 and re.search(r"\d+", said[0])[0] == metres, (cards[shop], said)
    _no_overflow(page)
    page.screenshot(path=str(ARTIFACTS / "merchant-phone-wallet-zh.png"), full_page=True)
    context.close()
