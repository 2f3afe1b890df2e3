"""Geofences as admins send them and as everyone reads them."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, pre_load, validates_schema

from core.forms import blank, given, number, whole
from core.schemas import MAX_ID, Boolean, Float, Integer, Length, Range, StrictSchema
from geofence.index import BadPolygon, check_polygon
from geofence.models import FenceKind

NOT_GEOJSON = _l("This is not valid GeoJSON.")
_POLYGON_SENTENCES = {
    "type": _l("Please paste a GeoJSON Polygon or MultiPolygon."),
    "json": NOT_GEOJSON,
    "shape": _l("The polygon is empty or crosses itself."),
    "range": _l("Give each point as longitude, latitude within range."),
    "vertices": _l("A fence has at most 500 corners: please simplify it."),
    "large": _l("A fence is at most 50 km across: please draw a smaller one."),
    "small": _l("This polygon is too small: please draw a larger one."),
}


def _checked_polygon(polygon) -> None:
    try:
        check_polygon(polygon)
    except BadPolygon as exc:
        raise ValidationError(_POLYGON_SENTENCES.get(exc.reason, NOT_GEOJSON), "polygon") from exc


class FenceIn(StrictSchema):
    name = fields.String(required=True, validate=Length(min=1, max=120))
    kind = fields.Enum(FenceKind, by_value=True, required=True)
    center_lat = Float(validate=Range(-90, 90))
    center_lon = Float(validate=Range(-180, 180))
    radius_m = Float(validate=Range(1, 50_000))
    polygon = fields.Dict(metadata={"description": "GeoJSON Polygon or MultiPolygon (lon, lat)"})

    @validates_schema
    def _shape(self, data, **kwargs):
        if data["kind"] is FenceKind.CIRCLE:
            for key in ("center_lat", "center_lon", "radius_m"):
                if key not in data:
                    raise ValidationError(_l("Please fill this in for a circle."), key)
            if "polygon" in data:
                raise ValidationError(_l("Leave this empty for a circle."), "polygon")
        else:
            if "polygon" not in data:
                raise ValidationError(_l("Please paste the polygon's GeoJSON."), "polygon")
            _checked_polygon(data["polygon"])


class FenceForm(FenceIn):
    """The admins' geofence page: FenceIn from a browser's form (numbers as typed, GeoJSON as text)."""

    polygon = fields.Dict(error_messages={"invalid": NOT_GEOJSON})

    @pre_load
    def _from_form(self, form, **kwargs):
        kind = form.get("kind") or "circle"
        data = given(name=(form.get("name") or "").strip(), kind=kind)
        if kind == "circle":
            data.update(given(**{key: number(form.get(key)) for key in ("center_lat", "center_lon", "radius_m")}))
        elif not blank(form.get("polygon")):
            data["polygon"] = _form_polygon(form["polygon"])
        return data


class FencePatch(StrictSchema):
    """Any of these; a shape keeps its kind (a circle moves or resizes, a polygon is redrawn)."""

    name = fields.String(validate=Length(min=1, max=120))
    active = Boolean()
    center_lat = Float(validate=Range(-90, 90), metadata={"description": "circle: with center_lon"})
    center_lon = Float(validate=Range(-180, 180), metadata={"description": "circle: with center_lat"})
    radius_m = Float(validate=Range(1, 50_000), metadata={"description": "circle"})
    polygon = fields.Dict(metadata={"description": "polygon: GeoJSON Polygon or MultiPolygon (lon, lat)"})
    version = Integer(validate=Range(1, MAX_ID), metadata={
        "description": "the version this edit was decided on; if the fence has changed since, the answer "
                       "is 409 fence-conflict with the fence as it is now"})

    @validates_schema
    def _shape(self, data, **kwargs):
        for one, other in (("center_lat", "center_lon"), ("center_lon", "center_lat")):
            if one in data and other not in data:
                raise ValidationError(_l("Please give both latitude and longitude."), other)
        if "polygon" in data:
            _checked_polygon(data["polygon"])


class FenceEditForm(FencePatch):
    """The page of one fence: FencePatch from a browser's form (only the fence's kind is read)."""

    polygon = fields.Dict(error_messages={"invalid": NOT_GEOJSON})

    def __init__(self, kind: FenceKind = FenceKind.CIRCLE, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind

    @pre_load
    def _from_form(self, form, **kwargs):
        # Every input of the shape is required here (None is refused as "fill this in").
        data = given(name=(form.get("name") or "").strip(), version=whole(form.get("version")))
        if self.kind is FenceKind.CIRCLE:
            data.update({key: number(form.get(key)) for key in ("center_lat", "center_lon", "radius_m")})
        else:
            data["polygon"] = _form_polygon(form.get("polygon"))
        return data


def _form_polygon(raw: str | None):
    if blank(raw):
        return None  # refused as "fill this in"
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class FenceOut(StrictSchema):
    id = Integer()
    name = fields.String()
    kind = fields.Enum(FenceKind, by_value=True)
    center_lat = fields.Float()
    center_lon = fields.Float()
    radius_m = fields.Float(allow_none=True)
    polygon = fields.Dict(allow_none=True)
    active = fields.Boolean()
    version = fields.Integer(metadata={"description": "send it back with an edit (PATCH) or a DELETE"})
