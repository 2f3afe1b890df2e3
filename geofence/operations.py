"""Geofences, for admins: every change bumps the revision that each worker's index follows."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.problems import NotFound, ValidationFailed
from geofence.index import polygon_centroid
from geofence.models import Fence, FenceKind
from geofence.registry import bump_revision


def create_fence(data: dict) -> Fence:
    fence = Fence(**data)
    if fence.kind is FenceKind.POLYGON:
        fence.center_lat, fence.center_lon = polygon_centroid(fence.polygon)
    db.session.add(fence)
    bump_revision()
    db.session.flush()
    return fence


def update_fence(fence_id: int, data: dict) -> Fence:
    fence = db.session.get(Fence, fence_id)
    if fence is None:
        raise NotFound("No such geofence.")
    if "radius_m" in data and fence.kind is not FenceKind.CIRCLE:
        raise ValidationFailed("Only circles have a radius.", errors={"radius_m": ["Only circles have a radius."]})
    for key, value in data.items():
        setattr(fence, key, value)
    bump_revision()
    db.session.flush()
    return fence


def active_fence_names() -> list[tuple[int, str]]:
    """(id, name) of every active fence, by name: for choosing targets and filtering by area."""
    return [tuple(row) for row in db.session.execute(
        select(Fence.id, Fence.name).where(Fence.active.is_(True)).order_by(Fence.name))]
