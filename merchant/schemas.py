from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from core.db import utcnow
from core.schemas import Float, Id, Integer, StrictSchema
from merchant.models import DiscountKind, EndPolicy
from merchant.rules import DISPLAY_STATUSES, BadWindow, display_status, parse_windows

TAG = fields.String(validate=[validate.Length(min=1, max=30), validate.Regexp(r"^[\w-]+$")])
MAX_INVENTORY = 1_000_000


class WindowSchema(StrictSchema):
    days = fields.List(Integer(validate=validate.Range(0, 6)), required=True, validate=validate.Length(min=1, max=7))
    start = fields.String(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"))
    end = fields.String(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"))


class _CampaignFields(StrictSchema):
    title = fields.String(validate=validate.Length(min=1, max=120))
    description = fields.String(validate=validate.Length(max=2000))
    airdrop_windows = fields.List(fields.Nested(WindowSchema), validate=validate.Length(max=14))
    target_fence_ids = fields.List(Id(), validate=validate.Length(max=50))
    tags = fields.List(TAG, validate=validate.Length(max=10))
    ends_at = fields.AwareDateTime()

    @validates("airdrop_windows")
    def _windows(self, value, **kwargs):
        try:
            parse_windows(value)
        except BadWindow as exc:
            raise ValidationError(str(exc)) from exc


class CampaignIn(_CampaignFields):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    discount_kind = fields.Enum(DiscountKind, by_value=True, required=True)
    amount_off_cents = Integer(validate=validate.Range(1, 1_000_000))
    percent_off = Integer(validate=validate.Range(1, 99))
    percent_cap_cents = Integer(validate=validate.Range(1, 1_000_000))
    min_spend_cents = Integer(load_default=0, validate=validate.Range(0, 100_000_000))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    coupon_valid_s = Integer(load_default=7 * 24 * 3600, validate=validate.Range(600, 366 * 24 * 3600))
    inventory_total = Integer(required=True, validate=validate.Range(1, MAX_INVENTORY))
    per_resident_limit = Integer(load_default=1, validate=validate.Range(1, 100))

    @validates_schema
    def _terms(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("Must be after starts_at.", "ends_at")
        if data["discount_kind"] is DiscountKind.AMOUNT:
            if "amount_off_cents" not in data:
                raise ValidationError("Required for a fixed-amount discount.", "amount_off_cents")
            if "percent_off" in data or "percent_cap_cents" in data:
                raise ValidationError("Only for percentage discounts.", "percent_off")
        else:
            if "percent_off" not in data:
                raise ValidationError("Required for a percentage discount.", "percent_off")
            if "amount_off_cents" in data:
                raise ValidationError("Only for fixed-amount discounts.", "amount_off_cents")


class CampaignPatch(_CampaignFields):
    """What can change after publishing; the terms residents collected under cannot."""


class TransitionIn(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(["publish", "pause", "resume", "end"]))
    end_policy = fields.Enum(EndPolicy, by_value=True, metadata={"description": "Required to end a campaign"})


class InventoryIn(StrictSchema):
    inventory_total = Integer(required=True, validate=validate.Range(1, MAX_INVENTORY))


class CampaignOut(StrictSchema):
    id = Integer()
    merchant_id = Integer()
    title = fields.String()
    description = fields.String()
    discount_kind = fields.Enum(DiscountKind, by_value=True)
    amount_off_cents = Integer(allow_none=True)
    percent_off = Integer(allow_none=True)
    percent_cap_cents = Integer(allow_none=True)
    min_spend_cents = Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    coupon_valid_s = Integer()
    inventory_total = Integer()
    remaining = Integer()
    collected = Integer()
    per_resident_limit = Integer()
    status = fields.Function(lambda c: display_status(c.status.value, c.starts_at, c.ends_at, utcnow()),
                             metadata={"description": "draft, scheduled, live, paused or ended"})
    end_policy = fields.Enum(EndPolicy, by_value=True, allow_none=True)
    airdrop_windows = fields.List(fields.Nested(WindowSchema))
    target_fence_ids = fields.List(Integer())
    tags = fields.List(fields.String())


class TermsOut(StrictSchema):
    """A campaign's terms and its shop, as residents see them (offers and wallet coupons)."""

    campaign_id = Integer()
    title = fields.String()
    description = fields.String()
    merchant_id = Integer()
    merchant_name = fields.String()
    merchant_address = fields.String()
    merchant_lat = fields.Float()
    merchant_lon = fields.Float()
    discount_kind = fields.String()
    amount_off_cents = Integer(allow_none=True)
    percent_off = Integer(allow_none=True)
    percent_cap_cents = Integer(allow_none=True)
    min_spend_cents = Integer()


class MerchantOut(StrictSchema):
    id = Integer()
    name = fields.String()
    address = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    opening_hours = fields.String()
    tags = fields.List(fields.String())


class MerchantPatch(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    address = fields.String(validate=validate.Length(min=1, max=255))
    lat = Float(validate=validate.Range(-90, 90))
    lon = Float(validate=validate.Range(-180, 180))
    opening_hours = fields.String(validate=validate.Length(max=255))
    tags = fields.List(TAG, validate=validate.Length(max=10))

    @validates_schema
    def _both_coordinates(self, data, **kwargs):
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("Give lat and lon together.", "lat")


class StatusQuery(StrictSchema):
    status = fields.String(validate=validate.OneOf(DISPLAY_STATUSES))
