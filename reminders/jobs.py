"""Reminder jobs: every minute, the airdrop windows opening now; a report's change; each delivery.

Deciding and delivering are separate jobs: the decision (one unique row per resident and effect)
commits first, then a delivery job per decision sends it, retried with backoff when a push service
fails, skipping the devices it already reached. So a window is pushed once however many times the
minute job runs, and a slow push service never holds up the decisions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from core.db import db, utcnow
from core.identity.models import Merchant, User
from core.jobs import crontab, enqueue, job
from merchant.models import CouponStatus, WalletCoupon
from reminders import operations, push, rules
from services.models import ServiceRequest, Supporter
from services.signals import report_changed


def vapid():
    app = current_app
    if "linli_vapid" not in app.extensions:
        app.extensions["linli_vapid"] = push.load_vapid(app.config["VAPID_PRIVATE_KEY"], instance_path(app),
                                                       production=app.config["LINLI_ENV"] == "production")
    return app.extensions["linli_vapid"]


def instance_path(app):
    from pathlib import Path

    return Path(app.instance_path)


@job(retries=6, retry_delay_s=30)
def deliver_push(decision_id: int) -> None:
    operations.deliver(decision_id, vapid=vapid(), subject=current_app.config["VAPID_SUBJECT"], now=utcnow())


def _deliver_after_commit(ids: list[int]) -> None:
    for decision_id in ids:
        enqueue(deliver_push, decision_id)


def airdrop_minute(now: datetime | None = None) -> list[int]:
    """The body of the minute job (called directly by tests with a frozen `now`)."""
    ids = operations.airdrop_pushes(now or utcnow(), operations.push_settings())
    _deliver_after_commit(ids)
    return ids


@job(periodic=crontab(minute="*"), retries=2, retry_delay_s=10)
def airdrop_windows_job() -> None:
    airdrop_minute()


def report_pushes(report_id: int, kind: str, at: datetime) -> list[int]:
    report = db.session.get(ServiceRequest, report_id)
    if report is None:
        return []
    people = set(db.session.scalars(select(Supporter.user_id).where(Supporter.request_id == report_id)))
    if report.reporter_id:
        people.add(report.reporter_id)
    users = db.session.scalars(select(User).where(User.id.in_(people)))
    return _decide_all("reports", [(user, rules.report_key(report_id, kind, at),
                                    lambda u: operations.report_payload(u, report.ref, kind)) for user in users],
                       now=utcnow(), settings=operations.push_settings())


def _decide_all(kind: str, items, *, now: datetime, settings) -> list[int]:
    """Decide each (user, key, payload_of) for active residents with a device; deliver after commit."""
    ids = []
    for user, key, payload_of in items:
        if user is None or not user.active or not operations.devices(user.id):
            continue
        row = operations.decide(user.id, kind=kind, key=key, payload=payload_of(user), now=now, settings=settings)
        if row is not None:
            db.session.flush()
            ids.append(row.id)
    _deliver_after_commit(ids)
    return ids


@job(retries=3, retry_delay_s=30)
def report_changed_job(report_id: int, kind: str, at: datetime) -> None:
    report_pushes(report_id, kind, at)


def expiring_pushes(now: datetime | None = None) -> list[int]:
    """Coupons in wallets that expire tomorrow (district time): one push per coupon."""
    now = now or utcnow()
    settings = operations.push_settings()
    tomorrow = now.astimezone(settings.tz).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), settings.tz)
    rows = db.session.execute(
        select(WalletCoupon, Merchant).join(Merchant, Merchant.id == WalletCoupon.merchant_id)
        .where(WalletCoupon.status == CouponStatus.USABLE, WalletCoupon.expires_at >= start,
               WalletCoupon.expires_at < start + timedelta(days=1))).all()
    return _decide_all("expiring", [
        (db.session.get(User, coupon.resident_id), rules.expiring_key(coupon.id),
         lambda u, m=merchant, c=coupon.id: operations.expiring_payload(u, m, c)) for coupon, merchant in rows],
        now=now, settings=settings)


@job(periodic=crontab(minute="*/15"), retries=2, retry_delay_s=60)
def expiring_job(now: datetime | None = None) -> list[int]:
    """At 18:00 in the district (LINLI_TIMEZONE), whatever the server's own zone."""
    now = now or utcnow()
    if not rules.expiring_due(now.astimezone(operations.push_settings().tz)):
        return []
    return expiring_pushes(now)


def _on_report_changed(report, *, kind: str, now: datetime, **_) -> None:
    enqueue(report_changed_job, report.id, kind, now)


def init_reminders(app) -> None:
    """LINLI_PUSH_DAILY_BUDGET (3), LINLI_VAPID_PRIVATE_KEY, LINLI_VAPID_SUBJECT (a mailto: or https: URL),
    LINLI_PUSH_SERVICES."""
    import os

    app.config.setdefault("PUSH_DAILY_BUDGET", int(os.environ.get("LINLI_PUSH_DAILY_BUDGET", "3")))
    app.config.setdefault("VAPID_PRIVATE_KEY", os.environ.get("LINLI_VAPID_PRIVATE_KEY") or None)
    app.config.setdefault("VAPID_SUBJECT", os.environ.get("LINLI_VAPID_SUBJECT", "mailto:admin@linli.invalid"))
    # LINLI_PUSH_SERVICES: push services accepted besides the browsers' own (rules.BROWSER_PUSH_SERVICES),
    # comma-separated hosts; "http://host" for a stand-in without TLS.
    app.config.setdefault("PUSH_SERVICES", tuple(
        h.strip() for h in os.environ.get("LINLI_PUSH_SERVICES", "").split(",") if h.strip()))


def subscribe() -> None:
    report_changed.connect(_on_report_changed, weak=False)
