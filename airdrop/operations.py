"""The airdrop: a check-in becomes ranked coupons in the wallet, or a clear reason why not.

The raw position is used for the decision and discarded: only "collected at fence X at time T"
is stored, on the coupon. The previous fix, needed to refuse impossible movement, travels in
the resident's own signed session cookie instead of our database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from airdrop import ical, rules
from airdrop.live import live_in
from core.db import db
from core.identity.models import Merchant
from core.problems import NotFound
from geofence.models import Fence
from geofence.registry import current_index, fence_names
from geofence.rules import haversine_m
from merchant.claims import ClaimRefused, claim_state, reserve, take
from merchant.models import Campaign, CampaignStatus, CampaignTarget, CouponStatus, WalletCoupon
from merchant.rules import parse_windows, upcoming_windows, window_open
from merchant.texts import texts_of


@dataclass(frozen=True)
class AirdropSettings:
    max_accuracy_m: float = 100.0
    max_speed_mps: float = 50.0
    daily_budget: int = 5
    top_n: int = 3
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")


@dataclass
class CheckinResult:
    outcome: str
    fences: list[dict] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    next_window_at: datetime | None = None


def liked_tags(resident_id: int) -> Counter:
    """Tags of the shops where the resident redeemed coupons before."""
    tags: Counter = Counter()
    for (merchant_tags,) in db.session.execute(
            select(Merchant.tags).join(WalletCoupon, WalletCoupon.merchant_id == Merchant.id)
            .where(WalletCoupon.resident_id == resident_id, WalletCoupon.status == CouponStatus.REDEEMED)):
        tags.update(merchant_tags or [])
    return tags


def check_in(*, resident_id: int, lat: float, lon: float, accuracy_m: float, last: rules.Fix | None,
             now: datetime, settings: AirdropSettings, remember: Callable[[], None] | None = None) -> CheckinResult:
    """`remember` runs once the position is believed, before any coupon is taken from stock."""
    reason = rules.implausible(accuracy_m=accuracy_m, fix=rules.Fix(lat, lon, now), last=last,
                               max_accuracy_m=settings.max_accuracy_m, max_speed_mps=settings.max_speed_mps)
    if reason:
        return CheckinResult(reason)
    pending = [remember] if remember is not None else []

    def remember_once() -> None:
        while pending:
            pending.pop()()

    result = _check_in(resident_id=resident_id, lat=lat, lon=lon, now=now, settings=settings,
                       remember=remember_once)
    remember_once()  # on the paths that took no stock
    return result


def _check_in(*, resident_id: int, lat: float, lon: float, now: datetime, settings: AirdropSettings,
              remember: Callable[[], None]) -> CheckinResult:
    index = current_index()
    fence_ids = index.containing(lat, lon)
    if not fence_ids:
        return CheckinResult(rules.OUTSIDE)
    names = fence_names(index, fence_ids)
    return _drop(resident_id=resident_id, fences=[{"id": i, "name": names[i]} for i in fence_ids], lat=lat,
                 lon=lon, now=now, settings=settings, remember=remember)


def check_in_present(*, resident_id: int, fence: Fence, now: datetime, settings: AirdropSettings) -> CheckinResult:
    """A check-in without a position, at the fence whose screen code the resident scanned
    (airdrop/presence.py): the same windows, limits, budget and ranking as a GPS check-in; the
    distances are measured from the fence's centre, where its screen is."""
    return _drop(resident_id=resident_id, fences=[{"id": fence.id, "name": fence.name}], lat=fence.center_lat,
                 lon=fence.center_lon, now=now, settings=settings, remember=lambda: None)


def _drop(*, resident_id: int, fences: list[dict], lat: float, lon: float, now: datetime,
          settings: AirdropSettings, remember: Callable[[], None]) -> CheckinResult:
    """The airdrop at these fences (a resident is in each), wherever the fences came from."""
    fence_ids = [f["id"] for f in fences]
    candidates = live_in(fence_ids, now)
    if not candidates:
        return CheckinResult(rules.NO_LIVE_CAMPAIGN, fences)
    local = now.astimezone(settings.tz)
    open_now = [c for c in candidates if window_open(list(c.windows), local)]
    if not open_now:
        upcoming = [p[0] for c in candidates
                    for p in upcoming_windows(list(c.windows), frm=now, until=now + timedelta(days=7),
                                              tz=settings.tz)[:1]]
        return CheckinResult(rules.WINDOW_CLOSED, fences, next_window_at=min(upcoming, default=None))

    held, today, used_today = claim_state(resident_id, [c.id for c in open_now], local.date())
    if used_today >= settings.daily_budget:
        return CheckinResult(rules.BUDGET_USED, fences)
    # A first pass to rank only what could drop; claim() re-checks every limit atomically.
    eligible = [c for c in open_now if held.get(c.id, 0) < c.per_resident_limit and c.id not in today]
    if not eligible:
        return CheckinResult(rules.NOTHING_NEW, fences)

    by_id = {c.id: c for c in eligible}
    fence_of = {c.id: next(f for f in fence_ids if f in c.fence_ids) for c in eligible}
    ranked = rules.rank_offers(
        [rules.Offer(c.id, c.merchant_tags, c.tags, haversine_m(lat, lon, c.merchant_lat, c.merchant_lon),
                     c.value_cents, (c.ends_at - now).total_seconds() / 3600) for c in eligible],
        liked_tags=liked_tags(resident_id), local_hour=local.hour)

    dropped, refusals, reserved = [], [], []
    slots = min(settings.top_n, settings.daily_budget - used_today)
    # Claim in campaign-id order so concurrent check-ins lock campaign rows in one order (no deadlocks).
    for r in sorted(ranked[:slots], key=lambda r: r.offer.campaign_id):
        campaign = by_id[r.offer.campaign_id]
        try:
            reserved.append((r, reserve(resident_id=resident_id, campaign=campaign, fence_id=fence_of[campaign.id],
                                        now=now, local_day=local.date(), daily_budget=settings.daily_budget,
                                        tz=settings.tz)))
        except ClaimRefused as refused:
            refusals.append(refused.reason)
    remember()  # before the stock: every other write of the check-in is done before the hot row is locked
    for r, reservation in reserved:
        campaign = reservation.campaign
        try:
            coupon = take(reservation)
        except ClaimRefused as refused:
            refusals.append(refused.reason)
            continue
        dropped.append({"coupon_id": coupon.id, "campaign_id": campaign.id, "merchant_id": campaign.merchant_id,
                        "title": campaign.title, "title_i18n": campaign.title_i18n,
                        "merchant_name": campaign.merchant_name, "merchant_name_i18n": campaign.merchant_name_i18n,
                        "fence_id": fence_of[campaign.id],
                        "expires_at": coupon.expires_at, "score": round(r.score, 3), "reasons": r.reasons})
    dropped.sort(key=lambda d: -d["score"])
    if dropped:
        return CheckinResult(rules.DROPPED, fences, dropped)
    if "budget_used" in refusals:
        return CheckinResult(rules.BUDGET_USED, fences)
    # Sold out since this worker's snapshot: as good as no campaign.
    if refusals and all(reason == "sold_out" for reason in refusals):
        return CheckinResult(rules.NO_LIVE_CAMPAIGN, fences)
    return CheckinResult(rules.NOTHING_NEW, fences)


