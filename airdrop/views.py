"""Pages: the public airdrop schedule."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import force_locale, gettext
from sqlalchemy import select

from airdrop import operations
from airdrop.api import airdrop_settings
from airdrop.rules import windows_by_day
from airdrop.signage import LANGUAGES, board
from core.db import db, utcnow
from core.formatting import discount_text
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
    context = {"fence": fence, "texts": _signage_texts(now_rows, next_rows, today=now.astimezone(settings.tz).date()),
               "rows": {"now": now_rows, "next": next_rows}, "languages": LANGUAGES}
    if request.args.get("part") == "board":
        body = render_template("airdrop/_signage_board.html", **context)
        response = current_app.response_class(body, mimetype="text/html")
        response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        response.cache_control.no_cache = True
        return response.make_conditional(request)
    return render_template("airdrop/signage.html", **context)
