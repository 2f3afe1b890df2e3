"""/api/airdrop: check-ins; the public airdrop schedule, as JSON and as an iCalendar feed."""

from __future__ import annotations

import hashlib
from zoneinfo import ZoneInfo

from flask import Blueprint as FlaskBlueprint
from flask import current_app, request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Page

from airdrop import ical, last_fix, operations, presence, rules
from airdrop.schemas import CheckinIn, CheckinOut, OfferOut, PresenceCheckinOut, ScheduleQuery
from core.db import utcnow
from core.extensions import Blueprint, problems
from core.identity.access import roles_required
from core.identity.models import Role

blp = Blueprint("airdrop", __name__, url_prefix="/api", description="Check-ins and the airdrop schedule")
feeds = FlaskBlueprint("feeds", __name__)

MESSAGES = {
    rules.DROPPED: _l("New coupons are in your wallet."),
    rules.POOR_ACCURACY: _l("Your location is not precise enough. Step outside or turn on GPS and try again."),
    rules.IMPOSSIBLE_MOVEMENT: _l("Your location jumped too far too fast, so we could not use it."),
    rules.OUTSIDE: _l("You are outside every coupon zone. Come by the community centre!"),
    rules.NO_LIVE_CAMPAIGN: _l("No shop has coupons here right now."),
    rules.WINDOW_CLOSED: _l("Coupons drop here at set times. See the schedule for the next one."),
    rules.BUDGET_USED: _l("You have collected today's coupons. More tomorrow!"),
    rules.NOTHING_NEW: _l("You already have every coupon on offer here."),
}


def airdrop_settings() -> operations.AirdropSettings:
    config = current_app.config
    return operations.AirdropSettings(
        max_accuracy_m=config["AIRDROP_MAX_ACCURACY_M"], max_speed_mps=config["AIRDROP_MAX_SPEED_MPS"],
        daily_budget=config["AIRDROP_DAILY_BUDGET"], top_n=config["AIRDROP_TOP_N"],
        tz=ZoneInfo(config["LINLI_TIMEZONE"]))


@blp.route("/airdrop/checkins")
class Checkins(MethodView):
    @roles_required(Role.RESIDENT)
    @blp.arguments(CheckinIn())
    @blp.response(200, CheckinOut)
    def post(self, data):
        """Report where the phone is; coupons may drop into the wallet"""
        now = utcnow()
        fix = rules.Fix(data["lat"], data["lon"], now)
        # On the server, overwritten each time, gone after AIRDROP_FIX_TTL_S (airdrop/last_fix.py); only
        # a believable fix is kept, and it is written before any stock is taken (the hot row comes last).
        result = operations.check_in(resident_id=current_user.id, lat=data["lat"], lon=data["lon"],
                                     accuracy_m=data["accuracy_m"], last=last_fix.get(current_user.id, now=now),
                                     now=now, settings=airdrop_settings(),
                                     remember=lambda: last_fix.put(current_user.id, fix))
        return checkin_body(result)


def checkin_body(result: operations.CheckinResult) -> dict:
    return {"outcome": result.outcome, "message": str(MESSAGES[result.outcome]), "fences": result.fences,
            "dropped": result.dropped, "next_window_at": result.next_window_at}


@blp.route("/airdrop/presence/checkins")
class PresenceCheckins(MethodView):
    @roles_required(Role.RESIDENT)
    @blp.response(200, PresenceCheckinOut)
    @problems((409, "No scanned screen code in the last 15 minutes (/problems/not-present)"))
    def post(self):
        """Check in where a scanned screen code puts the resident (no position)

        At the fence whose screen code (GET /here/...) the resident scanned in the last 15 minutes,
        with the same windows, limits and daily budget as a check-in with a position.
        """
        here, result = presence.check_in_here(resident_id=current_user.id, at=presence.now(),
                                              settings=airdrop_settings())
        return {**checkin_body(result),
                "present": {"fence_id": here.fence.id, "fence_name": here.fence.name, "until": here.until}}


@blp.route("/airdrops/schedule")
class Schedule(MethodView):
    @blp.arguments(ScheduleQuery(), location="query")
    @blp.response(200, OfferOut(many=True))
    @blp.paginate(Page)
    @problems((404, "No such geofence (fence_id)"))
    def get(self, query):
        """Public feed: live and upcoming campaigns with their airdrop times (for screens and shop TVs)"""
        return operations.offers(utcnow(), airdrop_settings(), fence_id=query.get("fence_id"), days=query["days"])


@feeds.get("/feeds/airdrops.ics")
def airdrops_ical():
    """The airdrop schedule as an iCalendar feed (airdrop/ical.py), one event per airdrop period."""
    tz = airdrop_settings().tz
    now = utcnow()
    body = ical.to_ical(ical.events(operations.feed_campaigns(now, days=ical.HORIZON_DAYS), now=now, tz=tz), tz=tz)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="linli-airdrops.ics"'
    # The same campaigns give the same bytes: calendars polling hourly get 304 until something changes.
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)
