"""Geofences as admins send them and as everyone reads them."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.schemas import Boolean, Float, Integer, StrictSchema
from geofence.index import BadPolygon, check_polygon
from geofence.models import FenceKind


class FenceIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.Enum(FenceKind, by_value=True, required=True)
    center_lat = Float(validate=validate.Range(-90, 90))
    center_lon = Float(validate=validate.Range(-180, 180))
    radius_m = Float(validate=validate.Range(1, 50_000))
    polygon = fields.Dict(metadata={"description": "GeoJSON Polygon or MultiPolygon (lon, lat)"})

    @validates_schema
    def _shape(self, data, **kwargs):
        if data["kind"] is FenceKind.CIRCLE:
            for key in ("center_lat", "center_lon", "radius_m"):
                if key not in data:
                    raise ValidationError("Required for a circle.", key)
            if "polygon" in data:
                raise ValidationError("Only for polygons.", "polygon")
        else:
            if "polygon" not in data:
                raise ValidationError("Required for a polygon.", "polygon")
            try:
                check_polygon(data["polygon"])
            except BadPolygon as exc:
                raise ValidationError(str(exc), "polygon") from exc


class FencePatch(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    active = Boolean()
    radius_m = Float(validate=validate.Range(1, 50_000))


class FenceOut(StrictSchema):
    id = Integer()
    name = fields.String()
    kind = fields.Enum(FenceKind, by_value=True)
    center_lat = fields.Float()
    center_lon = fields.Float()
    radius_m = fields.Float(allow_none=True)
    polygon = fields.Dict(allow_none=True)
    active = fields.Boolean()
