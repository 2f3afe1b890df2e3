"""Address <-> position lookups through geopy, with the configured service (LINLI_GEOCODER*).

No Flask here: `Geocoder` is built from the settings and asked in WGS-84; what the service answers
in (LINLI_GEOCODER_CRS: Baidu's BD-09, AMap-style GCJ-02) is converted both ways by core.geo, so
nothing else ever sees another datum. Answers are kept for 10 minutes on the rounded question
(the same street typed again, the pin dropped within ~10 m of where it was), which also keeps a
public service like Nominatim (one request a second) from being asked twice for one thing.
A service that is slow, down or refuses raises `GeocoderUnavailable` (503): the form still works.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.geo import from_wgs84, to_wgs84
from core.problems import Problem

CACHE_TTL_S = 600
CACHE_SIZE = 2048
REVERSE_DECIMALS = 4  # ~11 m: a pin nudged by a metre asks nothing new
MAX_RESULTS = 5


class GeocoderUnavailable(Problem):
    status, type, title = 503, "/problems/geocoder-unavailable", "Address lookup unavailable"


class GeocoderOff(Problem):
    status, type, title = 404, "/problems/geocoder-off", "No address lookup here"


@dataclass(frozen=True)
class Place:
    label: str
    lat: float  # WGS-84
    lon: float

    def to_dict(self) -> dict:
        return {"label": self.label, "lat": round(self.lat, 6), "lon": round(self.lon, 6)}


class TtlCache:
    """A small thread-safe LRU whose entries expire: one per worker, so a lookup costs once per 10 min."""

    def __init__(self, ttl_s: float = CACHE_TTL_S, size: int = CACHE_SIZE, clock: Callable[[], float] = time.monotonic):
        self.ttl_s, self.size, self.clock = ttl_s, size, clock
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] < self.clock():
                self._items.pop(key, None)
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = (self.clock() + self.ttl_s, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def normalise_query(text: str) -> str:
    return " ".join(text.split()).casefold()


class Geocoder:
    def __init__(self, service: str, options: Mapping, *, crs: str = "wgs84", timeout_s: float = 3.0,
                 cache: TtlCache | None = None):
        from geopy.geocoders import get_geocoder_for_service

        self.service, self.crs = service, crs
        self._geocoder = get_geocoder_for_service(service)(**{"timeout": timeout_s, **options})
        self._cache = cache or TtlCache()

    def _ask(self, call: Callable):
        from geopy.exc import GeopyError

        try:
            return call()
        except (GeopyError, OSError, ValueError) as exc:
            # Timeouts, refusals, quotas, a garbled answer: the same to the resident.
            raise GeocoderUnavailable("The address lookup did not answer. Type the address instead.") from exc

    def search(self, query: str, *, language: str = "en", near: tuple[float, float] | None = None) -> list[Place]:
        """Places matching a typed address, best first, in WGS-84."""
        key = ("search", normalise_query(query), language)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        geocode = self._geocoder.geocode
        found = self._ask(lambda: geocode(query, exactly_one=False,
                                          **_supported(geocode, language=language, limit=MAX_RESULTS)))
        places = [self._place(location) for location in (found or [])[:MAX_RESULTS]]
        self._cache.put(key, places)
        return places

    def reverse(self, lat: float, lon: float, *, language: str = "en") -> Place | None:
        """The address at a WGS-84 point, or None where the service knows none."""
        key = ("reverse", round(lat, REVERSE_DECIMALS), round(lon, REVERSE_DECIMALS), language)
        cached = self._cache.get(key)
        if cached is not None:
            return cached or None
        asked = from_wgs84(lat, lon, self.crs)
        reverse = self._geocoder.reverse
        found = self._ask(lambda: reverse(asked, exactly_one=True, **_supported(reverse, language=language)))
        place = self._place(found) if found else None
        self._cache.put(key, place or False)
        return place

    def _place(self, location) -> Place:
        lat, lon = to_wgs84(float(location.latitude), float(location.longitude), self.crs)
        return Place(label=str(location.address or "")[:255], lat=lat, lon=lon)


def _supported(method: Callable, **wanted) -> dict:
    """The keyword arguments this service's method takes (Baidu's take no `language`, for one)."""
    parameters = inspect.signature(method).parameters
    return {name: value for name, value in wanted.items() if name in parameters}


def geocoder_from_config(config: Mapping) -> Geocoder | None:
    """The app's geocoder (None when LINLI_GEOCODER is unset: addresses are plain text)."""
    if not config.get("GEOCODER"):
        return None
    return Geocoder(config["GEOCODER"], config["GEOCODER_OPTIONS"], crs=config["GEOCODER_CRS"],
                    timeout_s=config["GEOCODER_TIMEOUT_S"])
