"""Printed coupons for residents without a smartphone: a one-time code the till redeems like a
scanned one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.db import db, upsert
from core.problems import NotFound
from merchant import tokens
from merchant.models import CouponStatus, PrintedCode, WalletCoupon


@dataclass(frozen=True)
class Printed:
    coupon_id: int
    digits: str
    payload: str


def print_code(*, coupon_id: int, resident_id: int, staff_id: int, now: datetime, key: bytes) -> Printed:
    """A new one-time code for a usable coupon of this resident; any earlier slip stops working."""
    usable = db.session.scalar(select(WalletCoupon.id).where(
        WalletCoupon.id == coupon_id, WalletCoupon.resident_id == resident_id,
        WalletCoupon.status == CouponStatus.USABLE, WalletCoupon.expires_at > now))
    if usable is None:
        raise NotFound("This resident has no usable coupon with this number.")
    digits = tokens.new_printed_code()
    values = {"coupon_id": coupon_id, "code_hash": tokens.printed_code_hash(digits, key), "printed_by": staff_id,
              "printed_at": now, "used_at": None}
    db.session.execute(upsert(PrintedCode).values(values).on_conflict_do_update(
        index_elements=["coupon_id"], set_={k: v for k, v in values.items() if k != "coupon_id"}))
    return Printed(coupon_id, digits, tokens.printed_qr_payload(digits))
