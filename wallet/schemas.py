from __future__ import annotations

from marshmallow import fields, validate

from core.schemas import Integer, StrictSchema
from merchant.schemas import TermsOut


class WalletQuery(StrictSchema):
    shelf = fields.String(load_default="usable", validate=validate.OneOf(["usable", "used", "expired"]))


class CouponOut(TermsOut):
    id = Integer()
    opening_hours = fields.String()
    collected_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    redeemed_at = fields.AwareDateTime(allow_none=True)
    status = fields.String()
    shelf = fields.String(metadata={"description": "usable, used or expired"})
    campaign_ended = fields.Boolean()
    end_policy = fields.String(allow_none=True, metadata={"description": "honour or void, once the campaign ended"})
    fence_name = fields.String(allow_none=True)
