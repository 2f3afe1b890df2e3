"""Reminder use cases: subscriptions, follows and settings; deciding a push (once per effect) and
delivering it. They flush and never commit: the request, or the job (core.jobs), commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, format_time, gettext
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.identity.models import Merchant, User
from core.problems import NotFound
from geofence.models import Fence
from merchant.models import Campaign, CampaignStatus, CampaignTarget
from merchant.rules import parse_windows, upcoming_windows
from merchant.texts import language_of, text_of
from reminders import push, rules
from reminders.models import FenceFollow, PushDecision, PushSubscription, ReminderSettings, ShopFollow

# --- subscriptions, follows, settings ------------------------------------------------------

def subscribe(user_id: int, *, endpoint: str, p256dh: str, auth: str, device: str, now: datetime) -> PushSubscription:
    """Add this device, or take it over: one endpoint is one browser, whoever signed in on it last."""
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(endpoint=endpoint, created_at=now)
        db.session.add(sub)
    elif sub.user_id != user_id:
        sub.created_at = now
    sub.user_id, sub.p256dh, sub.auth, sub.device = user_id, p256dh, auth, device[:120]
    db.session.flush()
    return sub


def unsubscribe(user_id: int, *, endpoint: str | None = None, subscription_id: int | None = None) -> None:
    stmt = delete(PushSubscription).where(PushSubscription.user_id == user_id)
    if endpoint is not None:
        stmt = stmt.where(PushSubscription.endpoint == endpoint)
    else:
        stmt = stmt.where(PushSubscription.id == subscription_id)
    if db.session.execute(stmt).rowcount == 0:
        raise NotFound("No such device.")


def devices(user_id: int) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user_id)
                                   .order_by(PushSubscription.created_at, PushSubscription.id)))


def _clock(minutes: int | None) -> time | None:
    return None if minutes is None else time(minutes // 60, minutes % 60)


def preferences(user_id: int) -> rules.Preferences:
    row = db.session.get(ReminderSettings, user_id)
    if row is None:
        return rules.Preferences()
    return rules.Preferences(airdrops=row.airdrops, reports=row.reports, expiring=row.expiring,
                             quiet_start=_clock(row.quiet_start_min), quiet_end=_clock(row.quiet_end_min))


def save_preferences(user_id: int, prefs: rules.Preferences) -> None:
    row = db.session.get(ReminderSettings, user_id) or ReminderSettings(user_id=user_id)
    row.airdrops, row.reports, row.expiring = prefs.airdrops, prefs.reports, prefs.expiring
    row.quiet_start_min = None if prefs.quiet_start is None else prefs.quiet_start.hour * 60 + prefs.quiet_start.minute
    row.quiet_end_min = None if prefs.quiet_end is None else prefs.quiet_end.hour * 60 + prefs.quiet_end.minute
    db.session.add(row)
    db.session.flush()


def follow_shop(user_id: int, merchant_id: int, *, follow: bool = True) -> None:
    if db.session.get(Merchant, merchant_id) is None:
        raise NotFound("No such shop.")
    existing = db.session.get(ShopFollow, (user_id, merchant_id))
    if follow and existing is None:
        db.session.add(ShopFollow(user_id=user_id, merchant_id=merchant_id))
    elif not follow and existing is not None:
        db.session.delete(existing)
    db.session.flush()


def set_follows(user_id: int, *, merchant_ids: set[int], fence_ids: set[int]) -> None:
    """Follow exactly these shops and fences (the settings page's checkboxes); unknown ids are ignored."""
    known_shops = set(db.session.scalars(select(Merchant.id).where(Merchant.id.in_(merchant_ids or [-1]))))
    known_fences = set(db.session.scalars(select(Fence.id).where(Fence.id.in_(fence_ids or [-1]))))
    for model, column, wanted in ((ShopFollow, ShopFollow.merchant_id, known_shops),
                                  (FenceFollow, FenceFollow.fence_id, known_fences)):
        have = set(db.session.scalars(select(column).where(model.user_id == user_id)))
        if have - wanted:
            db.session.execute(delete(model).where(model.user_id == user_id, column.in_(have - wanted)))
        for target in sorted(wanted - have):
            db.session.add(model(user_id=user_id, **{column.key: target}))
    db.session.flush()


def followed(user_id: int) -> tuple[set[int], set[int]]:
    shops = set(db.session.scalars(select(ShopFollow.merchant_id).where(ShopFollow.user_id == user_id)))
    fences = set(db.session.scalars(select(FenceFollow.fence_id).where(FenceFollow.user_id == user_id)))
    return shops, fences


# --- deciding a push -----------------------------------------------------------------------

@dataclass(frozen=True)
class PushSettings:
    daily_budget: int
    tz: ZoneInfo


def push_settings() -> PushSettings:
    from core.config import district_tz

    return PushSettings(daily_budget=current_app.config["PUSH_DAILY_BUDGET"], tz=district_tz())


def decide(user_id: int, *, kind: str, key: str, payload: dict, now: datetime,
           settings: PushSettings) -> PushDecision | None:
    """Record the decision for this (resident, effect) once; the new row when it is to be sent,
    None when it was decided before (by an earlier run) or is not to be sent.

    The database decides both races: the (resident, key) unique key lets one run decide an effect,
    and a push to be sent takes the day's next budget slot under a unique key, so runs counting
    the same sends at once cannot both take the last slot. The loser counts again."""
    local_now = now.astimezone(settings.tz)
    prefs = preferences(user_id)
    for _ in range(settings.daily_budget + 1):  # each retry follows a send that took a slot
        if db.session.scalar(select(PushDecision.id).where(PushDecision.user_id == user_id,
                                                           PushDecision.key == key)):
            return None
        sent_today = db.session.scalar(select(func.count()).select_from(PushDecision).where(
            PushDecision.user_id == user_id, PushDecision.local_day == local_now.date(),
            PushDecision.outcome == rules.SEND))
        outcome = rules.decide(kind=kind, local_now=local_now, prefs=prefs, sent_today=sent_today,
                               daily_budget=settings.daily_budget)
        row = PushDecision(user_id=user_id, key=key, kind=kind, outcome=outcome, local_day=local_now.date(),
                           budget_slot=sent_today if outcome == rules.SEND else None,
                           decided_at=now, payload=payload, delivered_to=[])
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            continue  # the effect was decided by another run (seen above), or its slot was taken
        return row if outcome == rules.SEND else None
    return None


def deliver(decision_id: int, *, vapid, subject: str, now: datetime) -> list[str]:
    """Send a decided push to each of the resident's devices not sent to yet; forget dead ones.
    Returns each device's result; raises when one failed, so that the job retries (later)."""
    row = db.session.get(PushDecision, decision_id)
    if row is None or row.outcome != rules.SEND:
        return []
    done = set(row.delivered_to or [])
    results, failed = [], False
    for sub in devices(row.user_id):
        if sub.id in done or not rules.push_service_allowed(sub.endpoint, current_app.config["PUSH_SERVICES"]):
            continue  # a device stored before its service was taken off the list is not sent to
        result = push.send(push.Target(sub.endpoint, sub.p256dh, sub.auth), row.payload, vapid=vapid, subject=subject)
        results.append(result)
        if result == push.OK:
            done.add(sub.id)
            sub.last_used_at = now
        elif result == push.GONE:
            db.session.delete(sub)
        else:
            failed = True
    row.delivered_to = sorted(done)
    if not failed:
        row.delivered_at = now
    db.session.flush()
    if failed:
        db.session.commit()  # keep who got it before the retry (the job owns this transaction)
        raise DeliveryFailed(decision_id)
    return results


class DeliveryFailed(RuntimeError):
    pass


# --- what the pushes say -------------------------------------------------------------------

def _known(name: str) -> str:
    """A fence's name as pages show it (the `known` filter: the demo's names translated, others as typed)."""
    return current_app.jinja_env.filters["known"](name)


def airdrop_payload(user: User, merchant: Merchant, place: str, local_start: datetime) -> dict:
    language = language_of(user.locale)
    with force_locale(language):
        shop, at = text_of(merchant, "name", language), format_time(local_start, "HH:mm")
        if place:
            body = gettext("%(shop)s drops coupons at %(place)s at %(time)s", shop=shop, place=_known(place), time=at)
        else:
            body = gettext("%(shop)s drops coupons at %(time)s", shop=shop, time=at)
        title = gettext("Coupons drop now")
    return {"title": title, "body": body, "lang": language, "url": "/wallet", "tag": "airdrop"}


def report_payload(user: User, ref: str, kind: str) -> dict:
    language = language_of(user.locale)
    with force_locale(language):
        texts = {"status": gettext("Your report %(ref)s has a new status.", ref=ref),
                 "note": gettext("There is a new note on your report %(ref)s.", ref=ref),
                 "resolved": gettext("Your report %(ref)s was marked fixed: is it?", ref=ref),
                 "reopened": gettext("Your report %(ref)s was reopened.", ref=ref)}
        return {"title": gettext("Your report"), "body": texts.get(kind, texts["status"]), "lang": language,
                "url": f"/r/{ref}", "tag": f"report-{ref}"}


def expiring_payload(user: User, merchant: Merchant, coupon_id: int) -> dict:
    language = language_of(user.locale)
    with force_locale(language):
        return {"title": gettext("A coupon expires tomorrow"),
                "body": gettext("Your %(shop)s coupon expires tomorrow.", shop=text_of(merchant, "name", language)),
                "lang": language, "url": f"/wallet/coupons/{coupon_id}", "tag": f"coupon-{coupon_id}"}


# --- the airdrop trigger -------------------------------------------------------------------

def airdrop_openings(now: datetime, tz: ZoneInfo) -> list[tuple[Campaign, Merchant, list[int], datetime]]:
    """Published campaigns with coupons left whose airdrop window opened in the last few minutes
    (rules.CATCH_UP), with their fences and the window's local start. A campaign that drops at any
    time "opens" when it starts."""
    rows = db.session.execute(
        select(Campaign, Merchant).join(Merchant, Merchant.id == Campaign.merchant_id)
        .where(Campaign.status == CampaignStatus.PUBLISHED, Campaign.ends_at > now, Campaign.starts_at <= now,
               Campaign.remaining > 0).order_by(Campaign.id)).all()
    out = []
    for campaign, merchant in rows:
        windows = parse_windows(campaign.airdrop_windows or [])
        frm = max(campaign.starts_at, now - rules.CATCH_UP - timedelta(days=1))
        if windows:
            periods = upcoming_windows(windows, frm=frm, until=now + timedelta(minutes=1), tz=tz)
        else:
            periods = [(campaign.starts_at.astimezone(tz), campaign.ends_at.astimezone(tz))]
        due = rules.due_openings([(s, e) for s, e in periods], now=now)
        if not due:
            continue
        fence_ids = sorted(db.session.scalars(select(CampaignTarget.fence_id)
                                              .where(CampaignTarget.campaign_id == campaign.id)))
        out.extend((campaign, merchant, fence_ids, s) for s, _ in due)
    return out


def followers(merchant_id: int, fence_ids: list[int]) -> list[int]:
    """Residents who follow the shop or one of the fences and have at least one device."""
    by_shop = select(ShopFollow.user_id).where(ShopFollow.merchant_id == merchant_id)
    by_fence = select(FenceFollow.user_id).where(FenceFollow.fence_id.in_(fence_ids or [-1]))
    with_device = select(PushSubscription.user_id)
    return sorted(set(db.session.scalars(
        select(User.id).where(User.id.in_(by_shop.union(by_fence)), User.id.in_(with_device), User.active))))


def airdrop_pushes(now: datetime, settings: PushSettings) -> list[int]:
    """Decide the pushes for every window opening now; the ids to deliver."""
    to_send = []
    for campaign, merchant, fence_ids, local_start in airdrop_openings(now, settings.tz):
        place = _place(fence_ids)
        for user_id in followers(merchant.id, fence_ids):
            user = db.session.get(User, user_id)
            row = decide(user_id, kind="airdrops", key=rules.airdrop_key(campaign.id, local_start),
                         payload=airdrop_payload(user, merchant, place, local_start), now=now, settings=settings)
            if row is not None:
                db.session.flush()
                to_send.append(row.id)
    return to_send


def _place(fence_ids: list[int]) -> str:
    if not fence_ids:
        return ""
    return db.session.scalar(select(Fence.name).where(Fence.id == fence_ids[0])) or ""


def local_day(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()
