"""Reading the wallet: coupons with their campaign and shop, on one shelf at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from core.db import db
from core.problems import NotFound
from merchant.models import Campaign, Merchant
from merchant.rules import display_status
from wallet.models import CouponStatus, WalletCoupon
from wallet.rules import shelf as shelf_of

FENCE = "fence"


def wallet_select(resident_id: int, shelf: str, now: datetime):
    fence = db.metadata.tables[FENCE]  # geofence/ owns it and depends on us
    stmt = (select(WalletCoupon, Campaign, Merchant, fence.c.name)
            .join(Campaign, Campaign.id == WalletCoupon.campaign_id)
            .join(Merchant, Merchant.id == WalletCoupon.merchant_id)
            .outerjoin(fence, fence.c.id == WalletCoupon.fence_id)
            .where(WalletCoupon.resident_id == resident_id))
    if shelf == "usable":
        stmt = stmt.where(WalletCoupon.status == CouponStatus.USABLE, WalletCoupon.expires_at > now)
        return stmt.order_by(WalletCoupon.expires_at, WalletCoupon.id)
    if shelf == "used":
        return stmt.where(WalletCoupon.status == CouponStatus.REDEEMED).order_by(WalletCoupon.redeemed_at.desc())
    return (stmt.where(or_(WalletCoupon.status == CouponStatus.VOIDED,
                           (WalletCoupon.status == CouponStatus.USABLE) & (WalletCoupon.expires_at <= now)))
            .order_by(WalletCoupon.expires_at.desc()))


def coupon_view(coupon: WalletCoupon, campaign: Campaign, merchant: Merchant, fence_name: str | None,
                now: datetime) -> dict:
    ended = display_status(campaign.status.value, campaign.starts_at, campaign.ends_at, now) == "ended"
    return {
        "id": coupon.id, "campaign_id": campaign.id, "title": campaign.title, "description": campaign.description,
        "merchant_id": merchant.id, "merchant_name": merchant.name, "merchant_address": merchant.address,
        "merchant_lat": merchant.lat, "merchant_lon": merchant.lon, "opening_hours": merchant.opening_hours,
        "discount_kind": campaign.discount_kind.value, "amount_off_cents": campaign.amount_off_cents,
        "percent_off": campaign.percent_off, "percent_cap_cents": campaign.percent_cap_cents,
        "min_spend_cents": campaign.min_spend_cents, "collected_at": coupon.collected_at,
        "expires_at": coupon.expires_at, "redeemed_at": coupon.redeemed_at, "status": coupon.status.value,
        "shelf": shelf_of(status=coupon.status.value, expires_at=coupon.expires_at, now=now),
        "campaign_ended": ended,
        "end_policy": campaign.end_policy.value if campaign.end_policy else ("honour" if ended else None),
        "fence_name": fence_name,
    }


def my_coupon(resident_id: int, coupon_id: int, now: datetime) -> dict:
    fence = db.metadata.tables[FENCE]
    row = db.session.execute(
        select(WalletCoupon, Campaign, Merchant, fence.c.name)
        .join(Campaign, Campaign.id == WalletCoupon.campaign_id)
        .join(Merchant, Merchant.id == WalletCoupon.merchant_id)
        .outerjoin(fence, fence.c.id == WalletCoupon.fence_id)
        .where(WalletCoupon.id == coupon_id, WalletCoupon.resident_id == resident_id)).first()
    if row is None:
        raise NotFound("No such coupon in your wallet.")
    return coupon_view(*row, now)



