"""The resident's wallet pages: shelves of coupons, a coupon's details, the airdrop on open."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user

from core.db import db, utcnow
from core.identity.access import roles_required
from core.identity.models import Role
from core.web import offline_account
from merchant.feed import coupon_channel, sse_response
from wallet.queries import coupon_view, my_coupon, saved_cents, shelf_page, shelf_query, usable_ids
from wallet.rules import SHELF_LABELS, SHELVES

web = Blueprint("wallet_pages", __name__)
PAGE_SIZE = 30
KEEPALIVE_S = 15
MAX_PAGE = 10_000  # far beyond any wallet; keeps the offset within what the engines accept
OFFLINE_MAX = 200  # usable coupons a phone keeps for offline use: weeks of the daily airdrop budget


def _shelf(name: str, page: int = 1) -> tuple[list[dict], int]:
    now = utcnow()
    rows, total = shelf_page(shelf_query(current_user.id, name, now), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return [coupon_view(row, now) for row in rows], total


def _offline(now) -> dict:
    """What the wallet page hands to the phone for offline use (static/js/wallet.js): every usable
    coupon's page and key, whatever shelf or page it shows, and the usable list itself."""
    ids = usable_ids(current_user.id, now, limit=OFFLINE_MAX)
    return {"account": offline_account(), "list": url_for("wallet_pages.wallet"),
            "coupons": {str(i): {"page": url_for("wallet_pages.coupon", coupon_id=i),
                                 "key": url_for("wallet.CouponKey", coupon_id=i)} for i in ids}}


@web.app_context_processor
def wallet_labels():
    return {"shelf_labels": SHELF_LABELS}


@web.get("/wallet")
@roles_required(Role.RESIDENT)
def wallet():
    shelf = request.args.get("shelf", "usable")
    if shelf not in SHELVES:
        shelf = "usable"
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    coupons, total = _shelf(shelf, page)
    counts = {name: (total if name == shelf else _shelf(name)[1]) for name in SHELVES}
    now = utcnow()
    return render_template("wallet/wallet.html", coupons=coupons, shelf=shelf, counts=counts, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), built_at=now,
                           offline=_offline(now))


@web.get("/wallet/_usable")
@roles_required(Role.RESIDENT)
def usable_fragment():
    """The usable shelf alone, for the page to refresh itself after an airdrop."""
    coupons, _ = _shelf("usable")
    return render_template("wallet/_coupons.html", coupons=coupons, shelf="usable", offline=_offline(utcnow()))


@web.get("/wallet/coupons/<id:coupon_id>")
@roles_required(Role.RESIDENT)
def coupon(coupon_id: int):
    now = utcnow()
    view = my_coupon(current_user.id, coupon_id, now)
    saved = saved_cents(coupon_id) if view["shelf"] == "used" else None
    return render_template("wallet/coupon.html", coupon=view, saved_cents=saved, built_at=now,
                           account=offline_account())


@web.get("/wallet/coupons/<id:coupon_id>/live")
@roles_required(Role.RESIDENT)
def coupon_live(coupon_id: int):
    """Server-Sent Events: this coupon used at the till, or given back by a void. Its owner only."""
    my_coupon(current_user.id, coupon_id, utcnow())  # someone else's coupon: 404
    subscription = current_app.extensions["linli_feed"].subscribe(coupon_channel(coupon_id))
    db.session.remove()  # the page may stay open for long: no database connection meanwhile
    return sse_response(subscription, "coupon", KEEPALIVE_S)
