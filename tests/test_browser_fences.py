"""An admin draws a polygon fence on the map of a phone and saves it; a resident's check-in inside it
drops a coupon within the index refresh; reshaping the fence so the point is outside stops the drops,
and so does deleting it. The pages in English and Chinese, normal and large text, phone and tablet."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from core.db import db
from core.identity.models import Role
from geofence.models import Fence
from tests.browser import PHONE, live_server, sign_in
from tests.conftest import ARTIFACTS, TEST_PASSWORD

TABLET = {"viewport": {"width": 820, "height": 1180}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
CHECK_S = 1.0  # LINLI_FENCE_INDEX_CHECK_S
REFRESH_S = CHECK_S + 2.0  # the check, plus the rebuild off the request path on a busy 2-core machine


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-page in a full-page shot
    page.screenshot(path=str(ARTIFACTS / f"map-fences-{name}.png"), full_page=True)


def _axe_clean(page, what: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert not violations, (what, [(v["id"], v["help"], [n["html"] for n in v["nodes"]][:3]) for v in violations])


def _fits(page, what: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{what} overflows"


def _ready(page) -> None:
    expect(page.locator("#fence-map.fence-map--ready")).to_be_visible()
    page.wait_for_load_state("networkidle")  # the local tiles


def _centroid(geometry: dict) -> tuple[float, float]:
    import shapely

    point = shapely.from_geojson(json.dumps(geometry)).centroid
    return point.y, point.x


class _OtherWorker:
    """A second app on the same database, as another gunicorn worker: its fence index only learns of
    the admin's edit by checking the revision every CHECK_S and rebuilding off the request path."""

    def __init__(self, app, database_url: str, make_user):
        from linli import create_app
        from tests.conftest import CsrfClient

        self.app = app
        self.make_user = make_user
        self.worker = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "FENCE_INDEX_CHECK_S": CHECK_S,
                                  "AIRDROP_MAX_SPEED_MPS": 1e9})
        self.worker.test_client_class = CsrfClient
        self.until("outside", 31.0, 121.0, timeout_s=0)  # builds this worker's index before any fence

    def until(self, want: str, lat: float, lon: float, *, timeout_s: float) -> float:
        """A new resident checks in here on this worker until the outcome is `want`: the seconds it took."""
        from tests.conftest import login

        with self.app.app_context():
            identifier = self.make_user(Role.RESIDENT).identifier
            db.session.commit()
        resident = login(self.worker, identifier)
        started = time.monotonic()
        while True:
            answer = resident.post("/api/airdrop/checkins", json={"lat": lat, "lon": lon, "accuracy_m": 10})
            elapsed = time.monotonic() - started
            if answer.json["outcome"] == want:
                return elapsed
            assert elapsed <= timeout_s, f"still {answer.json['outcome']!r} after {elapsed:.1f} s, not {want!r}"
            time.sleep(0.05)

    def close(self) -> None:
        with self.worker.app_context():
            db.engine.dispose()


def _drag(page, box: dict, dx: float, dy: float) -> None:
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=4)
    page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()
    page.wait_for_timeout(100)  # geoman settles the drag (and fires pm:edit) after 10 ms


def _switch(page, lang: str, large: bool) -> None:
    """The header's language and text-size buttons, as needed (both are kept on the account)."""
    html = page.locator("html")
    if (html.get_attribute("lang") == "zh-Hans") != (lang == "zh"):
        page.locator("button[name='locale']").click()
        expect(html).to_have_attribute("lang", "zh-Hans" if lang == "zh" else "en")
    if ("large-text" in (html.get_attribute("class") or "")) != large:
        page.locator(".prefs button[name='large_text']").click()
        page.wait_for_load_state("networkidle")
    assert ("large-text" in (html.get_attribute("class") or "")) == large


