"""The neighbourhood map's reads: open and recently fixed reports inside a box, as clusters on a
grid of screen cells (services.map_rules) and single reports, and the same reports as a list.

Clustering is one grid aggregation in SQL, read from the covering index `ix_service_request_map`
(an index-only scan on PostgreSQL, a covering index on SQLite): the database returns one row per
occupied cell, never the reports themselves. Only nothing personal leaves here: reference, kind,
status and position.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, literal_column, or_, select

from core.db import db
from services.map_rules import FIXED_DAYS, BBox, Grid
from services.models import OPEN, Category, Resolution, ServiceRequest, Status

# A box at SINGLES_ZOOM or closer holds a street; this many reports bounds a mistaken client.
MAX_SINGLES = 5000


def visible(status: str, now: datetime, category_id: int | None = None) -> list:
    """What the map shows: open reports, reports fixed in the last FIXED_DAYS days, or both."""
    r = ServiceRequest
    is_open = r.status.in_(OPEN)
    fixed = and_(r.status == Status.RESOLVED, r.resolution == Resolution.FIXED,
                 r.closed_at >= now - timedelta(days=FIXED_DAYS))
    where = [{"open": is_open, "fixed": fixed}.get(status, or_(is_open, fixed))]
    if category_id:
        where.append(r.category_id == category_id)
    return where


def _cell(column, offset: int, size: float):
    """floor((column + offset) / size) as an integer. The operands are never negative, so SQLite's
    CAST (which truncates) is floor; PostgreSQL's CAST would round. `size` is our own float, written
    into the statement so that the GROUP BY repeats the SELECT's expression exactly."""
    expr = f"(({column} + {offset}) / {float(size)!r})"
    if db.session.get_bind().dialect.name == "sqlite":
        return literal_column(f"CAST({expr} AS INTEGER)")
    return literal_column(f"CAST(floor({expr}) AS BIGINT)")


def _point(lat: float, lon: float) -> tuple[float, float]:
    return round(lat, 6), round(lon, 6)


def _singles(where: list, limit: int) -> list[dict]:
    r = ServiceRequest
    rows = db.session.execute(
        select(r.ref, Category.code, r.status, r.lat, r.lon).join(Category, Category.id == r.category_id)
        .where(*where).order_by(r.id).limit(limit)).all()
    out = []
    for ref, code, status, lat, lon in rows:
        lat, lon = _point(lat, lon)
        out.append({"ref": ref, "category": code, "status": status.value, "lat": lat, "lon": lon})
    return out


@dataclass
class MapAnswer:
    clusters: list[dict]
    reports: list[dict]
    total: int
    zoom: int


def reports_in(box: BBox, grid: Grid, *, now: datetime, status: str = "all",
               category_id: int | None = None) -> MapAnswer:
    r = ServiceRequest
    where = [r.lat.between(box.south, box.north), r.lon.between(box.west, box.east),
             *visible(status, now, category_id)]
    if not grid.clustered:
        reports = _singles(where, MAX_SINGLES)
        return MapAnswer([], reports, len(reports), grid.zoom)
    cy, cx = _cell("lat", 90, grid.dlat).label("cy"), _cell("lon", 180, grid.dlon).label("cx")
    rows = db.session.execute(
        select(cy, cx, func.count().label("n"), func.avg(r.lat), func.avg(r.lon), func.min(r.lat), func.max(r.lat),
               func.min(r.lon), func.max(r.lon), func.min(r.id))
        .where(*where).group_by(literal_column("cy"), literal_column("cx"))).all()
    clusters, single_ids, total = [], [], 0
    for _cy, _cx, n, lat, lon, south, north, west, east, first_id in rows:
        total += n
        if n == 1:
            single_ids.append(first_id)
            continue
        lat, lon = _point(lat, lon)
        clusters.append({"lat": lat, "lon": lon, "n": n,
                         "bbox": [round(west, 6), round(south, 6), round(east, 6), round(north, 6)]})
    reports = _singles([r.id.in_(single_ids)], len(single_ids)) if single_ids else []
    clusters.sort(key=lambda c: (-c["n"], c["lat"], c["lon"]))
    return MapAnswer(clusters, reports, total, grid.zoom)


@dataclass
class ListPage:
    rows: list
    total: int


def listing(*, now: datetime, status: str, category_id: int | None, limit: int, offset: int) -> ListPage:
    """The map's reports as a list, newest first: the page under the map (and the way to them
    without JavaScript or a screen)."""
    r = ServiceRequest
    where = visible(status, now, category_id)
    rows = db.session.execute(
        select(r.ref, r.status, r.created_at, r.closed_at, r.address, r.lat, r.lon, r.category_id,
               func.substr(r.description, 1, 120).label("excerpt"))
        .where(*where).order_by(r.created_at.desc(), r.id.desc()).limit(limit).offset(offset)).all()
    total = db.session.scalar(select(func.count(r.id)).where(*where))
    return ListPage(rows, total)
