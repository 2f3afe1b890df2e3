"""Check-ins and the public airdrop schedule."""

from __future__ import annotations

from marshmallow import fields

from core.schemas import MAX_ID, Float, Integer, Range, StrictSchema
from merchant.schemas import TermsOut, i18n


class CheckinIn(StrictSchema):
    lat = Float(required=True, validate=Range(-90, 90))
    lon = Float(required=True, validate=Range(-180, 180))
    accuracy_m = Float(required=True, validate=Range(0, 100_000, min_inclusive=False))


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
    title_i18n = i18n("title")
    merchant_name = fields.String()
    merchant_name_i18n = i18n("merchant_name")
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


class OfferOut(TermsOut):
    """A live campaign as residents and public screens see it."""

    ends_at = fields.AwareDateTime()
    remaining = Integer()
    tags = fields.List(fields.String())
    fence_ids = fields.List(Integer())
    airdrops = fields.List(fields.Dict(), metadata={"description": "upcoming airdrop periods: start, end"})


class ScheduleQuery(StrictSchema):
    # Query strings are text: these are parsed from digits, and "2.5" is still refused.
    fence_id = fields.Integer(validate=Range(1, MAX_ID))
    days = fields.Integer(load_default=7, validate=Range(1, 31))


class HereOut(StrictSchema):
    fence_id = Integer()
    fence_name = fields.String()
    until = fields.AwareDateTime(metadata={"description": "the scan counts until then (15 minutes)"})


class PresenceCheckinOut(CheckinOut):
    present = fields.Nested(HereOut, metadata={"description": "the fence whose screen code was scanned"})
