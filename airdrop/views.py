"""Pages: the public airdrop schedule."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from sqlalchemy import select

from airdrop import operations
from airdrop.api import airdrop_settings
from airdrop.rules import windows_by_day
from core.db import db, utcnow
from geofence.models import Fence

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


