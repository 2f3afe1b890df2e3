"""Pages: the public airdrop schedule."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import qrcode
import qrcode.image.svg
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext
from flask_login import current_user
from sqlalchemy import select

from airdrop import operations, presence
from airdrop.api import MESSAGES, airdrop_settings
from airdrop.rules import windows_by_day
from airdrop.signage import LANGUAGES, board
from core.db import db, utcnow
from core.formatting import discount_text, when
from core.identity.models import Role
from core.problems import NotFound
from geofence import presence_rules
from geofence.models import Fence
from merchant.texts import localized

web = Blueprint("airdrop_pages", __name__)


@web.get("/airdrops")
def schedule():
    """Public: which shops drop coupons where and when (also for elevator screens)."""
    fences = list(db.session.scalars(select(Fence).where(Fence.active.is_(True)).order_by(Fence.name).limit(50)))
    now = utcnow()
    settings = airdrop_settings()
    offers = operations.offers(now, settings, days=7)
    for offer in offers:
        periods = [(p["start"], p["end"]) for p in offer["airdrops"]]
        # A campaign without windows drops at any time: one period as long as the campaign.
        offer["any_time"] = any(end - start >= timedelta(days=1) for start, end in periods)
        offer["days"] = windows_by_day(periods)
    by_fence = {f.id: [o for o in offers if f.id in o["fence_ids"]] for f in fences}
    today = now.astimezone(settings.tz).date()
    return render_template("airdrop/schedule.html", fences=fences, by_fence=by_fence, now=now,
                           today=today, tomorrow=today + timedelta(days=1))


def _signage_texts(now_rows, next_rows, *, today) -> dict:
    """Every word of the screen in each language (the JS shows one at a time); shop names localized."""
    texts = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            def row(r, lang=lang):
                o = r["offer"]
                day = r["start"].date()
                when = gettext("Today") if day == today else gettext("Tomorrow")
                return {"shop": localized(o["merchant_name"], o.get("merchant_name_i18n"), lang),
                        "value": discount_text(o["discount_kind"], o["amount_off_cents"], o["percent_off"],
                                               o["percent_cap_cents"]),
                        "when_next": f"{when} {r['start']:%H:%M}–{r['end']:%H:%M}",
                        "when_now": gettext("until %(time)s", time=f"{r['end']:%H:%M}")}
            texts[lang] = {
                "now": gettext("Dropping now"), "next": gettext("Coming next"),
                "none_now": gettext("No coupons dropping right now."),
                "none_next": gettext("Nothing more planned for today or tomorrow."),
                "hint": gettext("Open Linli near here to collect coupons."),
                "offline": gettext("Offline since %(time)s", time="{time}"),
                "scan": gettext("Scan to collect coupons here"),
                "scan_offline": gettext("Offline: the code is hidden until the screen is back online."),
                "now_rows": [row(r) for r in now_rows],
                "next_rows": [row(r) for r in next_rows]}
    return texts


@web.get("/signage/<int:fence_id>")
def signage(fence_id: int):
    """Public, full screen, for a lift or a shop TV: what drops now and next at this fence (no personal data).
    `?part=board` is the board alone, with an ETag: the screen's JS polls it and keeps the last one."""
    fence = db.session.get(Fence, fence_id)
    if fence is None or not fence.active:
        abort(404)
    now = utcnow()
    settings = airdrop_settings()
    now_rows, next_rows = board(operations.offers(now, settings, fence_id=fence_id, days=2), now=now,
                                tz=settings.tz)
    # Only the screen the admin's fence page links to shows the presence code (its token comes from
    # the fence's secret); the public board alone tells nobody anything they could use elsewhere.
    screen = request.args.get("screen")
    if not presence_rules.screen_allowed(fence.presence_secret, fence.id, screen):
        screen = None
    context = {"fence": fence, "texts": _signage_texts(now_rows, next_rows, today=now.astimezone(settings.tz).date()),
               "rows": {"now": now_rows, "next": next_rows}, "languages": LANGUAGES, "screen": screen}
    if request.args.get("part") == "board":
        body = render_template("airdrop/_signage_board.html", **context)
        response = current_app.response_class(body, mimetype="text/html")
        response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        response.cache_control.no_cache = True
        return response.make_conditional(request)
    response = current_app.make_response(render_template("airdrop/signage.html", **context))
    if screen:  # the page holds the screen token: nobody's cache keeps it
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def here_url(fence_id: int, step: int, code: str) -> str:
    """What the screen's QR holds: a phone's own camera app opens it as a link."""
    return url_for("airdrop_pages.here", fence_id=fence_id, step=step, code=code, _external=True)


