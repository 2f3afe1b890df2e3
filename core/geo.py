"""Coordinate systems of Chinese maps, pure: WGS-84 <-> GCJ-02 and BD-09 -> WGS-84.

Linli stores and checks WGS-84 only. GCJ-02 ("Mars coordinates") is what AMap and Tencent tiles
and geocoders draw in, offset from WGS-84 by a few hundred metres inside China (about 479 m at the
community centre); BD-09 is Baidu's further shift of GCJ-02. The browser converts with gcoord; this
is the public formula gcoord uses, so server checks and tests agree with it to the last bit
(tests/test_geo.py holds gcoord's own outputs). Outside China both are the identity, as in gcoord.
Arguments and results are (lat, lon), unlike gcoord's [lon, lat].
"""

from __future__ import annotations

import math

_A = 6378245.0
_EE = 0.00669342162296594323
_BD_PI = math.pi * 3000.0 / 180.0


def out_of_china(lat: float, lon: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _offset(lat: float, lon: float) -> tuple[float, float]:
    d_lat = _transform_lat(lon - 105.0, lat - 35.0)
    d_lon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = math.sin(rad_lat)
    magic = 1 - _EE * magic * magic
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _offset(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float, *, tolerance_deg: float = 1e-7, max_steps: int = 30) -> tuple[float, float]:
    """The inverse, by fixed-point iteration (the offset changes slowly): well under a centimetre."""
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(max_steps):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if abs(e_lat) < tolerance_deg and abs(e_lon) < tolerance_deg:
            break
    return w_lat, w_lon


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _BD_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_PI)
    return z * math.sin(theta), z * math.cos(theta)


def bd09_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))


def to_wgs84(lat: float, lon: float, crs: str) -> tuple[float, float]:
    """From a map's or geocoder's CRS (wgs84, gcj02, bd09) to what Linli stores."""
    if crs == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    if crs == "bd09":
        return bd09_to_wgs84(lat, lon)
    return lat, lon


def from_wgs84(lat: float, lon: float, crs: str) -> tuple[float, float]:
    """From WGS-84 to a map's or geocoder's CRS (what it expects to be asked in)."""
    if crs == "gcj02":
        return wgs84_to_gcj02(lat, lon)
    if crs == "bd09":
        g_lat, g_lon = wgs84_to_gcj02(lat, lon)
        x, y = g_lon, g_lat
        z = math.sqrt(x * x + y * y) + 0.00002 * math.sin(y * _BD_PI)
        theta = math.atan2(y, x) + 0.000003 * math.cos(x * _BD_PI)
        return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065
    return lat, lon
