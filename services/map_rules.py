"""Pure cell maths for the neighbourhood map: a bounding box and a zoom give a grid of square
screen cells, and the reports in one cell are one cluster.

No Flask, no database. Cells are aligned on the whole globe (never on the viewport), so panning
does not reshuffle clusters: a cell is `CELL_PX` screen pixels of Web Mercator at its zoom, as
degrees of longitude, and as degrees of latitude scaled by the cosine of the latitude band (whole
degrees) the box is in, which is Mercator's own scale to within 1 % across a district.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TILE_PX = 256
CELL_PX = 64
MAX_CELLS = 4096  # a box that would need more is clustered at a lower zoom
MIN_ZOOM, MAX_ZOOM = 0, 22
# From this zoom on every report is shown on its own: the street, where tapping a cluster could
# not zoom any further (tiles stop at 19).
SINGLES_ZOOM = 19
FIXED_DAYS = 30  # fixed reports stay on the map this long
STATUSES = ("open", "fixed", "all")


class BadBox(ValueError):
    """A bounding box that names no place on Earth; `reason` says why (one of BOX_REASONS)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


BOX_REASONS = ("shape", "lon", "lat", "order")


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    @property
    def middle_lat(self) -> float:
        return (self.south + self.north) / 2


def parse_bbox(text: str) -> BBox:
    """`w,s,e,n` in degrees (WGS-84), west before east, south before north, no wrap at 180°."""
    parts = (text or "").split(",")
    if len(parts) != 4:
        raise BadBox("shape")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise BadBox("shape") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise BadBox("shape")
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise BadBox("lon")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise BadBox("lat")
    if west >= east or south >= north:
        raise BadBox("order")
    return BBox(west, south, east, north)


@dataclass(frozen=True)
class Grid:
    zoom: int  # the zoom the cells are sized for, after coarsening
    dlat: float
    dlon: float
    clustered: bool  # False: every report on its own (SINGLES_ZOOM and closer)

    def cell(self, lat: float, lon: float) -> tuple[int, int]:
        """The cell of a point: the same floor() the SQL takes (both operands are never negative)."""
        return math.floor((lat + 90) / self.dlat), math.floor((lon + 180) / self.dlon)


def cell_degrees(zoom: int, lat: float) -> tuple[float, float]:
    """(dlat, dlon) of a CELL_PX cell at this zoom near this latitude."""
    dlon = 360 * CELL_PX / (TILE_PX * 2 ** zoom)
    band = min(85, abs(round(lat)))
    return dlon * math.cos(math.radians(band)), dlon


def cells_across(box: BBox, zoom: int) -> int:
    """How many cells of this zoom the box touches (at most; rows times columns)."""
    dlat, dlon = cell_degrees(zoom, box.middle_lat)
    rows = math.floor((box.north + 90) / dlat) - math.floor((box.south + 90) / dlat) + 1
    columns = math.floor((box.east + 180) / dlon) - math.floor((box.west + 180) / dlon) + 1
    return rows * columns


def grid_for(box: BBox, zoom: int, *, max_cells: int = MAX_CELLS) -> Grid:
    """The grid a request is answered on: the asked zoom, coarsened until the box holds at most
    max_cells cells, so that no box costs more than the whole district does."""
    zoom = min(max(int(zoom), MIN_ZOOM), MAX_ZOOM)
    while zoom > MIN_ZOOM and cells_across(box, zoom) > max_cells:
        zoom -= 1
    dlat, dlon = cell_degrees(zoom, box.middle_lat)
    return Grid(zoom, dlat, dlon, clustered=zoom < SINGLES_ZOOM)


def nearness_scale(lat: float) -> float:
    """How much a degree of longitude is shorter than one of latitude here: (dlat² + (k·dlon)²)
    orders points by distance like the metres would, near this latitude."""
    return math.cos(math.radians(max(-89.0, min(89.0, lat))))
