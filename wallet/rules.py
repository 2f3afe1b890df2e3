"""Pure wallet rules: which shelf a coupon sits on."""

from __future__ import annotations

from datetime import datetime

USABLE, USED, EXPIRED = "usable", "used", "expired"


def shelf(*, status: str, expires_at: datetime, now: datetime) -> str:
    """usable, used (redeemed) or expired (out of date, or voided when its campaign ended)."""
    if status == "redeemed":
        return USED
    if status == "voided" or now >= expires_at:
        return EXPIRED
    return USABLE
