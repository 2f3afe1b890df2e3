"""Reading the wallet: coupons with their campaign and shop, on one shelf at a time.

Plain column rows, not ORM entities: the wallet is the page residents open most, and hydrating
three entities per coupon cost more than the query itself.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, select

from core.db import db
from core.identity.models import Merchant
from core.pagination import Counted
from core.problems import NotFound
from geofence.models import Fence
from merchant.models import Campaign, EntryKind, LedgerEntry, WalletCoupon
from merchant.rules import display_status
from merchant.texts import given_texts
from wallet.rules import USABLE, on_shelf
from wallet.rules import shelf as shelf_of


@cache
def _columns():
    """Built once per process: constructing a 24-column join cost more than running it."""
    fence = Fence.__table__
    return select(
        WalletCoupon.id, WalletCoupon.campaign_id, WalletCoupon.collected_at, WalletCoupon.expires_at,
        WalletCoupon.redeemed_at, WalletCoupon.status,
        Campaign.title, Campaign.description, Campaign.discount_kind, Campaign.amount_off_cents,
        Campaign.percent_off, Campaign.percent_cap_cents, Campaign.min_spend_cents,
        Campaign.status.label("campaign_status"), Campaign.starts_at, Campaign.ends_at, Campaign.end_policy,
        Merchant.id.label("merchant_id"), Merchant.name.label("merchant_name"),
        Merchant.address.label("merchant_address"), Merchant.lat.label("merchant_lat"),
        Merchant.lon.label("merchant_lon"), Merchant.opening_hours, fence.c.name.label("fence_name"),
        Campaign.translations.label("campaign_translations"), Merchant.translations.label("merchant_translations"),
    ).join(Campaign, Campaign.id == WalletCoupon.campaign_id).join(
        Merchant, Merchant.id == WalletCoupon.merchant_id).outerjoin(fence, fence.c.id == WalletCoupon.fence_id)


def _now():
    return bindparam("now", type_=WalletCoupon.expires_at.type)


def _on_shelf(name: str):
    """wallet.rules.on_shelf over the columns: the SQL twin is the same definition."""
    return on_shelf(name, status=WalletCoupon.status, expires_at=WalletCoupon.expires_at, now=_now())


def _shelf_filter(shelf: str):
    return (WalletCoupon.resident_id == bindparam("resident")) & _on_shelf(shelf)


ORDER = {"usable": (WalletCoupon.expires_at, WalletCoupon.id), "used": (WalletCoupon.redeemed_at.desc(),),
         "expired": (WalletCoupon.expires_at.desc(),)}


@cache
def _shelf_query(shelf: str):
    # The shelf's size rides along as a window: a page and its total in one round trip.
    return (_columns().add_columns(func.count().over().label("total")).where(_shelf_filter(shelf))
            .order_by(*ORDER[shelf]).limit(bindparam("limit")).offset(bindparam("offset")))


@cache
def _shelf_count(shelf: str):
    return select(func.count(WalletCoupon.id)).where(_shelf_filter(shelf))


def shelf_query(resident_id: int, name: str, now: datetime) -> Counted:
    """One shelf of a resident's wallet, paged by RowPage (statements are built once per shelf)."""
    return Counted(_shelf_query(name), _shelf_count(name), {"resident": resident_id, "now": now})


def shelf_page(query: Counted, *, limit: int, offset: int) -> tuple[list, int]:
    """(rows, total) of one page of a shelf: one statement, and a count only for a page past the end
    (whose empty answer says nothing of the total)."""
    rows = db.session.execute(query.rows, {**query.params, "limit": limit, "offset": offset}).all()
    if rows:
        return rows, rows[0].total
    return rows, (db.session.scalar(query.count, query.params) if offset else 0)


# A row's text columns and where each one's translations are: (column label, translations, field).
TEXTS = (("title", "campaign_translations", "title"), ("description", "campaign_translations", "description"),
         ("merchant_name", "merchant_translations", "name"), ("merchant_address", "merchant_translations", "address"),
         ("opening_hours", "merchant_translations", "opening_hours"))


def coupon_view(row, now: datetime) -> dict:
    view = row._asdict()
    view.pop("total", None)  # the shelf's size, beside each row of a page
    # Every text with `<label>_i18n` beside it: the page picks the reader's language (tr), the API
    # hands both on.
    translations = {"campaign_translations": view.pop("campaign_translations") or {},
                    "merchant_translations": view.pop("merchant_translations") or {}}
    for label, source, field in TEXTS:
        view[f"{label}_i18n"] = given_texts(view[label], translations[source].get(field))
    ended = display_status(view.pop("campaign_status").value, view.pop("starts_at"), view.pop("ends_at"),
                           now) == "ended"
    policy = view.pop("end_policy")
    view.update(
        status=row.status.value, discount_kind=row.discount_kind.value, campaign_ended=ended,
        shelf=shelf_of(status=row.status.value, expires_at=row.expires_at, now=now),
        end_policy=policy.value if policy else ("honour" if ended else None))
    return view


def my_coupon(resident_id: int, coupon_id: int, now: datetime) -> dict:
    row = db.session.execute(_columns().where(WalletCoupon.id == coupon_id,
                                              WalletCoupon.resident_id == resident_id)).first()
    if row is None:
        raise NotFound("No such coupon in your wallet.")
    return coupon_view(row, now)


def saved_cents(coupon_id: int) -> int | None:
    """What the coupon's latest redemption took off the bill (its page says so once used)."""
    return db.session.scalar(select(LedgerEntry.discount_cents).where(
        LedgerEntry.coupon_id == coupon_id, LedgerEntry.kind == EntryKind.REDEEMED)
        .order_by(LedgerEntry.id.desc()).limit(1))


def coupon_key(resident_id: int, coupon_id: int, now: datetime) -> tuple[str, datetime]:
    """Only for a coupon that can still be used: a used or expired one has nothing to show."""
    row = db.session.execute(select(WalletCoupon.totp_secret, WalletCoupon.expires_at).where(
        WalletCoupon.id == coupon_id, WalletCoupon.resident_id == resident_id, _on_shelf(USABLE)),
        {"now": now}).first()
    if row is None:
        raise NotFound("No usable coupon with this id in your wallet.")
    return row.totp_secret, row.expires_at


def usable_ids(resident_id: int, now: datetime, *, limit: int) -> list[int]:
    """The ids of a resident's usable coupons, soonest to expire first: what her phone keeps for
    offline use (wallet.views), beyond the page of the shelf it shows."""
    query = (select(WalletCoupon.id).where(_shelf_filter(USABLE)).order_by(*ORDER[USABLE]).limit(limit))
    return list(db.session.scalars(query, {"resident": resident_id, "now": now}))
