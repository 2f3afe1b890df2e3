"""The neighbourhood map and the staff's maps on a 390 x 844 phone (SQLite): /map shows the demo
district's reports as clusters, filters by kind, a tapped cluster zooms in and a tapped dot opens
a card that leads to the report's page with its still mini map and position in text; the staff
queue sorted nearest to the phone first, with its map under the list. axe finds nothing; en/zh,
normal and large text. Screenshots: test-artifacts/map-*.png."""

from __future__ import annotations

import math

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from core.db import db, utcnow
from demo.district import CENTRE, DEMO_PASSWORD
from services import map_index
from services.map_query import visible
from services.models import OPEN, Category, ServiceRequest
from tests.browser import PHONE, sign_in
from tests.conftest import ARTIFACTS

WIDTH = PHONE["viewport"]["width"]


def _prefs(page, lang: str, large: bool) -> None:
    if (page.locator("html").get_attribute("lang") or "").startswith("zh") != (lang == "zh"):
        page.locator(f".prefs .chip[name=locale][value={lang}]").click()
        page.wait_for_load_state("networkidle")
    if ("large-text" in (page.locator("html").get_attribute("class") or "")) != large:
        page.locator(".prefs .chip[name=large_text]").click()
        page.wait_for_load_state("networkidle")


def _loaded(page) -> None:
    page.wait_for_selector("#neighbourhood-map[data-loaded=true]", timeout=10_000)


def _axe(page, what: str) -> None:
    violations = Axe().run(page).response["violations"]
    assert not violations, (what, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations])


def _streetlights_on_map(app) -> int:
    with app.app_context():
        category = db.session.scalar(select(Category.id).where(Category.code == "streetlight"))
        return len(db.session.scalars(select(ServiceRequest.id).where(
            ServiceRequest.lat.is_not(None), *visible("all", utcnow(), category))).all())


