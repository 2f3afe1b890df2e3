"""Geofences, for admins: every change bumps the revision that each worker's index follows.

An edit or a delete is one conditional UPDATE on the fence's `version` (when the admin's page
sent the version it showed): of two admins editing the same fence, the database lets one win and
the other gets FenceConflict with the fence as it is now, never a silent overwrite."""

from __future__ import annotations

from sqlalchemy import select, update

from core.db import db, utcnow
from core.identity.rules import N_
from core.problems import Conflict, NotFound, ValidationFailed
from geofence.index import polygon_centroid
from geofence.models import Fence, FenceKind
from geofence.registry import bump_revision

CHANGED_FIRST = N_("Another admin changed this geofence first. Here it is as it is now.")
DELETED_MEANWHILE = N_("Another admin deleted this geofence meanwhile.")
ONLY_CIRCLES = N_("Only circles have a centre and radius.")
ONLY_POLYGONS = N_("Only polygons have a GeoJSON outline.")


class FenceConflict(Conflict):
    """The fence is no longer the version the edit was decided on; `current` is what it is now."""

    type, title = "/problems/fence-conflict", "Geofence changed"


def create_fence(data: dict) -> Fence:
    fence = Fence(**data)
    if fence.kind is FenceKind.POLYGON:
        fence.center_lat, fence.center_lon = polygon_centroid(fence.polygon)
    db.session.add(fence)
    bump_revision()
    db.session.flush()
    return fence


def live_fence(fence_id: int) -> Fence:
    """A fence that has not been deleted, or NotFound."""
    fence = db.session.get(Fence, fence_id)
    if fence is None or fence.deleted_at is not None:
        raise NotFound("No such geofence.")
    return fence


def current_state(fence: Fence) -> dict:
    return {"id": fence.id, "name": fence.name, "kind": fence.kind.value, "center_lat": fence.center_lat,
            "center_lon": fence.center_lon, "radius_m": fence.radius_m, "polygon": fence.polygon,
            "active": fence.active, "version": fence.version}


def _shape_values(kind: FenceKind, data: dict) -> dict:
    """What the edit writes: a circle moves or resizes, a polygon is redrawn (with its centroid)."""
    values = dict(data)
    if kind is FenceKind.CIRCLE:
        if "polygon" in values:
            raise ValidationFailed(ONLY_POLYGONS, errors={"polygon": [ONLY_POLYGONS]})
        return values
    wrong = [key for key in ("center_lat", "center_lon", "radius_m") if key in values]
    if wrong:
        raise ValidationFailed(ONLY_CIRCLES, errors={key: [ONLY_CIRCLES] for key in wrong})
    if "polygon" in values:
        values["center_lat"], values["center_lon"] = polygon_centroid(values["polygon"])
    return values


def _apply(fence: Fence, seen: int | None, **values) -> None:
    """One UPDATE ... WHERE id, not deleted, same kind [, version = seen] RETURNING: the database
    decides between concurrent edits. The fence is reloaded either way."""
    f = Fence
    expected = [f.id == fence.id, f.deleted_at.is_(None), f.kind == fence.kind]
    if seen is not None:
        expected.append(f.version == seen)
    won = db.session.execute(
        update(f).where(*expected).values(version=f.version + 1, **values)
        .returning(f.version).execution_options(synchronize_session=False)).scalar_one_or_none()
    db.session.refresh(fence)
    if won is None:
        if fence.deleted_at is not None:
            raise FenceConflict(DELETED_MEANWHILE, current=None)
        raise FenceConflict(CHANGED_FIRST, current=current_state(fence))
    bump_revision()


def update_fence(fence_id: int, data: dict) -> Fence:
    """Rename, switch on or off, move or resize a circle, redraw a polygon; `version` in data is
    the version the edit was decided on."""
    data = dict(data)
    seen = data.pop("version", None)
    fence = live_fence(fence_id)
    _apply(fence, seen, **_shape_values(fence.kind, data))
    return fence


def delete_fence(fence_id: int, seen: int | None = None) -> Fence:
    """A soft delete: the fence leaves every index and list, while campaign targets and coupons
    keep pointing at it (a hard delete would cascade to targets and blank the coupons' fence)."""
    fence = live_fence(fence_id)
    _apply(fence, seen, deleted_at=utcnow(), active=False)
    return fence


def active_fence_names() -> list[tuple[int, str]]:
    """(id, name) of every active fence, by name: for choosing targets and filtering by area."""
    return [tuple(row) for row in db.session.execute(
        select(Fence.id, Fence.name).where(Fence.active.is_(True), Fence.deleted_at.is_(None)).order_by(Fence.name))]
