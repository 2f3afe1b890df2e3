"""/api/merchant: the till (redeem, void, decode a photo) and the dashboard's figures."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, jsonify, request
from flask.views import MethodView
from flask_login import current_user
from marshmallow import fields

from core import idempotency
from core.config import district_tz
from core.db import utcnow
from core.errors import PROBLEM_JSON
from core.extensions import Blueprint
from core.periods import BadPeriod, PeriodQuery, query_dates
from core.problems import ValidationFailed
from core.ratelimit import rate_limit
from core.schemas import Integer, Length, Money, OneOf, ProblemSchema, StrictSchema
from merchant import redemption, reports, tokens
from merchant.api import merchant_staff
from merchant.photos import NotAnImage, decode
from merchant.schemas import i18n

blp = Blueprint("till", __name__, url_prefix="/api/merchant", description="Redeeming coupons and the dashboard")
MAX_BILL_CENTS = 100_000_000  # ¥1,000,000: no neighbourhood bill is larger
METHODS = ("camera", "photo", "typed", "printed")


class RedeemIn(StrictSchema):
    code = fields.String(required=True, validate=Length(min=1, max=200),
                         metadata={"description": "The scanned QR text, the typed short code or a printed code"})
    bill_cents = Money(required=True, high=MAX_BILL_CENTS)
    method = fields.String(load_default="typed", validate=OneOf(METHODS))


class RedemptionOut(StrictSchema):
    redemption_id = Integer()
    coupon_id = Integer()
    campaign_id = Integer()
    campaign_title = fields.String()
    campaign_title_i18n = i18n("campaign_title")
    bill_cents = Integer()
    discount_cents = Integer()
    to_pay_cents = Integer()
    redeemed_at = fields.AwareDateTime()
    void_until = fields.AwareDateTime()


class RefusalOut(ProblemSchema):
    """problem+json, with why the coupon was not accepted (or any other problem of the till's, such
    as invalid input: this is the only schema documented for those statuses)."""

    reason = fields.String(metadata={"description": "malformed, not_genuine, code_expired, printed_used, "
                                                    "other_merchant, already_redeemed, voided, coupon_expired, "
                                                    "not_started, min_spend, codes_locked"})
    redeemed_at = fields.AwareDateTime(allow_none=True)
    expired_at = fields.AwareDateTime(allow_none=True)
    voided_at = fields.AwareDateTime(allow_none=True, metadata={"description": "a replayed redemption voided since"})
    redemption_id = Integer(allow_none=True)
    min_spend_cents = Integer(allow_none=True)


class VoidOut(StrictSchema):
    void_id = Integer()
    redemption_id = Integer()
    coupon_id = Integer()
    bill_cents = Integer()
    discount_cents = Integer()
    voided_at = fields.AwareDateTime()
    coupon_status = fields.String(metadata={"description": "usable: the coupon is back in the customer's wallet; "
                                                           "voided: it stays cancelled (its campaign has ended "
                                                           "with \"void\")"})


class ScanOut(StrictSchema):
    code = fields.String(metadata={"description": "The text of the first QR code found in the photo"})


class CampaignFiguresOut(StrictSchema):
    campaign_id = Integer()
    title = fields.String()
    title_i18n = i18n("title")
    collected = Integer()
    redeemed = Integer()
    redemption_rate = fields.Float(allow_none=True)
    discount_cents = Integer()
    bill_cents = Integer()


class DailyOut(StrictSchema):
    day = fields.Date()
    collected = Integer()
    redeemed = Integer()


class DashboardOut(StrictSchema):
    first_day = fields.Date()
    last_day = fields.Date()
    collected = Integer()
    redeemed = Integer(metadata={"description": "Redemptions minus voids in the period"})
    redemption_rate = fields.Float(allow_none=True, metadata={"description": "redeemed / collected"})
    discount_cents = Integer()
    bill_cents = Integer(metadata={"description": "Bills the coupons were used on (net of voids)"})
    refused = Integer()
    refusals = fields.Dict(keys=fields.String(), values=Integer())
    campaigns = fields.List(fields.Nested(CampaignFiguresOut))
    daily = fields.List(fields.Nested(DailyOut))
    heatmap = fields.Dict(keys=fields.String(), values=fields.List(fields.List(Integer())),
                          metadata={"description": "collected / redeemed: 7 weekdays (Monday first) x 24 hours"})


def till() -> redemption.Till:
    return redemption.Till(merchant_id=current_user.merchant_id, cashier_id=current_user.id, now=utcnow(),
                           tz=district_tz(), printed_key=tokens.printed_key(current_app.config["SECRET_KEY"]))


# Built once: a schema instance costs more to make than the redemption's own Python.
_REDEMPTION_OUT, _REFUSAL_OUT = RedemptionOut(), RefusalOut()

# How the API tells the cashier about each refusal (the till's page translates by reason).
REFUSALS = {
    tokens.MALFORMED: (422, "This is not a Linli coupon code."),
    tokens.NOT_GENUINE: (422, "This code is not genuine."),
    tokens.CODE_EXPIRED: (422, "This code has expired. Ask the customer to open the coupon again (a screenshot "
                               "does not work)."),
    redemption.PRINTED_USED: (409, "This printed code has already been used."),
    redemption.OTHER_MERCHANT: (403, "This coupon is for another shop."),
    redemption.ALREADY_REDEEMED: (409, "This coupon has already been used."),
    redemption.VOIDED: (422, "This coupon was cancelled by the shop and no longer works."),
    redemption.COUPON_EXPIRED: (422, "This coupon has expired."),
    redemption.NOT_STARTED: (422, "This campaign has not started yet."),
    redemption.MIN_SPEND: (422, "The bill is below this coupon's minimum spend."),
    redemption.CODES_LOCKED: (423, "Too many wrong codes were tried for this coupon, so its codes are locked for a "
                                   "day. The shop owner has been told; the community centre can print the coupon."),
}


def answer_of(outcome: redemption.Redeemed | redemption.Refused) -> tuple[int, dict]:
    """The status and body the till is sent, and sent again to any retry with the same key."""
    if isinstance(outcome, redemption.Redeemed):
        return 200, _REDEMPTION_OUT.dump(outcome)
    status, detail = REFUSALS[outcome.reason]
    return status, _REFUSAL_OUT.dump({"type": "/problems/redemption-refused", "title": "Coupon not accepted",
                                      "status": status, "detail": detail,
                                      **{k: v for k, v in vars(outcome).items() if v is not None}})


def replay_as_of_now(replay: idempotency.Replayed, merchant_id: int) -> idempotency.Replayed:
    """A retry gets the first answer, except that a redemption voided since is not called redeemed.

    The retried request did redeem the coupon, but telling a cashier "redeemed, customer pays X"
    after the void would be a lie about now: the answer becomes a 409 that says when it was voided
    (the coupon is back in the wallet, so a fresh scan, with a new key, redeems it again)."""
    if replay.status != 200:
        return replay
    voided = redemption.voided_at(merchant_id, replay.body["redemption_id"])
    if voided is None:
        return replay
    return idempotency.Replayed(409, _REFUSAL_OUT.dump({
        "type": "/problems/redemption-voided", "title": "Redemption voided", "status": 409,
        "detail": "This redemption was voided since. Scan the coupon again to redeem it.",
        "reason": "voided_since", "redeemed_at": datetime.fromisoformat(replay.body["redeemed_at"]),
        "voided_at": voided,
        "redemption_id": replay.body["redemption_id"]}))


def answer_response(status: int, body: dict):
    response = jsonify(body)
    response.status_code = status
    if status >= 400:
        response.mimetype = PROBLEM_JSON
    return response


def _till_limit() -> str:
    return current_app.config["TILL_RATE_LIMIT"]


def _cashier() -> str:
    return f"user:{current_user.id}"


@blp.route("/redemptions")
class Redemptions(MethodView):
    @merchant_staff
    @rate_limit(_till_limit, key=_cashier, scope="till")
    @blp.arguments(RedeemIn())
    @blp.response(200, RedemptionOut)
    @blp.alt_response(400, description="No Idempotency-Key header")
    @blp.alt_response(403, schema=RefusalOut, description="The coupon belongs to another shop")
    @blp.alt_response(409, schema=RefusalOut, description="Already redeemed (or, for a replayed key, voided since)")
    @blp.alt_response(423, schema=RefusalOut, description="Too many wrong codes: this coupon's codes are locked")
    @blp.alt_response(422, schema=RefusalOut, description="Not genuine, expired code or coupon, minimum spend not "
                                                          "met, or the key was used for another request")
    def post(self, data):
        """Redeem a coupon: exactly once, whatever the retries (send an Idempotency-Key header)

        A retry with the same key gets the first answer, status and body, with `Idempotent-Replayed:
        true`; only a redemption that was voided since is answered 409 `redemption-voided` instead,
        so that no till shows "redeemed" for a coupon that is back in the wallet.
        """
        key = idempotency.valid_key(request.headers.get(idempotency.HEADER))
        t = till()
        scope, fp = f"redeem:{t.merchant_id}", idempotency.fingerprint("POST", request.path, data)
        try:
            outcome = redemption.redeem(t, code_text=data["code"], bill_cents=data["bill_cents"],
                                        method=data["method"])
            status, body = answer_of(outcome)
            # Raises Replayed when another request answered this key first: that answer is sent, ours undone.
            idempotency.record(scope, key, fp, status, body, t.now)
        except idempotency.Replayed as replay:
            raise replay_as_of_now(replay, t.merchant_id) from None
        return answer_response(status, body)


@blp.route("/redemptions/<id:redemption_id>/void")
class Void(MethodView):
    @merchant_staff
    @blp.response(200, VoidOut)
    @blp.alt_response(404, description="No such redemption at this shop")
    @blp.alt_response(409, description="Already voided, or more than 10 minutes ago")
    def post(self, redemption_id):
        """Void a redemption made by mistake, within 10 minutes: the coupon returns to the wallet"""
        return redemption.void(till(), redemption_id)


class PhotoIn(StrictSchema):
    photo = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


@blp.route("/scans")
class Scans(MethodView):
    @merchant_staff
    @rate_limit(_till_limit, key=_cashier, scope="till-photo")
    @blp.arguments(PhotoIn(), location="files")
    @blp.response(200, ScanOut)
    @blp.alt_response(422, description="Not an image, or no QR code found in it")
    def post(self, files):
        """Read the QR code in a photo (the till's fallback when live scanning fails)"""
        try:
            texts = decode(files["photo"].read())
        except NotAnImage as exc:
            raise ValidationFailed(f"The photo could not be read: {exc}.", errors={"photo": ["Not an image."]},
                                   reason="not_an_image") from exc
        if not texts:
            raise ValidationFailed("No QR code was found in the photo. Try again closer, or type the code.",
                                   reason="no_code")
        return {"code": texts[0]}


@blp.route("/dashboard")
class Dashboard(MethodView):
    @merchant_staff
    @blp.arguments(PeriodQuery(), location="query")
    @blp.response(200, DashboardOut)
    def get(self, query):
        """Coupons collected and redeemed, discount given, per campaign, by day and by hour"""
        today = utcnow().astimezone(district_tz()).date()
        try:
            first, last = query_dates(query, today)
        except BadPeriod as exc:
            raise ValidationFailed(str(exc).capitalize() + ".", errors={"from": [str(exc)]}) from exc
        return reports.figures(current_user.merchant_id, first, last)