@web.get("/signage/<id:fence_id>/code.svg")
def signage_code(fence_id: int):
    """The screen's current presence QR, for the screen link only. `X-Code-Expires-In` says when
    the next one is due (signage.js fetches it then); never cached anywhere."""
    fence = db.session.get(Fence, fence_id)
    if fence is None or not fence.active or fence.deleted_at is not None \
            or not presence_rules.screen_allowed(fence.presence_secret, fence.id, request.args.get("screen")):
        abort(404)
    step, code, left = presence.current_code(fence, at=presence.now())
    # Error correction M and a quiet zone of 4 modules: read from 1 m off a glossy screen.
    svg = qrcode.make(here_url(fence.id, step, code), image_factory=qrcode.image.svg.SvgPathImage,
                      box_size=10, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    response = current_app.response_class(svg.to_string(encoding="unicode"), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Code-Expires-In"] = f"{left:.1f}"
    response.headers["X-Code-Step"] = str(step)
    return response


def _here_page(fence, *, verdict: str, step: int, code: str, status: int = 200):
    return render_template("airdrop/here.html", fence=fence, verdict=verdict, step=step, code=code,
                           resident=current_user.is_authenticated and current_user.role is Role.RESIDENT,
                           login_url=url_for("identity.login", next=request.path)), status, \
        {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


# A genuine code too old to count is gone (410); anything else is not a code of this fence (403).
REFUSED_STATUS = {presence_rules.EXPIRED: 410, presence_rules.INVALID: 403}


@web.get("/here/<id:fence_id>/<int:step>/<code>")
def here(fence_id: int, step: int, code: str):
    """Where the screen's QR leads: "You are at <fence>"; a resident's page sends the form at once."""
    try:
        fence = presence.screen_fence(fence_id)
    except NotFound:
        abort(404)
    verdict = presence.check_code(fence, step, code, at=presence.now())
    return _here_page(fence, verdict=verdict, step=step, code=code, status=REFUSED_STATUS.get(verdict, 200))


@web.post("/here/<id:fence_id>/<int:step>/<code>")
def here_scan(fence_id: int, step: int, code: str):
    """The scan: a fresh code puts the resident at the fence for 15 minutes and drops coupons there
    at once, through the same limits and budget as a GPS check-in; the wallet shows the result."""
    if not current_user.is_authenticated:
        return redirect(url_for("identity.login", next=request.path))
    try:
        fence = presence.screen_fence(fence_id)
    except NotFound:
        abort(404)
    if current_user.role is not Role.RESIDENT:
        return _here_page(fence, verdict=presence_rules.OK, step=step, code=code, status=403)
    result = presence.scan(resident_id=current_user.id, fence_id=fence.id, step=step, code=code,
                           at=presence.now(), settings=airdrop_settings())
    if result.verdict != presence_rules.OK:
        return _here_page(fence, verdict=result.verdict, step=step, code=code,
                          status=REFUSED_STATUS[result.verdict])
    checkin = result.checkin
    flash(gettext("You are at %(fence)s until %(time)s (scanned code).", fence=fence.name,
                  time=when(result.here.until, "time")))
    flash(str(MESSAGES[checkin.outcome]))
    for drop in checkin.dropped:  # names are data: localized, never through gettext
        lang = get_locale()
        flash(f"{localized(drop['merchant_name'], drop['merchant_name_i18n'], lang)} · "
              f"{localized(drop['title'], drop['title_i18n'], lang)}")
    return redirect(url_for("wallet_pages.wallet"), 303)
