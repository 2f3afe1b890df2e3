"""Each worker's snapshot of the map's reports, clustered with numpy instead of in SQL.

Grid aggregation in SQL (services.map_query.reports_in) reads every visible row of the box: at
100,000 seeded reports (about 37,000 on the map) the whole district cost SQLite 90-220 ms a
request (bench/README.md, "The neighbourhood map"). Here the on-map reports are held as columns
(position, status, when fixed, kind) and a request is a mask, a floor and a np.unique: a few
milliseconds whatever the engine, and the same answer, cell for cell (tests/test_map_api.py
compares the two).

Freshness, like the fence index (geofence/registry.py): at most every MAP_INDEX_CHECK_S a worker
asks the database for a stamp (the latest `updated_at`, and how many reports changed since a
minute before the snapshot's latest, which also catches a transaction that took its `now` early
and committed late); when the stamp moved, a background thread loads a new snapshot
and swaps it in with one assignment. Requests never wait for it: a worker without a snapshot yet
answers from SQL. A refresh reads only the reports changed since the snapshot's latest change
(less a minute) and patches them in. Reports fixed more than FIXED_DAYS ago are cut at query
time, and once an hour the snapshot is loaded whole again, so they also leave memory.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from flask import current_app
from sqlalchemy import String, func, literal_column, select, type_coerce

from core.db import db, utcnow
from services.map_query import MAX_SINGLES, MapAnswer, visible
from services.map_rules import FIXED_DAYS, BBox, Grid
from services.models import Category, ServiceRequest, Status

EXTENSION = "linli_map_index"
SLACK = timedelta(seconds=60)  # how late a transaction may commit after taking its `now`
MAX_AGE_S = 3600.0
log = logging.getLogger(__name__)


@dataclass
class Snapshot:
    stamp: tuple
    built_at: float
    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    fixed: np.ndarray  # True: resolved as fixed; False: open
    closed: np.ndarray  # epoch seconds when fixed (0 for open reports)
    category: np.ndarray
    refs: np.ndarray  # object array of str
    statuses: np.ndarray  # object array of str
    codes: dict[int, str]


def _stamp(latest: datetime | None) -> tuple:
    """(the latest change, how many reports changed since SLACK before `latest`): two reads of
    ix_service_request_updated. Reports are never deleted, so every change moves one of them."""
    r = ServiceRequest
    newest = db.session.scalar(select(func.max(r.updated_at)))
    since = latest - SLACK if latest else None
    recent = db.session.scalar(select(func.count(r.id)).where(r.updated_at >= since)) if since else 0
    return newest, recent


def _columns(*where) -> tuple:
    """The visible reports matching `where`, as columns (ids, lat, lon, fixed, closed, category,
    refs, statuses)."""
    r = ServiceRequest
    # Plain values from the driver: the ORM's enum and datetime conversions cost 30 us a row, most
    # of a 40,000-row load; the time of the fix comes as epoch seconds, computed by the database.
    if db.session.get_bind().dialect.name == "sqlite":
        epoch = literal_column("COALESCE(CAST(strftime('%s', closed_at) AS REAL), 0.0)")
    else:
        epoch = literal_column("COALESCE(EXTRACT(EPOCH FROM closed_at), 0)::float8")
    rows = db.session.execute(
        select(r.id, r.lat, r.lon, type_coerce(r.status, String()), epoch, r.category_id, r.ref)
        .where(r.lat.is_not(None), *visible("all", utcnow()), *where)).all()
    ids, lat, lon, status, closed, category, refs = (list(c) for c in zip(*rows, strict=True)) if rows else \
        ([], [], [], [], [], [], [])
    statuses = np.array(status, dtype=object)
    return (np.array(ids, np.int64), np.array(lat, np.float64), np.array(lon, np.float64),
            statuses == Status.RESOLVED.value, np.array(closed, np.float64), np.array(category, np.int64),
            np.array(refs, dtype=object), statuses)


def load_snapshot(previous: Snapshot | None = None) -> Snapshot:
    """A whole new snapshot; or, from `previous`, only the reports changed since its latest change
    (less SLACK) read again and patched in: a new report costs one small read, not 40,000 rows."""
    r = ServiceRequest
    stamp = _stamp(None)
    stamp = _stamp(stamp[0])  # with the window counted from the latest change
    codes = dict(db.session.execute(select(Category.id, Category.code)).all())
    if previous is None or previous.stamp[0] is None:
        return Snapshot(stamp, time.monotonic(), *_columns(), codes)
    since = previous.stamp[0] - SLACK
    changed = np.array(db.session.scalars(select(r.id).where(r.updated_at >= since)).all(), np.int64)
    fresh = _columns(r.updated_at >= since)
    keep = ~np.isin(previous.ids, changed)
    old = (previous.ids, previous.lat, previous.lon, previous.fixed, previous.closed, previous.category,
           previous.refs, previous.statuses)
    merged = [np.concatenate((column[keep], new)) for column, new in zip(old, fresh, strict=True)]
    return Snapshot(stamp, previous.built_at, *merged, codes)


def _report(s: Snapshot, i: int) -> dict:
    return {"ref": s.refs[i], "category": s.codes.get(int(s.category[i]), ""), "status": s.statuses[i],
            "lat": round(float(s.lat[i]), 6), "lon": round(float(s.lon[i]), 6)}


def reports_in(s: Snapshot, box: BBox, grid: Grid, *, now: datetime, status: str = "all",
               category_id: int | None = None) -> MapAnswer:
    """The same answer as services.map_query.reports_in, from the snapshot."""
    mask = (s.lat >= box.south) & (s.lat <= box.north) & (s.lon >= box.west) & (s.lon <= box.east)
    recent = s.fixed & (s.closed >= (now - timedelta(days=FIXED_DAYS)).timestamp())
    if status == "open":
        mask &= ~s.fixed
    elif status == "fixed":
        mask &= recent
    else:
        mask &= ~s.fixed | recent
    if category_id:
        mask &= s.category == category_id
    idx = np.flatnonzero(mask)
    if not grid.clustered:
        idx = idx[np.argsort(s.ids[idx], kind="stable")][:MAX_SINGLES]
        reports = [_report(s, int(i)) for i in idx]
        return MapAnswer([], reports, len(reports), grid.zoom)
    if not len(idx):
        return MapAnswer([], [], 0, grid.zoom)
    lat, lon = s.lat[idx], s.lon[idx]
    cy = np.floor((lat + 90) / grid.dlat).astype(np.int64)
    cx = np.floor((lon + 180) / grid.dlon).astype(np.int64)
    _, group, counts = np.unique(cy * (1 << 32) + cx, return_inverse=True, return_counts=True)
    order = np.argsort(group, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    lat_sorted, lon_sorted = lat[order], lon[order]
    sum_lat, sum_lon = np.add.reduceat(lat_sorted, starts), np.add.reduceat(lon_sorted, starts)
    south, north = np.minimum.reduceat(lat_sorted, starts), np.maximum.reduceat(lat_sorted, starts)
    west, east = np.minimum.reduceat(lon_sorted, starts), np.maximum.reduceat(lon_sorted, starts)
    clusters, singles = [], []
    for g in range(len(counts)):
        n = int(counts[g])
        if n == 1:
            singles.append(int(idx[order[starts[g]]]))
            continue
        clusters.append({"lat": round(float(sum_lat[g]) / n, 6), "lon": round(float(sum_lon[g]) / n, 6), "n": n,
                         "bbox": [round(float(west[g]), 6), round(float(south[g]), 6), round(float(east[g]), 6),
                                  round(float(north[g]), 6)]})
    singles.sort(key=lambda i: s.ids[i])
    clusters.sort(key=lambda c: (-c["n"], c["lat"], c["lon"]))
    return MapAnswer(clusters, [_report(s, i) for i in singles], len(idx), grid.zoom)


# --- each worker's snapshot, refreshed off the request path --------------------------------------

class _Holder:
    def __init__(self):
        self.snapshot: Snapshot | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()
        self.builder: threading.Thread | None = None


def _holder() -> _Holder:
    return current_app.extensions.setdefault(EXTENSION, _Holder())


def current() -> Snapshot | None:
    """This worker's snapshot, or None while the first one is being built (answer from SQL)."""
    holder = _holder()
    snapshot = holder.snapshot
    if snapshot is None:
        _build_in_background(holder)
        return None
    now = time.monotonic()
    if now - holder.checked_at >= current_app.config["MAP_INDEX_CHECK_S"]:
        holder.checked_at = now
        if now - snapshot.built_at > MAX_AGE_S or _stamp(snapshot.stamp[0]) != snapshot.stamp:
            _build_in_background(holder)
    return holder.snapshot


def _build_in_background(holder: _Holder) -> None:
    with holder.lock:
        if holder.builder is not None and holder.builder.is_alive():
            return
        app = current_app._get_current_object()
        holder.builder = threading.Thread(target=_build, args=(app, holder), daemon=True, name="linli-map-index")
        holder.builder.start()


def _build(app, holder: _Holder) -> None:
    try:
        with app.app_context():
            previous = holder.snapshot
            whole = previous is None or time.monotonic() - previous.built_at > MAX_AGE_S
            snapshot = load_snapshot(None if whole else previous)
            db.session.remove()
        holder.snapshot = snapshot
    except Exception:  # noqa: BLE001 - keep serving the old snapshot (or SQL); the next check tries again
        log.exception("map index rebuild failed")
        holder.checked_at = 0.0


def settle(timeout_s: float = 10.0) -> Snapshot | None:
    """Wait for a build under way (tests and benchmarks)."""
    holder = _holder()
    if holder.builder is not None:
        holder.builder.join(timeout_s)
    return holder.snapshot
