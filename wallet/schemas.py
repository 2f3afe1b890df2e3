from __future__ import annotations

from marshmallow import fields, validate

from core.schemas import Integer, StrictSchema


class WalletQuery(StrictSchema):
    shelf = fields.String(load_default="usable", validate=validate.OneOf(["usable", "used", "expired"]))


class CouponOut(StrictSchema):
    id = Integer()
    campaign_id = Integer()
    title = fields.String()
    description = fields.String()
    merchant_id = Integer()
    merchant_name = fields.String()
    merchant_address = fields.String()
    merchant_lat = fields.Float()
    merchant_lon = fields.Float()
    opening_hours = fields.String()
    discount_kind = fields.String()
    amount_off_cents = Integer(allow_none=True)
    percent_off = Integer(allow_none=True)
    percent_cap_cents = Integer(allow_none=True)
    min_spend_cents = Integer()
    collected_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    redeemed_at = fields.AwareDateTime(allow_none=True)
    status = fields.String()
    shelf = fields.String(metadata={"description": "usable, used or expired"})
    campaign_ended = fields.Boolean()
    end_policy = fields.String(allow_none=True, metadata={"description": "honour or void, once the campaign ended"})
    fence_name = fields.String(allow_none=True)
