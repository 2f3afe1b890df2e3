"""Which fences contain a point: an STR-tree (shapely) over fence envelopes, then exact tests.

Circles are decided by the geodesic distance on the WGS84 ellipsoid: geographiclib's Inverse,
the solver behind geopy.distance.geodesic, called for the distance alone (23 us instead of
geopy's 54 us with its point parsing). Even that is too slow for every candidate, so a
vectorised local-ellipsoid estimate settles the clear cases first; only points within
EDGE_TOLERANCE of the rim are solved exactly. (The estimate's error
against geopy is checked by a property test over latitudes and distances up to 50 km.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from geographiclib.geodesic import Geodesic

METRES_PER_DEGREE = 111_320.0
WGS84_A = 6_378_137.0
WGS84_E2 = 0.00669437999014
# The estimate below is within this share (plus EDGE_SLACK_M) of the geodesic distance; nearer the
# rim than that, geopy decides.
EDGE_TOLERANCE = 5e-4
EDGE_SLACK_M = 0.5
_WGS84 = Geodesic.WGS84


def radii_of_curvature(lat):
    """(meridional, normal) radii of the WGS84 ellipsoid at these latitudes, in metres."""
    w = 1 - WGS84_E2 * np.sin(np.radians(lat)) ** 2
    return WGS84_A * (1 - WGS84_E2) / w ** 1.5, WGS84_A / np.sqrt(w)


def local_distance_m(lat0, lon0, meridional, normal, lat: float, lon: float):
    """Distance from fence centres (lat0, lon0, with their radii of curvature) to one point,
    vectorised over the centres: exact enough near a centre, and cheap."""
    dlat = np.radians(lat - lat0)
    dlon = np.radians((lon - lon0 + 180) % 360 - 180) * np.cos(np.radians((lat0 + lat) / 2))
    return np.hypot(meridional * dlat, normal * dlon)


@dataclass(frozen=True)
class FenceShape:
    id: int
    center_lat: float
    center_lon: float
    radius_m: float | None = None  # circle
    polygon: dict | None = None  # GeoJSON Polygon or MultiPolygon


def _inside_circles(lats, lons, meridional, normal, radii, lat: float, lon: float):
    estimate = local_distance_m(lats, lons, meridional, normal, lat, lon)
    inside = estimate < radii
    for i in np.flatnonzero(np.abs(estimate - radii) <= radii * EDGE_TOLERANCE + EDGE_SLACK_M):
        inside[i] = _WGS84.Inverse(lats[i], lons[i], lat, lon, Geodesic.DISTANCE)["s12"] <= radii[i]
    return inside


class FenceIndex:
    def __init__(self, shapes: list[FenceShape], revision: int = 0):
        self._build(np.array([s.id for s in shapes], dtype=np.int64),
                    np.array([s.center_lat for s in shapes], dtype=float),
                    np.array([s.center_lon for s in shapes], dtype=float),
                    np.array([s.radius_m or 0.0 for s in shapes], dtype=float),
                    {i: s.polygon for i, s in enumerate(shapes) if s.polygon is not None}, revision)

    @classmethod
    def from_columns(cls, ids, lats, lons, radii, polygons: dict[int, dict], revision: int) -> FenceIndex:
        """From plain columns (position i of each), polygons by position: no object per fence."""
        index = cls.__new__(cls)
        index._build(np.asarray(ids, dtype=np.int64), np.asarray(lats, dtype=float),
                     np.asarray(lons, dtype=float), np.asarray(radii, dtype=float), polygons, revision)
        return index

    def _build(self, ids, lats, lons, radii, polygons: dict[int, dict], revision: int) -> None:
        self.revision = revision
        self.names: dict[int, str] = {}  # filled on demand by registry.fence_names
        n = len(ids)
        self._ids, self._lat, self._lon, self._radius = ids, lats, lons, radii
        self._is_polygon = np.zeros(n, dtype=bool)
        self._polygons = np.empty(n, dtype=object)
        self._meridional, self._normal = radii_of_curvature(lats)
        # Circle envelopes, vectorised; polygons overwrite theirs below.
        margin = 1.01  # the envelope must never be smaller than the circle
        dlat = radii / METRES_PER_DEGREE * margin
        dlon = radii / (METRES_PER_DEGREE * np.maximum(np.cos(np.radians(lats)), 1e-6)) * margin
        boxes = np.column_stack([lons - dlon, lats - dlat, lons + dlon, lats + dlat]) if n else np.empty((0, 4))
        for i, polygon in polygons.items():
            geometry = shapely.from_geojson(_json(polygon))
            shapely.prepare(geometry)
            self._polygons[i] = geometry
            self._is_polygon[i] = True
            boxes[i] = geometry.bounds
        envelopes = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]) if n else []
        self._tree = shapely.STRtree(envelopes)

    def __len__(self) -> int:
        return len(self._ids)

    def containing(self, lat: float, lon: float) -> list[int]:
        """Ids of the fences that contain the point."""
        candidates = self._tree.query(shapely.Point(lon, lat))
        if not len(candidates):
            return []
        polygon = self._is_polygon[candidates]
        circles, polygons = candidates[~polygon], candidates[polygon]
        found = []
        if len(circles):
            found.append(circles[_inside_circles(self._lat[circles], self._lon[circles], self._meridional[circles],
                                                 self._normal[circles], self._radius[circles], lat, lon)])
        if len(polygons):
            found.append(polygons[shapely.contains_xy(self._polygons[polygons], lon, lat)])
        return self._ids[np.concatenate(found)].tolist()


def _json(value: dict) -> str:
    import json

    return json.dumps(value)


def polygon_centroid(polygon: dict) -> tuple[float, float]:
    """(lat, lon) of a GeoJSON polygon's centroid."""
    point = shapely.from_geojson(_json(polygon)).centroid
    return point.y, point.x


