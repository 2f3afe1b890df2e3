"""Each worker's snapshot of the campaigns that can drop right now, by fence.

Every check-in needs "which live campaigns target these fences"; asking the database each time
was the most expensive part of a check-in. The snapshot is rebuilt at most every
CAMPAIGN_SNAPSHOT_S (1 s), so a published, paused or ended campaign is seen by every worker
within a second. Stock is not trusted from it: claims decide that in the database.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from core.db import db
from core.identity.models import Merchant
from core.tx import after_commit
from merchant.models import Campaign, CampaignStatus, CampaignTarget
from merchant.rules import Window, face_value_cents, parse_windows
from merchant.signals import campaign_changed
from merchant.texts import texts_of

EXTENSION = "linli_live_campaigns"


@dataclass(frozen=True)
class LiveCampaign:
    id: int
    merchant_id: int
    title: str
    merchant_name: str
    merchant_lat: float
    merchant_lon: float
    merchant_tags: tuple[str, ...]
    tags: tuple[str, ...]
    value_cents: int
    starts_at: datetime
    ends_at: datetime
    coupon_valid_s: int
    per_resident_limit: int
    windows: tuple[Window, ...]
    fence_ids: tuple[int, ...]
    # The languages the title and the shop's name were given in (merchant.texts), for the drop's answer.
    title_i18n: dict = field(default_factory=dict, hash=False)
    merchant_name_i18n: dict = field(default_factory=dict, hash=False)


class _Snapshot:
    def __init__(self):
        self.by_fence: dict[int, list[LiveCampaign]] = {}
        self.taken_at = -1e9
        self.lock = threading.Lock()


def _load(now: datetime) -> dict[int, list[LiveCampaign]]:
    rows = db.session.execute(
        select(Campaign, Merchant, CampaignTarget.fence_id)
        .join(CampaignTarget, CampaignTarget.campaign_id == Campaign.id)
        .join(Merchant, Merchant.id == Campaign.merchant_id)
        .where(Campaign.status == CampaignStatus.PUBLISHED, Campaign.ends_at > now, Campaign.remaining > 0)
        .order_by(Campaign.id))
    fences: dict[int, list[int]] = {}
    first: dict[int, tuple[Campaign, Merchant]] = {}
    for campaign, merchant, fence_id in rows:
        first.setdefault(campaign.id, (campaign, merchant))
        fences.setdefault(campaign.id, []).append(fence_id)
    by_fence: dict[int, list[LiveCampaign]] = {}
    for campaign_id, (campaign, merchant) in first.items():
        live = LiveCampaign(
            id=campaign.id, merchant_id=merchant.id, title=campaign.title, merchant_name=merchant.name,
            merchant_lat=merchant.lat, merchant_lon=merchant.lon, merchant_tags=tuple(merchant.tags or ()),
            tags=tuple(campaign.tags or ()),
            value_cents=face_value_cents(kind=campaign.discount_kind.value, amount_off_cents=campaign.amount_off_cents,
                                         percent_off=campaign.percent_off,
                                         percent_cap_cents=campaign.percent_cap_cents,
                                         min_spend_cents=campaign.min_spend_cents),
            starts_at=campaign.starts_at, ends_at=campaign.ends_at, coupon_valid_s=campaign.coupon_valid_s,
            per_resident_limit=campaign.per_resident_limit, windows=tuple(parse_windows(campaign.airdrop_windows)),
            fence_ids=tuple(sorted(fences[campaign_id])),
            title_i18n=texts_of(campaign, "title"), merchant_name_i18n=texts_of(merchant, "name"))
        for fence_id in live.fence_ids:
            by_fence.setdefault(fence_id, []).append(live)
    return by_fence


def live_in(fence_ids: list[int], now: datetime) -> list[LiveCampaign]:
    """Campaigns running now in any of these fences, each once, by id."""
    snapshot: _Snapshot = current_app.extensions.setdefault(EXTENSION, _Snapshot())
    if time.monotonic() - snapshot.taken_at > current_app.config["CAMPAIGN_SNAPSHOT_S"]:
        with snapshot.lock:
            if time.monotonic() - snapshot.taken_at > current_app.config["CAMPAIGN_SNAPSHOT_S"]:
                snapshot.by_fence = _load(now)
                snapshot.taken_at = time.monotonic()
    found = {c.id: c for f in fence_ids for c in snapshot.by_fence.get(f, ())
             if c.starts_at <= now < c.ends_at}
    return [found[i] for i in sorted(found)]


def forget(*_args, **_kwargs) -> None:
    """This worker's own edits show at once, once committed (other workers within a second).

    After the commit, not before: a check-in between the two would reload the old campaign and
    keep it for a second."""
    snapshot = current_app.extensions.get(EXTENSION)
    if snapshot is not None:
        after_commit(lambda: setattr(snapshot, "taken_at", -1e9))


def subscribe() -> None:
    campaign_changed.connect(forget, weak=False)