def test_an_admin_draws_reshapes_and_deletes_a_fence_and_check_ins_follow(chromium, app, make_user,
                                                                           make_campaign, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    ARTIFACTS.mkdir(exist_ok=True)
    app.config["FENCE_INDEX_CHECK_S"] = CHECK_S
    app.config["AIRDROP_MAX_SPEED_MPS"] = 1e9
    with app.app_context():
        admin = make_user(Role.ADMIN, display_name="Zhou Hui")
        admin_id = admin.identifier
        db.session.commit()

    other = _OtherWorker(app, database_url, make_user)
    with live_server(app) as base:
        context = chromium.new_context(**PHONE, locale="en-GB")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, base, admin_id, TEST_PASSWORD)

        # Draw: the polygon button, four taps on the map (below the toolbar's Finish/Cancel row), the
        # first corner again to close it.
        page.goto(f"{base}/admin/fences")
        _ready(page)
        _shot(page, "list-empty-en")
        page.get_by_role("button", name="Draw Polygon").click()
        box = page.locator("#fence-map").bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        corners = [(-60, 20), (80, 20), (90, 140), (-50, 150)]
        for dx, dy in [*corners, corners[0]]:
            page.touchscreen.tap(cx + dx, cy + dy)
            page.wait_for_timeout(350)  # a person's pace: quicker taps are a double tap (zoom)
        expect(page.locator("#kind")).to_have_value("polygon")
        expect(page.locator("#fence-map-status")).to_contain_text("Polygon with 4 corners")
        drawn = json.loads(page.locator("#polygon").input_value())
        assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 5
        page.locator("#name").fill("Market square")
        _shot(page, "drawn-en")
        _axe_clean(page, "list with a drawn polygon")
        page.get_by_role("button", name="Create geofence").click()
        expect(page.locator(".notice")).to_contain_text("Market square created")

        with app.app_context():
            fence = db.session.query(Fence).one()
            fence_id, stored = fence.id, fence.polygon
            make_campaign(fences=[fence_id])
            db.session.commit()
        assert stored == drawn  # what the map drew, in WGS-84, is what the server stored
        inside = _centroid(stored)
        seconds = other.until("dropped", *inside, timeout_s=REFRESH_S)
        print(f"drawn fence: another worker dropped a coupon {seconds:.2f} s into its check-ins after the save")

        # Reshape: drag the two western corners most of the way east; the old centre is then outside.
        page.locator(".fence-name", has_text="Market square").click()
        _ready(page)
        vertices = page.locator("#fence-map .marker-icon:not(.marker-icon-middle)")
        expect(vertices).to_have_count(4)
        boxes = sorted((vertices.nth(i).bounding_box() for i in range(4)), key=lambda b: b["x"])
        width = boxes[-1]["x"] - boxes[0]["x"]
        for box in boxes[:2]:
            _drag(page, box, width * 0.8, 0)
        reshaped = json.loads(page.locator("#polygon").input_value())
        assert reshaped != stored and _centroid(reshaped)[1] > inside[1] + 0.001
        _shot(page, "reshaped-en")
        _axe_clean(page, "fence page in edit mode")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".notice")).to_contain_text("Market square saved")
        seconds = other.until("outside", *inside, timeout_s=REFRESH_S)
        print(f"reshaped fence: another worker put the old place outside {seconds:.2f} s into its check-ins")
        other.until("dropped", *_centroid(reshaped), timeout_s=REFRESH_S)

        # Delete, with its confirmation step.
        page.get_by_role("link", name="Delete this geofence…").click()
        _axe_clean(page, "delete confirmation")
        _shot(page, "delete-en")
        page.get_by_role("button", name="Yes, delete this geofence").click()
        expect(page.locator(".notice")).to_contain_text("deleted")
        expect(page.locator(".fence-name")).to_have_count(0)
        seconds = other.until("outside", *_centroid(reshaped), timeout_s=REFRESH_S)
        print(f"deleted fence: another worker put the place outside {seconds:.2f} s into its check-ins")
        other.close()
        assert not errors, errors
        context.close()

        # Without JavaScript: no map, the same form, the same checks.
        context = chromium.new_context(**PHONE, locale="en-GB", java_script_enabled=False)
        page = context.new_page()
        sign_in(page, base, admin_id, TEST_PASSWORD)
        with app.app_context():
            from geofence.models import FenceKind
            from geofence.operations import create_fence

            plain_id = create_fence({"name": "North gate", "kind": FenceKind.CIRCLE, "center_lat": inside[0],
                                     "center_lon": inside[1], "radius_m": 80}).id
            db.session.commit()
        page.goto(f"{base}/admin/fences/{plain_id}")
        expect(page.locator(".map-block")).to_be_hidden()
        page.locator("#radius_m").fill("80000")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#radius_m-error")).to_be_visible()
        page.locator("#radius_m").fill("90")
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".notice")).to_contain_text("North gate saved")
        expect(page.locator("#radius_m")).to_have_value("90")
        context.close()

        # Tiles drawn in GCJ-02 (AMap, Tencent): the circle is shown ~500 m off its WGS-84 numbers, and
        # moving it due east keeps its stored latitude (unconverted, it would jump by the offset).
        app.config["TILES_CRS"] = "gcj02"
        context = chromium.new_context(**PHONE, locale="en-GB")
        page = context.new_page()
        sign_in(page, base, admin_id, TEST_PASSWORD)
        page.goto(f"{base}/admin/fences/{plain_id}")
        _ready(page)
        box = page.locator("#fence-map").bounding_box()
        middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        handles = [page.locator("#fence-map .marker-icon").nth(i).bounding_box() for i in range(2)]
        centre = min(handles, key=lambda b: abs(b["x"] + b["width"] / 2 - middle[0])
                     + abs(b["y"] + b["height"] / 2 - middle[1]))
        _drag(page, centre, 60, 0)
        lat, lon = float(page.locator("#center_lat").input_value()), float(page.locator("#center_lon").input_value())
        assert abs(lat - inside[0]) < 2e-5 and lon > inside[1] + 1e-4, (lat, lon, inside)
        context.close()
        app.config["TILES_CRS"] = "wgs84"

        # The pages in Chinese, normal and large text, at 390 px and on a tablet.
        with app.app_context():
            fence_id = create_fence({"name": "东明社区中心", "kind": FenceKind.POLYGON, "polygon": reshaped}).id
            create_fence({"name": "Dongming Community Centre", "kind": FenceKind.CIRCLE, "center_lat": inside[0],
                          "center_lon": inside[1], "radius_m": 120})
            db.session.commit()
        for device, name in ((PHONE, "phone"), (TABLET, "tablet")):
            context = chromium.new_context(**device, locale="en-GB")
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            sign_in(page, base, admin_id, TEST_PASSWORD)
            page.goto(f"{base}/admin/fences")
            states = ((("en", False), ("en", True), ("zh", True), ("zh", False)) if name == "phone"
                      else (("en", False),))  # the phone left the account in Chinese: back to English
            for lang, large in states:
                _switch(page, lang, large)
                size = "large" if large else "normal"
                for url, what in ((f"{base}/admin/fences", "list"), (f"{base}/admin/fences/{fence_id}", "edit")):
                    page.goto(url)
                    _ready(page)
                    if lang == "zh" and what == "list":
                        expect(page.get_by_role("button", name="绘制多边形")).to_be_visible()  # geoman in Chinese
                    _fits(page, f"{what}, {lang} {size}, {name}")
                    _shot(page, f"{what}-{lang}-{size}-{name}")
                    if name == "phone" and not large:
                        _axe_clean(page, f"{what} {lang} {size}")
            context.close()
        assert not errors, errors