def test_the_map_clusters_filters_and_leads_to_a_report_and_staff_go_nearest_first(
        chromium, demo_site, app, database_url):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(**PHONE, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Everyone reaches the map from the top bar.
    page.goto(demo_site + "/")
    page.get_by_role("link", name="Map").click()
    _loaded(page)
    assert page.locator("#neighbourhood-map .map-marker--cluster").count() > 0
    assert page.locator("#neighbourhood-map .leaflet-marker-pane").get_attribute("aria-hidden") == "true"
    assert page.locator("#map-list li a").count() > 0  # the same reports as a list, for everyone
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    for lang, large in (("en", False), ("en", True), ("zh", True), ("zh", False)):
        _prefs(page, lang, large)
        _loaded(page)
        page.screenshot(path=str(ARTIFACTS / f"map-{lang}-{'large' if large else 'normal'}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, (lang, large)
        _axe(page, f"/map {lang} large={large}")

    # Filter by kind: the form reloads the page, list and map alike.
    page.locator(".map-filters-box summary").click()
    page.locator("#map-category").select_option("streetlight")
    page.locator("#map-filters button").click()
    page.wait_for_load_state("networkidle")
    _loaded(page)
    assert "category=streetlight" in page.url
    shown = int(page.locator("#neighbourhood-map").get_attribute("data-total"))
    assert shown == _streetlights_on_map(app) > 0

    # Tap clusters until a single report shows, then its dot: a card with the way to its page.
    for _ in range(8):
        if page.locator("#neighbourhood-map .map-marker--open, #neighbourhood-map .map-marker--fixed").count():
            break
        zoom = page.evaluate("document.getElementById('neighbourhood-map').linliMap.leaflet.getZoom()")
        page.locator("#neighbourhood-map .map-marker--cluster").first.click()
        for _ in range(40):  # (wait_for_function would evaluate a string: the CSP refuses that)
            page.wait_for_timeout(100)
            if page.evaluate("document.getElementById('neighbourhood-map').linliMap.leaflet.getZoom()") > zoom:
                break
        else:
            raise AssertionError("tapping a cluster did not zoom in")
        page.wait_for_timeout(300)
        _loaded(page)
    dot = page.locator("#neighbourhood-map .map-marker--open, #neighbourhood-map .map-marker--fixed").first
    dot.click()
    card = page.locator("#map-card")
    card.wait_for(state="visible", timeout=10_000)  # the tap reaches Leaflet a moment later on a busy machine
    ref = page.locator("#map-card-title").inner_text()
    _axe(page, "/map with a card open")
    page.screenshot(path=str(ARTIFACTS / "map-card-zh-normal.png"))
    page.locator("#map-card-link").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/r/{ref}")
    page.wait_for_selector("#track-map .map-marker")
    with app.app_context():
        report = db.session.scalar(select(ServiceRequest).where(ServiceRequest.ref == ref))
        assert page.locator("#position").inner_text().startswith(f"{report.lat:.5f}, {report.lon:.5f}")
    assert page.evaluate("document.getElementById('track-map').linliMap.leaflet.dragging.enabled()") is False
    page.screenshot(path=str(ARTIFACTS / "map-track-zh-normal.png"), full_page=True)
    _axe(page, "the report page's mini map")
    _prefs(page, "en", False)
    page.screenshot(path=str(ARTIFACTS / "map-track-en-normal.png"), full_page=True)
    context.close()

    # Staff: nearest to the phone first, with the page's work orders on a map under the list.
    here = (CENTRE[0] + 0.004, CENTRE[1] - 0.003)
    context = chromium.new_context(**PHONE, locale="en-GB", permissions=["geolocation"],
                                   geolocation={"latitude": here[0], "longitude": here[1], "accuracy": 10})
    staff = context.new_page()
    staff.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(staff, demo_site, "staff@linli.demo", DEMO_PASSWORD)
    staff.goto(demo_site + "/staff/queue")
    staff.locator("#queue-filters select[name=sort]").select_option("near")
    staff.locator("#queue-filters button").click()
    staff.wait_for_url("**sort=near**lat=**")
    staff.wait_for_selector("#queue-map .map-marker")
    assert "nearest to you first" in staff.locator("#queue-order").inner_text()
    with app.app_context():
        dept = db.session.scalar(select(Category.department_id).where(Category.code == "streetlight"))
        rows = db.session.execute(select(ServiceRequest.ref, ServiceRequest.lat, ServiceRequest.lon).where(
            ServiceRequest.department_id == dept, ServiceRequest.status.in_(OPEN))).all()
    k = math.cos(math.radians(here[0]))
    located = sorted((r for r in rows if r.lat is not None),
                     key=lambda r: (r.lat - here[0]) ** 2 + ((r.lon - here[1]) * k) ** 2)
    listed = [t.split(" ·")[0] for t in staff.locator("#queue li strong").all_inner_texts()]
    assert listed[:len(located[:25])] == [r.ref for r in located[:25]]
    assert staff.locator("#queue-map .map-marker--open").count() == min(25, len(located))
    # The list comes first on a phone, the map under it.
    assert staff.locator("#queue").bounding_box()["y"] < staff.locator("#queue-map").bounding_box()["y"]
    assert staff.evaluate("document.documentElement.scrollWidth") <= WIDTH
    staff.screenshot(path=str(ARTIFACTS / "map-queue-en-normal.png"), full_page=True)
    _axe(staff, "the queue with its map")
    staff.locator("#queue li a").first.click()
    staff.wait_for_selector("#order-map .map-marker")
    assert staff.locator("#osm-directions").get_attribute("href").startswith(
        "https://www.openstreetmap.org/directions?route=%3B")
    staff.screenshot(path=str(ARTIFACTS / "map-work-order-en-normal.png"))
    _axe(staff, "the work order with its map")
    context.close()
    with app.app_context():
        map_index.settle()  # no snapshot still loading while the tables are emptied
    assert not errors
