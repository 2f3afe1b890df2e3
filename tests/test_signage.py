"""Signage for lift screens and shop TVs: /signage/<fence_id>, what drops now and next, both languages.

The content for a frozen clock on both engines; the screen itself (1080p landscape, 720p portrait,
en and zh phases, axe, the network cut) on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

import airdrop.views
from core.db import db
from tests.browser import live_server
from tests.conftest import ARTIFACTS

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVENINGS = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "18:00", "end": "21:00"}]
LATE = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "22:00", "end": "23:30"}]
MORNINGS = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "09:00", "end": "10:00"}]


def _shops(make_fence, make_merchant, make_campaign, *, around: datetime):
    fence = make_fence()
    noodles = make_merchant(name="Old Shanghai Noodles", translations={"name": {"en": "Old Shanghai Noodles",
                                                                              "zh": "老上海面馆"}})
    bakery = make_merchant(name="Sunrise Bakery", translations={"name": {"en": "Sunrise Bakery", "zh": "日出面包"}})
    tea = make_merchant(name="Leaf Tea")
    span = {"starts_at": around - timedelta(days=2), "ends_at": around + timedelta(days=10)}
    make_campaign(fences=[fence.id], merchant_id=noodles.id, airdrop_windows=EVENINGS, amount_off_cents=500, **span)
    make_campaign(fences=[fence.id], merchant_id=bakery.id, airdrop_windows=MORNINGS, amount_off_cents=300, **span)
    make_campaign(fences=[fence.id], merchant_id=tea.id, airdrop_windows=LATE, amount_off_cents=200, **span)
    make_campaign(fences=[make_fence().id], title="Elsewhere", airdrop_windows=EVENINGS, **span)
    return fence


def test_the_screen_shows_what_drops_now_and_next_in_both_languages(app, make_fence, make_merchant, make_campaign,
                                                                    monkeypatch):
    frozen = (datetime.now(UTC).astimezone(SHANGHAI) - timedelta(days=1)).replace(
        hour=19, minute=0, second=0, microsecond=0).astimezone(UTC)
    monkeypatch.setattr(airdrop.views, "utcnow", lambda: frozen)
    with app.app_context():
        fence = _shops(make_fence, make_merchant, make_campaign, around=frozen)
        gone = make_fence()
        db.session.commit()
        fence_id, gone_id = fence.id, gone.id
    visitor = app.test_client()
    page = visitor.get(f"/signage/{fence_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    now_part, next_part = html.split('data-part="now"')[1].split('data-part="next"')
    # Dropping now: the noodles until 21:00, in both languages; the tea at 22:00 and the bakery tomorrow next.
    assert "Old Shanghai Noodles" in now_part and "老上海面馆" in now_part and "until 21:00" in now_part
    assert "¥5 off" in now_part and "减 ¥5" in now_part and "Bakery" not in now_part and "Leaf Tea" not in now_part
    assert next_part.index("Leaf Tea") < next_part.index("Sunrise Bakery") < next_part.index("日出面包")
    assert "Today 22:00–23:30" in next_part and "Tomorrow 09:00–10:00" in next_part
    assert "Dropping now" in html and "正在发放" in html and "Elsewhere" not in html
    assert "resident" not in html.lower() and 'http-equiv="refresh"' in html

    # The board alone, as the screen polls it: an ETag, and 304 until something changes.
    board = visitor.get(f"/signage/{fence_id}?part=board")
    assert board.status_code == 200 and "Old Shanghai Noodles" in board.get_data(as_text=True)
    again = visitor.get(f"/signage/{fence_id}?part=board", headers={"If-None-Match": board.headers["ETag"]})
    assert again.status_code == 304
    monkeypatch.setattr(airdrop.views, "utcnow", lambda: frozen + timedelta(hours=3, minutes=30))  # 22:30
    later = visitor.get(f"/signage/{fence_id}?part=board", headers={"If-None-Match": board.headers["ETag"]})
    assert later.status_code == 200
    later_now, later_next = later.get_data(as_text=True).split('data-part="next"')
    assert "Old Shanghai Noodles" not in later_now and "Leaf Tea" in later_now and "until 23:30" in later_now
    assert "Tomorrow 18:00–21:00" in later_next

    # No such fence, or a deleted one: the 404 page.
    with app.app_context():
        from geofence.operations import delete_fence

        delete_fence(gone_id)
        db.session.commit()
    for missing in (gone_id, 10**6):
        response = visitor.get(f"/signage/{missing}")
        assert response.status_code == 404 and "<h1" in response.get_data(as_text=True)


def _axe(page, what: str) -> None:
    violations = Axe().run(page).response["violations"]
    assert not violations, f"{what}: " + "; ".join(f"{v['id']}: {v['help']}" for v in violations)


@pytest.mark.parametrize("screen", [{"width": 1920, "height": 1080}, {"width": 720, "height": 1280}])
def test_the_screen_fits_alternates_and_survives_a_network_cut(chromium, app, make_fence, make_merchant,
                                                               make_campaign, database_url, screen):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    local = datetime.now(UTC).astimezone(SHANGHAI)
    # Windows around the real clock (the browser's), so one is open now and one is next.
    open_now = [{"days": list(range(7)), "start": f"{(local - timedelta(hours=1)).hour:02d}:00",
                 "end": f"{(local + timedelta(hours=2)).hour:02d}:00"}]
    later = [{"days": list(range(7)), "start": f"{(local + timedelta(hours=3)).hour:02d}:00",
              "end": f"{(local + timedelta(hours=4)).hour:02d}:00"}]
    with app.app_context():
        fence = make_fence(name="Community centre")
        span = {"starts_at": local - timedelta(days=2), "ends_at": local + timedelta(days=10)}
        shops = (("Old Shanghai Noodles", "老上海面馆", open_now), ("Sunrise Bakery", "日出面包", later),
                 ("Lucky Dumplings", "幸运饺子", open_now), ("Leaf Tea House", "叶子茶馆", later))
        for name, zh, windows in shops:
            shop = make_merchant(name=name, translations={"name": {"en": name, "zh": zh}})
            make_campaign(fences=[fence.id], merchant_id=shop.id, airdrop_windows=windows, **span)
        db.session.commit()
        fence_id = fence.id
    size = f"{screen['width']}x{screen['height']}"
    with live_server(app) as base:
        context = chromium.new_context(viewport=screen, locale="en-GB")
        page = context.new_page()
        page.clock.install()
        page.goto(f"{base}/signage/{fence_id}")
        now_rows = page.locator('.signage-rows[data-part="now"] .signage-row')
        for lang, shop in (("en", "Old Shanghai Noodles"), ("zh", "老上海面馆")):
            expect(page.locator("body")).to_have_attribute("data-lang", lang)
            expect(now_rows.get_by_text(shop)).to_be_visible()
            assert page.evaluate("document.documentElement.scrollHeight") <= screen["height"]
            assert page.evaluate("document.documentElement.scrollWidth") <= screen["width"]
            for box in page.locator(".signage-row, h1, .signage-part h2").all():
                rect = box.bounding_box()
                assert rect["y"] + rect["height"] <= screen["height"] and rect["x"] + rect["width"] <= screen["width"]
            page.screenshot(path=str(ARTIFACTS / f"signage-{size}-{lang}.png"))
            _axe(page, f"signage {size} {lang}")
            page.clock.fast_forward(10_000)
        expect(page.locator(".signage-rows[data-part='next']").get_by_text("Sunrise Bakery")).to_be_visible()

        context.set_offline(True)
        page.clock.fast_forward(61_000)
        notice = page.locator("#signage-offline")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text(r"Offline since" if page.locator("body").get_attribute("data-lang") == "en"
                                       else "离线")
        expect(now_rows.first).to_be_visible()
        assert now_rows.count() == 2
        page.screenshot(path=str(ARTIFACTS / f"signage-{size}-offline.png"))
        _axe(page, f"signage {size} offline")

        context.set_offline(False)
        page.clock.fast_forward(61_000)
        expect(notice).to_be_hidden()
        context.close()


def test_the_board_keeps_open_windows_now_and_today_or_tomorrow_next():
    from airdrop.signage import NEXT_ROWS, board

    now = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai

    def offer(id_, *periods):
        return {"campaign_id": id_, "airdrops": [{"start": now + timedelta(hours=a), "end": now + timedelta(hours=b)}
                                                 for a, b in periods]}

    current, upcoming = board([offer(1, (-1, 2), (22, 25)), offer(2, (-3, 0)), offer(3, (-1, 1)),
                               offer(4, (30, 31))], now=now, tz=SHANGHAI)
    # Open now, soonest to close first; one that closed at this minute is gone; 30 h on is the day after tomorrow.
    assert [r["offer"]["campaign_id"] for r in current] == [3, 1]
    assert [(r["offer"]["campaign_id"], r["start"].hour) for r in upcoming] == [(1, 17)]
    many = [offer(i, (i, i + 1)) for i in range(1, 12)]
    assert len(board(many, now=now, tz=SHANGHAI)[1]) == NEXT_ROWS
