"""Geofences as admins send them and as everyone reads them."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, pre_load, validates_schema

from core.forms import blank, given, number
from core.schemas import Boolean, Float, Integer, Length, Range, StrictSchema
from geofence.index import BadPolygon, check_polygon
from geofence.models import FenceKind

NOT_GEOJSON = _l("This is not valid GeoJSON.")
_POLYGON_SENTENCES = {
    "type": _l("Please paste a GeoJSON Polygon or MultiPolygon."),
    "json": NOT_GEOJSON,
    "shape": _l("The polygon is empty or crosses itself."),
    "range": _l("Give each point as longitude, latitude within range."),
}


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
            try:
                check_polygon(data["polygon"])
            except BadPolygon as exc:
                raise ValidationError(_POLYGON_SENTENCES.get(exc.reason, NOT_GEOJSON), "polygon") from exc


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
            try:
                data["polygon"] = json.loads(form["polygon"])
            except ValueError:
                data["polygon"] = form["polygon"]
        return data


class FencePatch(StrictSchema):
    name = fields.String(validate=Length(min=1, max=120))
    active = Boolean()
    radius_m = Float(validate=Range(1, 50_000))


class FenceOut(StrictSchema):
    id = Integer()
    name = fields.String()
    kind = fields.Enum(FenceKind, by_value=True)
    center_lat = fields.Float()
    center_lon = fields.Float()
    radius_m = fields.Float(allow_none=True)
    polygon = fields.Dict(allow_none=True)
    active = fields.Boolean()
