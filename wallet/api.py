"""/api/wallet: the resident's coupons, shelf by shelf."""

from __future__ import annotations

from flask.views import MethodView
from flask_login import current_user

from core.db import utcnow
from core.extensions import Blueprint
from core.identity.access import roles_required
from core.identity.models import Role
from core.pagination import MAX_OFFSET, RowPage
from merchant import tokens
from wallet.queries import coupon_key, coupon_view, my_coupon, shelf_page, shelf_query
from wallet.schemas import CouponKeyOut, CouponOut, WalletQuery

blp = Blueprint("wallet", __name__, url_prefix="/api/wallet", description="The resident's card wallet")


class CouponPage(RowPage):
    """A page and the shelf's size from one statement (wallet.queries.shelf_page): flask-smorest
    asks for the count first, which runs the page's query and keeps its rows for `items`."""

    @property
    def item_count(self) -> int:
        params = self.page_params
        if params.first_item > MAX_OFFSET:
            self._rows = []
            return RowPage.item_count.fget(self)
        self._rows, total = shelf_page(self.collection, limit=params.page_size, offset=params.first_item)
        return total

    @property
    def items(self) -> list:
        now = utcnow()
        return [coupon_view(row, now) for row in self._rows]


@blp.route("/coupons")
class Coupons(MethodView):
    @roles_required(Role.RESIDENT)
    @blp.arguments(WalletQuery(), location="query")
    @blp.response(200, CouponOut(many=True))
    @blp.paginate(CouponPage)
    def get(self, query):
        """My coupons on one shelf: usable (soonest expiry first), used, or expired"""
        return shelf_query(current_user.id, query["shelf"], utcnow())


@blp.route("/coupons/<id:coupon_id>")
class Coupon(MethodView):
    @roles_required(Role.RESIDENT)
    @blp.response(200, CouponOut)
    def get(self, coupon_id):
        """One of my coupons"""
        return my_coupon(current_user.id, coupon_id, utcnow())


@blp.route("/coupons/<id:coupon_id>/key")
class CouponKey(MethodView):
    @roles_required(Role.RESIDENT)
    @blp.response(200, CouponKeyOut, headers={"Cache-Control": {"description": "no-store",
                                                                "schema": {"type": "string"}}})
    def get(self, coupon_id):
        """The coupon's code secret, for this device to draw its rotating QR code offline"""
        secret, expires_at = coupon_key(current_user.id, coupon_id, utcnow())
        return ({"coupon_id": coupon_id, "secret": secret, "algorithm": "SHA1", "digits": tokens.DIGITS,
                 "period": tokens.STEP_S, "expires_at": expires_at}, 200, {"Cache-Control": "no-store"})
