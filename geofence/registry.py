"""Each worker's fence index, rebuilt when another process (or this one) edits a fence.

Every check-in compares the index with the fence revision at most once per FENCE_INDEX_CHECK_S,
so an admin's edit reaches every gunicorn worker on every machine within about a second, with no
message bus and without a database round trip on every request.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import time
from array import array

from flask import current_app
from sqlalchemy import select

from core.db import db, upsert
from geofence.index import FenceIndex
from geofence.models import Fence, FenceKind, FenceRevision

EXTENSION = "linli_fence_index"


class _Holder:
    def __init__(self):
        self.index: FenceIndex | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()


def load_index(revision: int) -> FenceIndex:
    """Streamed into typed columns: 100k fences must not leave 100k objects behind in each worker."""
    ids, lats, lons, radii = array("q"), array("d"), array("d"), array("d")
    polygons: dict[int, dict] = {}
    rows = db.session.execute(
        select(Fence.id, Fence.kind, Fence.center_lat, Fence.center_lon, Fence.radius_m, Fence.polygon)
        .where(Fence.active.is_(True)).execution_options(yield_per=5000))
    for position, (id_, kind, lat, lon, radius, polygon) in enumerate(rows):
        ids.append(id_)
        lats.append(lat)
        lons.append(lon)
        radii.append(radius or 0.0)
        if kind == FenceKind.POLYGON:
            polygons[position] = polygon
    index = FenceIndex.from_columns(ids, lats, lons, radii, polygons, revision)
    del rows, polygons
    _return_memory()
    return index


def _return_memory() -> None:
    """Hand the loading garbage back to the OS, so that a worker's footprint is the index itself."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the process instead
        pass


def current_revision() -> int:
    return db.session.scalar(select(FenceRevision.revision).where(FenceRevision.id == 1)) or 0


def current_index() -> FenceIndex:
    holder: _Holder = current_app.extensions.setdefault(EXTENSION, _Holder())
    now = time.monotonic()
    if holder.index is not None and now - holder.checked_at < current_app.config["FENCE_INDEX_CHECK_S"]:
        return holder.index
    revision = current_revision()  # read before the fences: a concurrent edit only causes a rebuild
    holder.checked_at = now
    if holder.index is None or holder.index.revision != revision:
        with holder.lock:
            if holder.index is None or holder.index.revision != revision:
                holder.index = load_index(revision)
    return holder.index


def bump_revision() -> None:
    """Called in the transaction of every fence edit."""
    db.session.execute(
        upsert(FenceRevision).values(id=1, revision=1)
        .on_conflict_do_update(index_elements=["id"], set_={"revision": FenceRevision.revision + 1}))





def fence_names(index: FenceIndex, fence_ids: list[int]) -> dict[int, str]:
    """Names of these fences, remembered with the index: check-ins come from few fences, so
    after the first visits this asks the database nothing (and 100k names are never loaded)."""
    missing = [i for i in fence_ids if i not in index.names]
    if missing:
        index.names.update(db.session.execute(select(Fence.id, Fence.name).where(Fence.id.in_(missing))).all())
    return {i: index.names.get(i, "") for i in fence_ids}
