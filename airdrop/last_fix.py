"""The previous fix of each resident, kept on the server for the speed check, and only briefly.

The client cannot be the keeper: a resident who replays an older session cookie (or none) would
choose the "previous" position and make any jump look like a stroll. So each accepted check-in
overwrites one entry per resident that expires after AIRDROP_FIX_TTL_S (ten minutes): no trail,
and after the expiry nothing at all.

- With REDIS_URL: a Redis key per resident, SET with EX, shared by every worker.
- Without: one row per resident in `airdrop_last_fix`, upserted in the request's transaction;
  readers ignore an expired row, and expired rows are deleted by the next check-in on any worker
  (at most once a minute per worker) and by `flask --app wsgi airdrop purge-fixes`.
A Redis error falls back to the database for that call, so the check stays on while Redis is down.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, select

from airdrop import rules
from airdrop.models import LastFix
from core.db import db, upsert, utcnow
from core.web import redis_client

REDIS_PREFIX = "linli:airdrop:fix:"
PURGE_EVERY_S = 60.0
_PURGED_AT = "linli_last_fix_purged_at"


def _ttl_s() -> int:
    return int(current_app.config["AIRDROP_FIX_TTL_S"])


def get(resident_id: int, *, now: datetime) -> rules.Fix | None:
    """The resident's last accepted fix, if it has not expired."""
    if current_app.config["REDIS_URL"]:
        try:
            raw = redis_client().get(f"{REDIS_PREFIX}{resident_id}")
        except Exception:  # noqa: BLE001 - a dead Redis must not switch the speed check off
            current_app.logger.warning("last fix: Redis unreachable; using the database", exc_info=True)
        else:
            if raw is None:
                return _db_get(resident_id, now)  # written while Redis was down, perhaps
            lat, lon, at = json.loads(raw)
            return rules.Fix(float(lat), float(lon), datetime.fromisoformat(at))
    return _db_get(resident_id, now)


def put(resident_id: int, fix: rules.Fix) -> None:
    """Overwrite the resident's last fix; it expires AIRDROP_FIX_TTL_S after `fix.at`."""
    if current_app.config["REDIS_URL"]:
        value = json.dumps([round(fix.lat, 5), round(fix.lon, 5), fix.at.isoformat()])
        try:
            redis_client().set(f"{REDIS_PREFIX}{resident_id}", value, ex=_ttl_s())
            return
        except Exception:  # noqa: BLE001
            current_app.logger.warning("last fix: Redis unreachable; using the database", exc_info=True)
    _db_put(resident_id, fix)


def _db_get(resident_id: int, now: datetime) -> rules.Fix | None:
    row = db.session.execute(select(LastFix.lat, LastFix.lon, LastFix.at)
                             .where(LastFix.resident_id == resident_id, LastFix.expires_at > now)).one_or_none()
    return None if row is None else rules.Fix(row.lat, row.lon, row.at)


def _db_put(resident_id: int, fix: rules.Fix) -> None:
    values = {"lat": round(fix.lat, 5), "lon": round(fix.lon, 5), "at": fix.at,
              "expires_at": fix.at + timedelta(seconds=_ttl_s())}
    db.session.execute(upsert(LastFix).values(resident_id=resident_id, **values)
                       .on_conflict_do_update(index_elements=[LastFix.resident_id], set_=values))
    last = current_app.extensions.get(_PURGED_AT, 0.0)
    if time.monotonic() - last > PURGE_EVERY_S:
        current_app.extensions[_PURGED_AT] = time.monotonic()
        purge(now=fix.at)


def purge(*, now: datetime) -> int:
    """Delete expired fixes (the database store); returns how many."""
    return db.session.execute(delete(LastFix).where(LastFix.expires_at <= now)).rowcount or 0


airdrop_cli = AppGroup("airdrop", help="Airdrop housekeeping.")


@airdrop_cli.command("purge-fixes")
def purge_fixes_command():
    """Delete expired last fixes (run every few minutes when REDIS_URL is unset)."""
    removed = purge(now=utcnow())
    db.session.commit()
    click.echo(f"{removed} expired fixes deleted")
