"""Which fences contain a point: an STR-tree (shapely) over fence envelopes, then exact tests.

Circles are tested with the haversine distance and, only near their edge, with geopy's geodesic
distance (the two differ by under 0.5 %), so the common case stays in microseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from geopy.distance import geodesic

from geofence.rules import haversine_m

METRES_PER_DEGREE = 111_320.0
# Haversine and geodesic distances differ by less than this share; closer to the edge, ask geopy.
EDGE_TOLERANCE = 0.005


@dataclass(frozen=True)
class FenceShape:
    id: int
    center_lat: float
    center_lon: float
    radius_m: float | None = None  # circle
    polygon: dict | None = None  # GeoJSON Polygon or MultiPolygon


@dataclass(frozen=True)
class Hit:
    fence_id: int
    center_lat: float
    center_lon: float


def circle_envelope(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    margin = 1.01  # a little slack: the envelope must never be smaller than the circle
    dlat = radius_m / METRES_PER_DEGREE * margin
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6)) * margin
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def within_circle(lat: float, lon: float, shape: FenceShape) -> bool:
    rough = haversine_m(shape.center_lat, shape.center_lon, lat, lon)
    if abs(rough - shape.radius_m) > shape.radius_m * EDGE_TOLERANCE + 1.0:
        return rough < shape.radius_m
    return geodesic((shape.center_lat, shape.center_lon), (lat, lon)).meters <= shape.radius_m


class FenceIndex:
    def __init__(self, shapes: list[FenceShape], revision: int = 0):
        self.revision = revision
        self._shapes = shapes
        self._polygons: dict[int, shapely.Geometry] = {}
        boxes = np.empty((len(shapes), 4))
        for i, shape in enumerate(shapes):
            if shape.polygon is not None:
                geometry = shapely.from_geojson(_json(shape.polygon))
                shapely.prepare(geometry)
                self._polygons[i] = geometry
                boxes[i] = geometry.bounds
            else:
                boxes[i] = circle_envelope(shape.center_lat, shape.center_lon, shape.radius_m)
        envelopes = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]) if shapes else []
        self._tree = shapely.STRtree(envelopes)

    def __len__(self) -> int:
        return len(self._shapes)

    def containing(self, lat: float, lon: float) -> list[Hit]:
        hits = []
        for i in self._tree.query(shapely.Point(lon, lat)):
            shape = self._shapes[i]
            polygon = self._polygons.get(int(i))
            inside = (shapely.contains_xy(polygon, lon, lat) if polygon is not None
                      else within_circle(lat, lon, shape))
            if inside:
                hits.append(Hit(shape.id, shape.center_lat, shape.center_lon))
        return hits


def _json(value: dict) -> str:
    import json

    return json.dumps(value)


def polygon_centroid(polygon: dict) -> tuple[float, float]:
    """(lat, lon) of a GeoJSON polygon's centroid."""
    point = shapely.from_geojson(_json(polygon)).centroid
    return point.y, point.x


class BadPolygon(ValueError):
    pass


def check_polygon(polygon: dict) -> None:
    """A GeoJSON Polygon or MultiPolygon with valid coordinates and a non-empty, valid area."""
    if not isinstance(polygon, dict) or polygon.get("type") not in ("Polygon", "MultiPolygon"):
        raise BadPolygon("Expected a GeoJSON Polygon or MultiPolygon.")
    try:
        geometry = shapely.from_geojson(_json(polygon))
    except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
        raise BadPolygon("Not valid GeoJSON.") from exc
    if geometry.is_empty or not geometry.is_valid or geometry.area == 0:
        raise BadPolygon("The polygon is empty or crosses itself.")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BadPolygon("Coordinates must be longitude, latitude within range.")
