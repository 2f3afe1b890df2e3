"""Pages: the public airdrop schedule."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from airdrop import operations
from airdrop.api import airdrop_settings
from core.db import db, utcnow
from geofence.models import Fence

web = Blueprint("airdrop_pages", __name__)


@web.get("/airdrops")
def schedule():
    """Public: which shops drop coupons where and when (also for elevator screens)."""
    fences = list(db.session.scalars(select(Fence).where(Fence.active.is_(True)).order_by(Fence.name).limit(50)))
    now = utcnow()
    offers = operations.offers(now, airdrop_settings(), days=7)
    by_fence = {f.id: [o for o in offers if f.id in o["fence_ids"]] for f in fences}
    return render_template("airdrop/schedule.html", fences=fences, by_fence=by_fence, now=now)


