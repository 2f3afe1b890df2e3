"""Proof of presence without GPS: a scan of the fence screen's rotating code (presence_rules) puts
the resident at that fence for PRESENCE_S (15 minutes), for the airdrop only.

Where it is kept: one `airdrop_presence` row per resident (fence, until), upserted in the request's
transaction, so the scan and the coupons it drops commit or roll back together and every worker
sees it. Unlike the last fix (airdrop/last_fix.py, written on every check-in of every resident),
it is written once per scan, so the database is no hot spot and needs no Redis twin. Readers ignore
an expired row; each scan deletes the expired ones. It says only "at fence X until T", as a coupon
does; no position is involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from airdrop import operations
from airdrop.models import Presence
from core.db import db, upsert, utcnow
from core.problems import Conflict, NotFound
from geofence import presence_rules
from geofence.models import Fence


def now() -> datetime:
    """The clock of code checks (its own name so tests can move it without moving the rest)."""
    return utcnow()


class NotPresent(Conflict):
    type, title = "/problems/not-present", "No scanned screen code"


@dataclass(frozen=True)
class Here:
    fence: Fence
    until: datetime


@dataclass(frozen=True)
class ScanResult:
    verdict: str  # presence_rules.OK, EXPIRED or INVALID
    here: Here | None = None
    checkin: operations.CheckinResult | None = None


def screen_fence(fence_id: int) -> Fence:
    """A fence that can have a screen: it exists, is not deleted and is switched on."""
    fence = db.session.get(Fence, fence_id)
    if fence is None or fence.deleted_at is not None or not fence.active:
        raise NotFound("No such geofence.")
    return fence


def check_code(fence: Fence, step: int, code: str, *, at: datetime) -> str:
    return presence_rules.verify(fence.presence_secret, fence.id, step, code, unix_s=at.timestamp())


def current_code(fence: Fence, *, at: datetime) -> tuple[int, str, float]:
    """(step, code, seconds until the next code) the fence's screen shows at `at`."""
    step = presence_rules.step_at(at.timestamp())
    return step, presence_rules.code_for(fence.presence_secret, fence.id, step), \
        presence_rules.seconds_left(at.timestamp())


def current(resident_id: int, *, at: datetime) -> Here | None:
    """Where the resident's last scan puts them, while it lasts (and the fence still drops)."""
    row = db.session.execute(select(Presence.fence_id, Presence.until)
                             .where(Presence.resident_id == resident_id, Presence.until > at)).one_or_none()
    if row is None:
        return None
    fence = db.session.get(Fence, row.fence_id)
    if fence is None or fence.deleted_at is not None or not fence.active:
        return None
    return Here(fence, row.until)


def _record(resident_id: int, fence_id: int, *, at: datetime) -> datetime:
    until = at + timedelta(seconds=presence_rules.PRESENCE_S)
    values = {"fence_id": fence_id, "until": until}
    db.session.execute(upsert(Presence).values(resident_id=resident_id, **values)
                       .on_conflict_do_update(index_elements=[Presence.resident_id], set_=values))
    db.session.execute(delete(Presence).where(Presence.until <= at))
    return until


def scan(*, resident_id: int, fence_id: int, step: int, code: str, at: datetime,
         settings: operations.AirdropSettings) -> ScanResult:
    """A resident's scan: a fresh code of this fence records the presence and runs the airdrop
    there at once; a stale or wrong one writes nothing."""
    fence = screen_fence(fence_id)
    verdict = check_code(fence, step, code, at=at)
    if verdict != presence_rules.OK:
        return ScanResult(verdict)
    until = _record(resident_id, fence.id, at=at)
    result = operations.check_in_present(resident_id=resident_id, fence=fence, now=at, settings=settings)
    return ScanResult(verdict, Here(fence, until), result)


def check_in_here(*, resident_id: int, at: datetime,
                  settings: operations.AirdropSettings) -> tuple[Here, operations.CheckinResult]:
    """The wallet's periodic check-in without a position, at the scanned fence while it lasts."""
    here = current(resident_id, at=at)
    if here is None:
        raise NotPresent("Scan the code on a Linli screen first; a scan lasts 15 minutes.")
    return here, operations.check_in_present(resident_id=resident_id, fence=here.fence, now=at, settings=settings)
