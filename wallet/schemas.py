from __future__ import annotations

from marshmallow import fields

from core.schemas import Integer, OneOf, StrictSchema
from merchant.schemas import TermsOut, i18n
from wallet.rules import SHELVES


class WalletQuery(StrictSchema):
    shelf = fields.String(load_default="usable", validate=OneOf(SHELVES))


class CouponOut(TermsOut):
    id = Integer()
    opening_hours = fields.String()
    opening_hours_i18n = i18n("opening_hours")
    collected_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    redeemed_at = fields.AwareDateTime(allow_none=True)
    status = fields.String()
    shelf = fields.String(metadata={"description": "usable, used or expired"})
    campaign_ended = fields.Boolean()
    end_policy = fields.String(allow_none=True, metadata={"description": "honour or void, once the campaign ended"})
    fence_name = fields.String(allow_none=True)


class CouponKeyOut(StrictSchema):
    coupon_id = Integer()
    secret = fields.String(metadata={"description": "Base32 TOTP secret (RFC 6238): keep it on this device only"})
    algorithm = fields.String(metadata={"example": "SHA1"})
    digits = Integer(metadata={"example": 6})
    period = Integer(metadata={"description": "Seconds per code", "example": 30})
    expires_at = fields.AwareDateTime()
