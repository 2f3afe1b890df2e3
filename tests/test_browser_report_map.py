"""The report form's map on a 390 px phone: the pin lands within a metre of where it is dropped.

One journey per tile datum. With WGS-84 tiles (ours, drawn locally) and with GCJ-02 tiles (AMap's
datum, ~480 m off; here pointed at a port that refuses, so the "no map images" state is walked too):
the form opens at the phone's position; the report of the same kind nearby is a marker that offers
"me too"; the pin is dragged 40 m north-east (target from geographiclib), then stepped 10 m north and
10 m east with the arrow keys while the status line says so; the report is filed and the stored
position is within 1 m of where the pin was put. The hidden inputs only ever hold WGS-84. Then, in
Chinese and large text, the crosshair: pan the map under the mark and put the pin there; and with a
geocoder (a stand-in answering Nominatim's JSON) the pin fills the address and a typed address moves
the pin. Without one, nothing is looked up.
"""

from __future__ import annotations

import pytest
from geographiclib.geodesic import Geodesic
from playwright.sync_api import expect
from sqlalchemy import select

from core.db import db, utcnow
from core.geo import from_wgs84
from core.geocoding import Geocoder
from demo.district import DEMO_PASSWORD
from services.models import Channel, ServiceRequest
from services.operations import NewReport, file_report
from tests.browser import PHONE, sign_in
from tests.conftest import ARTIFACTS
from tests.test_geocoding import STREET, StandIn

W = (31.16000, 121.50100)
GEOD = Geodesic.WGS84
BROKEN_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def metres(a, b) -> float:
    return GEOD.Inverse(a[0], a[1], b[0], b[1])["s12"]


def step(point, azimuth: float, distance_m: float):
    moved = GEOD.Direct(point[0], point[1], azimuth, distance_m)
    return moved["lat2"], moved["lon2"]


def container_px(page, display) -> tuple[float, float]:
    """Page coordinates of a display-datum point on the report map."""
    point = page.evaluate(
        """([lat, lon]) => {
             const el = document.getElementById('report-map');
             const p = el.linliMap.leaflet.latLngToContainerPoint(L.latLng(lat, lon));
             const box = el.getBoundingClientRect();
             return [box.left + p.x, box.top + p.y];
           }""", list(display))
    return point[0], point[1]


def axe_violations(page) -> list:
    from axe_playwright_python.sync_playwright import Axe

    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in Axe().run(page).response["violations"]]


def set_variant(page, base: str, lang: str, large: bool) -> None:
    token = page.evaluate("document.querySelector('meta[name=csrf-token]').content")
    for path, form in (("/prefs/language", {"locale": lang}),
                       ("/prefs/large-text", {"large_text": "on" if large else "off"})):
        answer = page.request.post(base + path, form={"csrf_token": token, **form}, max_redirects=0)
        assert answer.status in (302, 303), (path, answer.status)


@pytest.fixture
def geocoder_standin():
    server = StandIn()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.mark.parametrize(("crs", "tiles"), [("wgs84", "local"), ("gcj02", BROKEN_TILES)])
