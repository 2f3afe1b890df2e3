"""/api/map/reports: the neighbourhood map's markers, clustered on the server.

Public and anonymous like the report pages: reference, kind, status and position, nothing else.
"""

from __future__ import annotations

import time

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load
from sqlalchemy import select

from core.db import db, utcnow
from core.extensions import Blueprint, problems
from core.problems import NotFound
from core.schemas import Integer, Length, OneOf, Range, StrictSchema
from services import map_index, map_query
from services.map_rules import MAX_ZOOM, MIN_ZOOM, STATUSES, BadBox, grid_for, parse_bbox
from services.models import Category

blp = Blueprint("map", __name__, url_prefix="/api/map", description="The neighbourhood map")

BOX_SENTENCES = {
    "shape": _l("Give the box as four numbers: west,south,east,north."),
    "lon": _l("Longitudes go from -180 to 180."),
    "lat": _l("Latitudes go from -90 to 90."),
    "order": _l("West must be less than east and south less than north."),
}


class MapQuery(StrictSchema):
    bbox = fields.String(required=True, validate=Length(min=7, max=200),
                         metadata={"description": "west,south,east,north in degrees (WGS-84)",
                                   "example": "121.47,31.13,121.53,31.19"})
    # Query strings are text: parsed here, unlike strict JSON numbers in bodies.
    zoom = fields.Integer(required=True, validate=Range(MIN_ZOOM, MAX_ZOOM),
                   metadata={"description": "The map's zoom: clusters are 64 screen pixels wide"})
    category = fields.String(validate=Length(min=1, max=40), metadata={"description": "A service code"})
    status = fields.String(load_default="all", validate=OneOf(STATUSES),
                           metadata={"description": "open, fixed (in the last 30 days) or all (both)"})

    @post_load
    def _box(self, data, **kwargs):
        try:
            data["box"] = parse_bbox(data["bbox"])
        except BadBox as exc:
            raise ValidationError(BOX_SENTENCES[exc.reason], "bbox") from exc
        return data


class Cluster(StrictSchema):
    lat = fields.Float()
    lon = fields.Float()
    n = Integer(metadata={"description": "Reports in this cluster"})
    bbox = fields.List(fields.Float(), metadata={"description": "Where they are: west,south,east,north"})


class MapReport(StrictSchema):
    ref = fields.String()
    category = fields.String(metadata={"description": "The service code (its kind)"})
    status = fields.String()
    lat = fields.Float()
    lon = fields.Float()


class MapOut(StrictSchema):
    clusters = fields.List(fields.Nested(Cluster))
    reports = fields.List(fields.Nested(MapReport), metadata={"description": "Reports alone in their cell"})
    total = Integer(metadata={"description": "Reports in the box"})
    zoom = Integer(metadata={"description": "The zoom the cells were made for (lower for a box too large)"})


def category_id_of(code: str | None) -> int | None:
    if not code:
        return None
    found = db.session.scalar(select(Category.id).where(Category.code == code))
    if found is None:
        raise NotFound("No such service.", errors={"category": ["Unknown service."]})
    return found


@blp.route("/reports")
class MapReports(MethodView):
    @blp.arguments(MapQuery(), location="query")
    @blp.response(200, MapOut, headers={"Server-Timing": {"description": "map;dur=<ms>: time spent on the "
                                                                         "answer", "schema": {"type": "string"}}})
    @problems((404, "No such service category"))
    def get(self, query):
        """Open and recently fixed reports in a box: clusters, and the reports alone in their cell"""
        started = time.perf_counter()
        grid = grid_for(query["box"], query["zoom"])
        category_id = category_id_of(query.get("category"))
        # This worker's snapshot when it has one (services.map_index); SQL until then.
        snapshot = map_index.current()
        asked = {"now": utcnow(), "status": query["status"], "category_id": category_id}
        if snapshot is not None:
            found = map_index.reports_in(snapshot, query["box"], grid, **asked)
        else:
            found = map_query.reports_in(query["box"], grid, **asked)
        took = (time.perf_counter() - started) * 1000
        how = "index" if snapshot is not None else "sql"
        return ({"clusters": found.clusters, "reports": found.reports, "total": found.total, "zoom": found.zoom},
                {"Server-Timing": f'map;dur={took:.1f};desc="{how}"', "Cache-Control": "public, max-age=15"})
