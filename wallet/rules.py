"""Pure wallet rules: which shelf a coupon sits on, and what each shelf is called.

`on_shelf` is written with `==`, `>`, `&` and `|` only, so the same definition answers for plain
values (a bool) and for columns (a SQL condition): wallet.queries builds its WHERE clauses from
it, and `shelf` names the shelf of a coupon already read.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

USABLE, USED, EXPIRED = "usable", "used", "expired"
SHELVES = (USABLE, USED, EXPIRED)
SHELF_LABELS = {USABLE: _l("Ready to use"), USED: _l("Used"), EXPIRED: _l("Expired")}


def on_shelf(name: str, *, status, expires_at, now):
    """usable (not redeemed, not voided, still in date), used (redeemed) or expired (out of date,
    or voided when its campaign ended). For values a bool; for columns a SQL condition."""
    if name == USABLE:
        return (status == "usable") & (expires_at > now)
    if name == USED:
        return status == "redeemed"
    if name == EXPIRED:
        return (status == "voided") | ((status == "usable") & (expires_at <= now))
    raise ValueError(f"no shelf {name!r}")


def shelf(*, status: str, expires_at: datetime, now: datetime) -> str:
    """The shelf a coupon sits on (every coupon sits on exactly one)."""
    return next((name for name in SHELVES if on_shelf(name, status=status, expires_at=expires_at, now=now)),
                EXPIRED)
