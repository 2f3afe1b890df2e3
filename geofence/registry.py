"""Each worker's fence index, rebuilt off the request path when any process edits a fence.

A lookup compares the index with the fence revision at most once per FENCE_INDEX_CHECK_S; when
the revision moved (or this worker committed a fence edit) a background thread - a greenlet
under gevent, yielding between batches - loads the new index and swaps it in with one reference
assignment, while requests keep using the previous one. So an admin's edit reaches every
gunicorn worker on every machine within about a second, with no message bus, no database round
trip on every request, and no request (or live stream) waiting the second a rebuild of 100k
fences takes. Only a worker's very first lookup builds in line: there is nothing to serve yet.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time
from array import array

from flask import current_app
from sqlalchemy import select

from core.db import db, upsert
from core.tx import after_commit
from geofence.index import FenceIndex
from geofence.models import Fence, FenceKind, FenceRevision

EXTENSION = "linli_fence_index"
BATCH = 2000
log = logging.getLogger(__name__)


class _Holder:
    def __init__(self):
        self.index: FenceIndex | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()
        self.builder: threading.Thread | None = None


def load_index(revision: int) -> FenceIndex:
    """Streamed into typed columns: 100k fences must not leave 100k objects behind in each worker.

    Sleeping 0 s between batches lets the other greenlets of a gevent worker run meanwhile."""
    ids, lats, lons, radii = array("q"), array("d"), array("d"), array("d")
    polygons: dict[int, dict] = {}
    rows = db.session.execute(
        select(Fence.id, Fence.kind, Fence.center_lat, Fence.center_lon, Fence.radius_m, Fence.polygon)
        .where(Fence.active.is_(True), Fence.deleted_at.is_(None)).execution_options(yield_per=5000))
    for position, (id_, kind, lat, lon, radius, polygon) in enumerate(rows):
        ids.append(id_)
        lats.append(lat)
        lons.append(lon)
        radii.append(radius or 0.0)
        if kind == FenceKind.POLYGON:
            polygons[position] = polygon
        if position % BATCH == BATCH - 1:
            time.sleep(0)
    index = FenceIndex.from_columns(ids, lats, lons, radii, polygons, revision)
    del rows, polygons
    _return_memory()
    return index


def _return_memory() -> None:
    """Hand the loading garbage back to the OS, so that a worker's footprint is the index itself.

    Only the young generations are collected: the loading garbage is young, and a full collection
    walks the whole application's heap with the GIL held - 0.76 s in py-spy, during which (the
    rebuild being a greenlet under gevent) every request of the worker waited. Then what is left is
    frozen: later full collections skip the index and the app's long-lived objects."""
    gc.collect(1)
    gc.freeze()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the process instead
        pass


def current_revision() -> int:
    return db.session.scalar(select(FenceRevision.revision).where(FenceRevision.id == 1)) or 0


def _holder() -> _Holder:
    return current_app.extensions.setdefault(EXTENSION, _Holder())


def current_index() -> FenceIndex:
    holder = _holder()
    if holder.index is None:
        with holder.lock:
            if holder.index is None:
                holder.checked_at = time.monotonic()
                holder.index = load_index(current_revision())
        return holder.index
    now = time.monotonic()
    if now - holder.checked_at >= current_app.config["FENCE_INDEX_CHECK_S"]:
        holder.checked_at = now
        revision = current_revision()  # read before the fences: a concurrent edit only causes a rebuild
        if revision != holder.index.revision:
            _rebuild_in_background(holder, revision)
    return holder.index


def _rebuild_in_background(holder: _Holder, revision: int | None) -> None:
    with holder.lock:
        if holder.builder is not None and holder.builder.is_alive():
            return  # the next check after it finishes catches any newer revision
        app = current_app._get_current_object()
        holder.builder = threading.Thread(target=_rebuild, args=(app, holder, revision), daemon=True,
                                          name="linli-fence-index")
        holder.builder.start()


def _rebuild(app, holder: _Holder, revision: int | None) -> None:
    try:
        with app.app_context():
            index = load_index(current_revision() if revision is None else revision)
            db.session.remove()
        holder.index = index  # the swap: requests hold either the old index or the new one, whole
    except Exception:  # noqa: BLE001 - keep serving the old index; the next check tries again
        log.exception("fence index rebuild failed")
        holder.checked_at = 0.0


def refresh() -> None:
    """After this worker committed a fence edit: rebuild now rather than at the next check."""
    holder = _holder()
    if holder.index is not None:
        _rebuild_in_background(holder, None)


def settle(timeout_s: float = 10.0) -> FenceIndex:
    """Wait for a rebuild under way, then return the index (for tests and the CLI)."""
    holder = _holder()
    builder = holder.builder
    if builder is not None:
        builder.join(timeout_s)
    return current_index()


def bump_revision() -> None:
    """Called in the transaction of every fence edit; this worker rebuilds once it commits."""
    db.session.execute(
        upsert(FenceRevision).values(id=1, revision=1)
        .on_conflict_do_update(index_elements=["id"], set_={"revision": FenceRevision.revision + 1}))
    after_commit(refresh)


def fence_names(index: FenceIndex, fence_ids: list[int]) -> dict[int, str]:
    """Names of these fences, remembered with the index: check-ins come from few fences, so
    after the first visits this asks the database nothing (and 100k names are never loaded)."""
    missing = [i for i in fence_ids if i not in index.names]
    if missing:
        index.names.update(db.session.execute(select(Fence.id, Fence.name).where(Fence.id.in_(missing))).all())
    return {i: index.names.get(i, "") for i in fence_ids}
