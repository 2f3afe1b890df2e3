from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.schemas import MAX_ID, Boolean, Float, Integer, StrictSchema
from geofence.index import BadPolygon, check_polygon
from geofence.models import FenceKind
from merchant.schemas import TermsOut


class CheckinIn(StrictSchema):
    lat = Float(required=True, validate=validate.Range(-90, 90))
    lon = Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = Float(required=True, validate=validate.Range(0, 100_000, min_inclusive=False))


class ReasonOut(StrictSchema):
    code = fields.String()
    tags = fields.List(fields.String())
    metres = Integer()
    cents = Integer()
    hours = Integer()


class DroppedOut(StrictSchema):
    coupon_id = Integer()
    campaign_id = Integer()
    title = fields.String()
    merchant_name = fields.String()
    fence_id = Integer()
    expires_at = fields.AwareDateTime()
    score = fields.Float()
    reasons = fields.List(fields.Nested(ReasonOut))


class CheckinOut(StrictSchema):
    outcome = fields.String(metadata={"description": "dropped, outside, poor_accuracy, impossible_movement, "
                                                     "no_live_campaign, window_closed, budget_used, nothing_new"})
    message = fields.String()
    fences = fields.List(fields.Dict())
    dropped = fields.List(fields.Nested(DroppedOut))
    next_window_at = fields.AwareDateTime(allow_none=True)


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


class OfferOut(TermsOut):
    """A live campaign as residents and public screens see it."""

    ends_at = fields.AwareDateTime()
    remaining = Integer()
    tags = fields.List(fields.String())
    fence_ids = fields.List(Integer())
    airdrops = fields.List(fields.Dict(), metadata={"description": "upcoming airdrop periods: start, end"})


class ScheduleQuery(StrictSchema):
    # Query strings are text: these are parsed from digits, and "2.5" is still refused.
    fence_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    days = fields.Integer(load_default=7, validate=validate.Range(1, 31))