def test_the_pin_is_stored_within_a_metre_of_where_it_was_put(chromium, app, demo_site, database_url, crs, tiles,
                                                              geocoder_standin):
    if database_url.startswith("postgresql"):
        pytest.skip("layout and behaviour of the page, not of the engine: checked on SQLite")
    app.config["TILES_CRS"] = crs
    if crs == "wgs84":  # an address lookup in this journey; none in the other (LINLI_GEOCODER unset)
        app.config["GEOCODER"] = "nominatim"
        app.extensions["linli_geocoder"] = Geocoder("nominatim", geocoder_standin.options(), timeout_s=2)
    if tiles != "local":
        app.config.update(TILES_URL=tiles, TILES_SUBDOMAINS="")
    ARTIFACTS.mkdir(exist_ok=True)
    near = step(W, 200, 12)
    with app.app_context():
        earlier = file_report(NewReport(category_code="streetlight", description="Lamp by the gate is dark",
                                        lat=near[0], lon=near[1], answers={"lamp": "flickering"},
                                        channel=Channel.PHONE), now=utcnow())
        db.session.commit()
        earlier_ref = earlier.ref

    context = chromium.new_context(**PHONE, locale="en-GB", permissions=["geolocation"],
                                   geolocation={"latitude": W[0], "longitude": W[1], "accuracy": 8})
    page = context.new_page()
    sign_in(page, demo_site, "resident@linli.demo", DEMO_PASSWORD)
    page.goto(f"{demo_site}/report/streetlight")

    # Opened at the phone's position: the form holds it (WGS-84), the map shows it in its own datum.
    expect(page.locator("#lat")).to_have_value(f"{W[0]:.6f}")
    expect(page.locator("#lon")).to_have_value(f"{W[1]:.6f}")
    expect(page.locator("#location-status")).to_contain_text("Location set")
    shown = page.evaluate("(() => { const m = document.getElementById('report-map').linliMap;"
                          " const p = m.pins[0].marker.getLatLng(), c = m.leaflet.getCenter();"
                          " return [[p.lat, p.lng], [c.lat, c.lng]]; })()")
    assert metres(shown[0], from_wgs84(*W, crs)) < 0.05  # the pin, in the tiles' datum
    assert metres(shown[1], from_wgs84(*W, crs)) < 0.6  # the map's centre, to the pixel (0.5 m at zoom 18)
    if crs == "gcj02":
        assert metres(shown[0], W) > 400  # the tiles' datum really is another one

    if tiles != "local":
        expect(page.locator("#report-map-notice")).to_have_text(
            "Map images could not load. The pin and markers still work.")
        assert "map--no-tiles" in page.locator("#report-map").get_attribute("class")

    # The report of the same kind nearby is a marker; pressing it offers "me too".
    marker = page.locator(".map-marker--report")
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("aria-label", f"Report {earlier_ref}: Lamp by the gate is dark")
    marker.focus()
    page.keyboard.press("Enter")
    card = page.locator("#map-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text(earlier_ref)
    expect(card.get_by_role("button", name="Me too")).to_be_visible()
    assert axe_violations(page) == []
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"map-report-{crs}-en-normal.png"), full_page=True)

    # Drag the pin 40 m north-east: grab it above its point, drop it the same distance above the target.
    target = step(W, 45, 40)
    page.locator("#report-map").scroll_into_view_if_needed()
    start_x, start_y = container_px(page, from_wgs84(*W, crs))
    to_x, to_y = container_px(page, from_wgs84(*target, crs))
    grab = 20  # px above the tip: on the drop's body
    page.mouse.move(start_x, start_y - grab)
    page.mouse.down()
    page.mouse.move(to_x, to_y - grab, steps=10)
    page.mouse.up()
    page.wait_for_function("(lat) => document.getElementById('lat').value !== lat", arg=f"{W[0]:.6f}")
    dropped = (float(page.input_value("#lat")), float(page.input_value("#lon")))
    assert metres(dropped, target) < 1, metres(dropped, target)

    # The keyboard: 5 x 2 m north, then Shift+right, 10 m east; the status line says where it went.
    page.locator(".map-pin").focus()
    for _ in range(5):
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#location-status")).to_contain_text("Pin moved 10 m east.")
    put = step(step(dropped, 0, 10), 90, 10)
    keyed = (float(page.input_value("#lat")), float(page.input_value("#lon")))
    assert metres(keyed, put) < 0.2

    page.get_by_label("What is wrong?").fill("The lamp on the corner of the square is dark.")
    page.get_by_label("Off at night").check()
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".notice")).to_contain_text("Your reference is")
    ref = page.locator("h1.ref").inner_text()
    with app.app_context():
        stored = db.session.execute(select(ServiceRequest.lat, ServiceRequest.lon)
                                    .where(ServiceRequest.ref == ref)).one()
    assert metres(tuple(stored), put) < 1

    if crs == "wgs84":
        # How it looks in both languages and text sizes (LOOK at test-artifacts/map-report-*.png).
        for lang, large in (("en", True), ("zh", False), ("zh", True)):
            set_variant(page, demo_site, lang, large)
            page.goto(f"{demo_site}/report/streetlight")
            expect(page.locator(".map-marker--report")).to_have_count(1)
            page.locator(".map-marker--report").click()
            expect(page.locator("#map-card")).to_be_visible()
            size = "large" if large else "normal"
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, (lang, size)
            if large:
                assert axe_violations(page) == [], (lang, size)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ARTIFACTS / f"map-report-{crs}-{lang}-{size}.png"), full_page=True)
        # Crosshair mode, for big fingers: pan the map under the fixed mark, then "Put the pin here".
        page.get_by_role("button", name="用十字准星对准").click()
        expect(page.locator(".map-crosshair")).to_be_visible()
        before = (float(page.input_value("#lat")), float(page.input_value("#lon")))
        box = page.locator("#report-map").bounding_box()
        x, y = box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.8  # clear of the pin at the centre
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 100, y, steps=8)
        page.mouse.up()
        page.wait_for_timeout(800)  # the pan's inertia settles
        page.get_by_role("button", name="把图钉放在这里").click()
        after = (float(page.input_value("#lat")), float(page.input_value("#lon")))
        centre = page.evaluate("document.getElementById('report-map').linliMap.center()")
        assert metres(after, centre) < 0.2
        assert metres(before, after) > 45 and after[1] > before[1]  # at least the 100 px (51 m) east
        expect(page.locator("#location-status")).to_contain_text("图钉已放好")

        # The address and the pin follow each other: an untouched address is filled from the pin; a
        # typed one offers the places it names, and choosing one puts the pin there.
        expect(page.locator("#address")).to_have_value(STREET)
        geocoder_standin.point = step(W, 300, 120)
        page.locator("#address").fill("东明路 100 号")
        choice = page.get_by_role("button", name=f"在地图上显示：{STREET}")
        choice.click()
        placed = (float(page.input_value("#lat")), float(page.input_value("#lon")))
        assert metres(placed, geocoder_standin.point) < 0.2
        assert any(path == "/search" and query["q"] == "东明路 100 号" for path, query in geocoder_standin.asked)
    else:
        page.goto(f"{demo_site}/report/streetlight")
        expect(page.locator("#report-map-notice")).to_contain_text("could not load")
        page.locator("#address").fill("Dongming Road 100")
        page.wait_for_timeout(1000)  # longer than the lookup's pause after typing
        assert page.locator("#address-results").is_hidden() and not geocoder_standin.asked
        page.screenshot(path=str(ARTIFACTS / f"map-report-{crs}-no-tiles.png"), full_page=True)
    context.close()
