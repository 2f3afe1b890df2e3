"""In-app notifications: the reporter and every supporter hear of each public change.

They are rows written in the transaction of the change itself (a notification for a change
that rolled back would be a lie); anything that leaves the database, such as a push message,
belongs to a listener that queues it with core.tx.after_commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from core.db import db
from services.models import Notification, ServiceRequest, Supporter
from services.signals import report_changed


def _notify_followers(report: ServiceRequest, *, kind: str, now: datetime, **_) -> None:
    people = set(db.session.scalars(select(Supporter.user_id).where(Supporter.request_id == report.id)))
    if report.reporter_id:
        people.add(report.reporter_id)
    if people:
        db.session.execute(insert(Notification), [
            {"user_id": u, "request_id": report.id, "kind": kind, "status": report.status, "created_at": now}
            for u in sorted(people)])


def subscribe() -> None:
    report_changed.connect(_notify_followers, weak=False)
