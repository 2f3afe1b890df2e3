"""The address lookup (core.geocoding, /api/geocode) against a local stand-in answering Nominatim's JSON."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from geographiclib.geodesic import Geodesic

from core.geo import from_wgs84
from core.geocoding import Geocoder, GeocoderUnavailable, TtlCache
from linli import create_app

CENTRE = (31.16, 121.501)
STREET = "100 Dongming Road, Pudong, Shanghai"


def metres(a, b) -> float:
    return Geodesic.WGS84.Inverse(a[0], a[1], b[0], b[1])["s12"]


class StandIn:
    """Nominatim's /search and /reverse on 127.0.0.1, answering `point` (in the service's own datum)."""

    def __init__(self):
        self.point = CENTRE
        self.delay_s = 0.0
        self.asked: list[tuple[str, dict]] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                standin.asked.append((url.path, query))
                time.sleep(standin.delay_s)
                lat, lon = standin.point
                place = {"lat": str(lat), "lon": str(lon), "display_name": STREET,
                         "address": {"road": "Dongming Road", "house_number": "100"}}
                body = json.dumps([place] if url.path == "/search" else place).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.domain = f"127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def options(self) -> dict:
        return {"domain": self.domain, "scheme": "http", "user_agent": "linli-test"}


@pytest.fixture
def standin():
    server = StandIn()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def geocode_app(standin: StandIn | None, **config):
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "GEOCODER": None}
    if standin is not None:
        settings.update(GEOCODER="nominatim", GEOCODER_OPTIONS=standin.options(), GEOCODER_CRS="wgs84",
                        GEOCODER_TIMEOUT_S=2.0)
    settings.update(config)
    return create_app(settings)


def test_a_typed_address_finds_places_and_a_dropped_pin_finds_its_address(standin):
    client = geocode_app(standin).test_client()
    found = client.get("/api/geocode?q=100 Dongming Road")
    assert found.status_code == 200
    assert found.json["results"] == [{"label": STREET, "lat": 31.16, "lon": 121.501}]
    reverse = client.get("/api/geocode/reverse?lat=31.160012&lon=121.501003")
    assert reverse.status_code == 200 and reverse.json["label"] == STREET
    assert standin.asked[1][0] == "/reverse" and standin.asked[1][1]["lat"] == "31.160012"
    # Asked again (the same words, a pin a metre away): answered from the cache, the service is not asked.
    client.get("/api/geocode?q=100  dongming road")
    client.get("/api/geocode/reverse?lat=31.160015&lon=121.501001")
    assert len(standin.asked) == 2


def test_the_readers_language_is_asked_for(standin):
    client = geocode_app(standin).test_client()
    client.get("/api/geocode?q=东明路100号", headers={"Accept-Language": "zh-CN"})
    assert standin.asked[0][1]["accept-language"] == "zh"


def test_a_bd09_service_is_converted_both_ways_on_the_server(standin):
    standin.point = from_wgs84(*CENTRE, "bd09")  # what a Baidu service would answer for the centre
    geocoder = Geocoder("nominatim", standin.options(), crs="bd09", timeout_s=2)
    (place,) = geocoder.search("Dongming Road 100")
    assert metres((place.lat, place.lon), CENTRE) < 0.1
    assert 500 < metres(standin.point, CENTRE) < 1500  # unconverted, it would be this far off
    geocoder.reverse(*CENTRE)
    asked = standin.asked[-1][1]
    assert metres((float(asked["lat"]), float(asked["lon"])), standin.point) < 0.1


def test_a_service_that_does_not_answer_in_time_gives_503_and_the_form_goes_on(standin):
    standin.delay_s = 1.5
    client = geocode_app(standin, GEOCODER_TIMEOUT_S=0.3).test_client()
    started = time.monotonic()
    response = client.get("/api/geocode?q=Dongming Road")
    assert time.monotonic() - started < 1.2
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.json["type"] == "/problems/geocoder-unavailable"
    with pytest.raises(GeocoderUnavailable):
        Geocoder("nominatim", standin.options(), timeout_s=0.3).reverse(*CENTRE)


def test_without_a_geocoder_there_are_no_lookups():
    client = geocode_app(None).test_client()
    for url in ("/api/geocode?q=Dongming Road", "/api/geocode/reverse?lat=31.16&lon=121.501"):
        response = client.get(url)
        assert response.status_code == 404 and response.json["type"] == "/problems/geocoder-off"


@pytest.mark.parametrize("url", ["/api/geocode", "/api/geocode?q=", "/api/geocode/reverse?lat=91&lon=0",
                                 "/api/geocode/reverse?lat=nan&lon=0", "/api/geocode/reverse?lat=31"])
def test_bad_questions_are_422(standin, url):
    response = geocode_app(standin).test_client().get(url)
    assert response.status_code == 422 and not standin.asked


def test_lookups_are_rate_limited_per_address(standin):
    client = geocode_app(standin, GEOCODER_RATE_LIMIT="3 per minute").test_client()
    statuses = [client.get(f"/api/geocode?q=street {n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(standin.asked) == 3


def test_cache_entries_expire():
    now = [0.0]
    cache = TtlCache(ttl_s=600, size=2, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)  # over size: the oldest goes
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)
    now[0] = 601
    assert cache.get("b") is None
