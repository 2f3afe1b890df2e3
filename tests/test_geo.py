"""core.geo against gcoord 1.0.7's own outputs (node, `gcoord.transform([lon, lat], ...)`), fixed here."""

from __future__ import annotations

import pytest
from geographiclib.geodesic import Geodesic

from core.geo import bd09_to_wgs84, from_wgs84, gcj02_to_wgs84, to_wgs84, wgs84_to_gcj02

# (WGS-84 lat, lon), gcoord WGS84 -> GCJ02, gcoord WGS84 -> BD09
GCOORD = [
    ((31.16, 121.501), (31.157943504458327, 121.50542165305677), (31.163589566760592, 121.5119957457731)),
    ((31.2397, 121.4998), (31.237686003172286, 121.50423275423528), (31.243334987863516, 121.51084199727683)),
    ((39.909, 116.397), (39.91040339728811, 116.40324350604497), (39.916744221722645, 116.40961569346796)),
    ((22.53, 113.93), (22.526963568167993, 113.93486343426251), (22.532630220926524, 113.94140921243294)),
]


def metres(a, b) -> float:
    return Geodesic.WGS84.Inverse(a[0], a[1], b[0], b[1])["s12"]


@pytest.mark.parametrize(("wgs", "gcj", "bd"), GCOORD)
def test_gcj02_matches_gcoord_to_the_bit_and_comes_back_within_a_centimetre(wgs, gcj, bd):
    assert wgs84_to_gcj02(*wgs) == gcj
    assert metres(gcj02_to_wgs84(*gcj), wgs) < 0.01
    assert metres(to_wgs84(*gcj, "gcj02"), wgs) < 0.01


@pytest.mark.parametrize(("wgs", "gcj", "bd"), GCOORD)
def test_bd09_matches_gcoord_and_comes_back_within_ten_centimetres(wgs, gcj, bd):
    assert metres(from_wgs84(*wgs, "bd09"), bd) < 0.01
    assert metres(bd09_to_wgs84(*bd), wgs) < 0.1


def test_the_offset_at_the_community_centre_is_about_480_m_and_wgs84_is_left_alone():
    centre = (31.16, 121.501)
    assert 470 < metres(wgs84_to_gcj02(*centre), centre) < 490
    assert to_wgs84(*centre, "wgs84") == centre == from_wgs84(*centre, "wgs84")


def test_outside_china_gcj02_is_the_identity_as_in_gcoord():
    london = (51.5072, -0.1276)
    assert wgs84_to_gcj02(*london) == london == gcj02_to_wgs84(*london)


def test_a_40_m_step_survives_the_round_trip_through_gcj02():
    start = (31.16, 121.501)
    step = Geodesic.WGS84.Direct(*start, 45, 40)
    end = gcj02_to_wgs84(*wgs84_to_gcj02(step["lat2"], step["lon2"]))
    assert metres(end, (step["lat2"], step["lon2"])) < 0.01