# Limits for a polygon, like the circle's radius of at most 50 km: a fence is a neighbourhood's
# zone, and a bigger one is a slip of the mouse (or of a zoomed-out drawing tool).
MAX_VERTICES = 500
MAX_DIAGONAL_M = 50_000.0  # of the bounding box, on the ellipsoid
MIN_AREA_M2 = 10.0


class BadPolygon(ValueError):
    """What is wrong, for developers; `reason` (type, json, shape, range, vertices, large, small)
    for a sentence to people."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def area_m2(geometry) -> float:
    """Area of a lon/lat shapely geometry in square metres (local scale at its centre: ample for
    a size limit)."""
    lat = geometry.centroid.y
    meridional, normal = radii_of_curvature(lat)
    return float(geometry.area * np.radians(1) ** 2 * meridional * normal * np.cos(np.radians(lat)))


def vertex_count(geometry) -> int:
    """Corners of a (multi)polygon: each ring's closing point repeats its first."""
    parts = shapely.get_parts(geometry)
    rings = len(parts) + int(shapely.get_num_interior_rings(parts).sum()) if len(parts) else 0
    return int(shapely.get_num_coordinates(geometry)) - rings


def check_polygon(polygon: dict) -> None:
    """A GeoJSON Polygon or MultiPolygon with valid coordinates and a valid area, within the limits."""
    if not isinstance(polygon, dict) or polygon.get("type") not in ("Polygon", "MultiPolygon"):
        raise BadPolygon("Expected a GeoJSON Polygon or MultiPolygon.", "type")
    try:
        geometry = shapely.from_geojson(_json(polygon))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        raise BadPolygon("Not valid GeoJSON.", "json") from exc
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise BadPolygon("Expected a GeoJSON Polygon or MultiPolygon.", "type")
    minx, miny, maxx, maxy = geometry.bounds if not geometry.is_empty else (0, 0, 0, 0)
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BadPolygon("Coordinates must be longitude, latitude within range.", "range")
    if vertex_count(geometry) > MAX_VERTICES:
        raise BadPolygon(f"At most {MAX_VERTICES} points.", "vertices")
    if geometry.is_empty or not geometry.is_valid or geometry.area == 0:
        raise BadPolygon("The polygon is empty or crosses itself.", "shape")
    if _WGS84.Inverse(miny, minx, maxy, maxx, Geodesic.DISTANCE)["s12"] > MAX_DIAGONAL_M:
        raise BadPolygon("Larger than 50 km across.", "large")
    if area_m2(geometry) < MIN_AREA_M2:
        raise BadPolygon("Smaller than 10 square metres.", "small")