# --- what residents and public screens see -----------------------------------------------

def offers(now: datetime, settings: AirdropSettings, *, fence_id: int | None = None, days: int = 7):
    """Live and upcoming published campaigns with their airdrop periods for the next `days`."""
    stmt = (select(Campaign, Merchant).join(Merchant, Merchant.id == Campaign.merchant_id)
            .where(Campaign.status == CampaignStatus.PUBLISHED, Campaign.ends_at > now, Campaign.remaining > 0)
            .order_by(Campaign.starts_at, Campaign.id))
    if fence_id is not None:
        if db.session.get(Fence, fence_id) is None:
            raise NotFound("No such geofence.")
        in_fence = select(CampaignTarget.campaign_id).where(CampaignTarget.fence_id == fence_id)
        stmt = stmt.where(Campaign.id.in_(in_fence))
    rows = db.session.execute(stmt).all()
    targets: dict[int, list[int]] = {}
    for campaign_id, fid in db.session.execute(
            select(CampaignTarget.campaign_id, CampaignTarget.fence_id)
            .where(CampaignTarget.campaign_id.in_([c.id for c, _ in rows]))):
        targets.setdefault(campaign_id, []).append(fid)
    until = now + timedelta(days=days)
    out = []
    for campaign, merchant in rows:
        frm, to = max(now, campaign.starts_at), min(until, campaign.ends_at)
        windows = parse_windows(campaign.airdrop_windows)
        if frm >= to:
            periods = []
        elif windows:
            periods = upcoming_windows(windows, frm=frm, until=to, tz=settings.tz)
        else:  # no windows: it drops whenever the campaign runs
            periods = [(frm.astimezone(settings.tz), to.astimezone(settings.tz))]
        out.append({
            "campaign_id": campaign.id, "title": campaign.title, "description": campaign.description,
            "merchant_id": merchant.id, "merchant_name": merchant.name, "merchant_address": merchant.address,
            **offer_texts(campaign, merchant),
            "merchant_lat": merchant.lat, "merchant_lon": merchant.lon, "discount_kind": campaign.discount_kind.value,
            "amount_off_cents": campaign.amount_off_cents, "percent_off": campaign.percent_off,
            "percent_cap_cents": campaign.percent_cap_cents, "min_spend_cents": campaign.min_spend_cents,
            "ends_at": campaign.ends_at, "remaining": campaign.remaining, "tags": campaign.tags or [],
            "fence_ids": sorted(targets.get(campaign.id, [])),
            "airdrops": [{"start": s, "end": e} for s, e in periods],
        })
    return out


def offer_texts(campaign: Campaign, merchant: Merchant) -> dict:
    """`<field>_i18n` of each text an offer shows (merchant.texts), for pages (tr) and the API alike."""
    pairs = (("title", campaign, "title"), ("description", campaign, "description"),
             ("merchant_name", merchant, "name"), ("merchant_address", merchant, "address"))
    return {f"{label}_i18n": texts_of(obj, name) for label, obj, name in pairs}


def feed_campaigns(now: datetime, *, days: int) -> list[ical.FeedCampaign]:
    """Published campaigns with coupons left that run at some time in the next `days`, for the feed."""
    rows = db.session.execute(
        select(Campaign, Merchant).join(Merchant, Merchant.id == Campaign.merchant_id)
        .where(Campaign.status == CampaignStatus.PUBLISHED, Campaign.ends_at > now,
               Campaign.starts_at < now + timedelta(days=days), Campaign.remaining > 0)
        .order_by(Campaign.starts_at, Campaign.id)).all()
    return [ical.FeedCampaign(
        id=c.id, title=c.title, description=c.description or "", merchant_name=m.name,
        merchant_address=m.address or "", starts_at=c.starts_at, ends_at=c.ends_at,
        windows=tuple(parse_windows(c.airdrop_windows or [])), stamp=c.created_at, sequence=c.version - 1)
        for c, m in rows]
