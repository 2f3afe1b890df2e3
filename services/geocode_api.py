"""/api/geocode: the report form's address <-> pin lookups, through the configured geocoder.

Rate-limited per address and cached (core.geocoding); with LINLI_GEOCODER unset both answer 404
`/problems/geocoder-off` and the page never asks (the address is plain text). Positions in and out
are WGS-84; a service that does not answer in time gives 503, and the form still works.
"""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_babel import get_locale
from marshmallow import fields

from core.extensions import Blueprint, problems
from core.geocoding import GeocoderOff, geocoder_from_config
from core.ratelimit import rate_limit
from core.schemas import Length, Range, StrictSchema

blp = Blueprint("geocode", __name__, url_prefix="/api/geocode", description="Address lookups for the report form")
EXTENSION = "linli_geocoder"


def init_geocoding(app) -> None:
    app.extensions[EXTENSION] = geocoder_from_config(app.config)


def geocode_limit() -> str:
    return current_app.config["GEOCODER_RATE_LIMIT"]


def _geocoder():
    geocoder = current_app.extensions.get(EXTENSION)
    if geocoder is None:
        raise GeocoderOff("This district has no address lookup: the address is kept as typed.")
    return geocoder


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


class SearchQuery(StrictSchema):
    q = fields.String(required=True, validate=Length(min=2, max=255))


class ReverseQuery(StrictSchema):
    # Query strings are text: parsed here, unlike strict JSON numbers in bodies.
    lat = fields.Float(required=True, allow_nan=False, validate=Range(-90, 90))
    lon = fields.Float(required=True, allow_nan=False, validate=Range(-180, 180))


class PlaceOut(StrictSchema):
    label = fields.String(allow_none=True, metadata={"description": "The address, in the reader's language"})
    lat = fields.Float(allow_none=True, metadata={"description": "WGS-84"})
    lon = fields.Float(allow_none=True, metadata={"description": "WGS-84"})


class SearchOut(StrictSchema):
    results = fields.List(fields.Nested(PlaceOut), metadata={"description": "At most five, best first"})


@blp.route("")
class Search(MethodView):
    @rate_limit(geocode_limit, scope="geocode", methods=("GET",))
    @blp.arguments(SearchQuery(), location="query")
    @blp.response(200, SearchOut)
    @problems((404, "No geocoder configured"), (503, "The geocoder did not answer"))
    def get(self, query):
        """Places matching a typed address (WGS-84)"""
        places = _geocoder().search(query["q"], language=_language())
        return {"results": [place.to_dict() for place in places]}


@blp.route("/reverse")
class Reverse(MethodView):
    @rate_limit(geocode_limit, scope="geocode", methods=("GET",))
    @blp.arguments(ReverseQuery(), location="query")
    @blp.response(200, PlaceOut)
    @problems((404, "No geocoder configured"), (503, "The geocoder did not answer"))
    def get(self, query):
        """The address at a WGS-84 point (label null where the service knows none)"""
        place = _geocoder().reverse(query["lat"], query["lon"], language=_language())
        return place.to_dict() if place else {"label": None, "lat": None, "lon": None}
