"""Pure rules of campaigns, windows, plausibility, ranking and fence lookup: no app, no database."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airdrop.rules import IMPOSSIBLE_MOVEMENT, POOR_ACCURACY, Fix, Offer, implausible, rank_offers
from geofence.index import BadPolygon, FenceIndex, FenceShape, check_polygon
from geofence.rules import haversine_m
from merchant.rules import (
    BadWindow,
    InvalidTransition,
    discount_cents,
    display_status,
    face_value_cents,
    next_status,
    parse_windows,
    upcoming_windows,
    window_open,
)
from wallet.rules import shelf

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # Friday 19:00 in Shanghai


def test_campaign_state_machine():
    assert next_status("draft", "publish") == "published"
    assert next_status("published", "pause") == "paused"
    assert next_status("paused", "resume") == "published"
    for state in ("draft", "published", "paused"):
        assert next_status(state, "end") == "ended"
    for state, action in [("ended", "publish"), ("draft", "pause"), ("ended", "end"), ("published", "resume")]:
        with pytest.raises(InvalidTransition):
            next_status(state, action)


def test_display_status_follows_the_clock():
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)
    assert display_status("published", start, end, NOW) == "live"
    assert display_status("published", NOW + timedelta(hours=1), end, NOW) == "scheduled"
    assert display_status("published", start, NOW, NOW) == "ended"
    assert display_status("paused", start, end, NOW) == "paused"


def test_evening_windows_on_weekdays():
    windows = parse_windows([{"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "21:00"}])
    local = NOW.astimezone(SH)
    assert window_open(windows, local)  # Friday 19:00
    assert not window_open(windows, local.replace(hour=17, minute=59))
    assert not window_open(windows, local.replace(hour=21))
    assert not window_open(windows, local + timedelta(days=1))  # Saturday
    assert window_open([], local)  # no windows: any time


def test_window_crossing_midnight():
    windows = parse_windows([{"days": [4], "start": "22:00", "end": "02:00"}])
    friday = NOW.astimezone(SH)
    assert window_open(windows, friday.replace(hour=23))
    assert window_open(windows, (friday + timedelta(days=1)).replace(hour=1))
    assert not window_open(windows, (friday + timedelta(days=1)).replace(hour=3))
    assert not window_open(windows, friday.replace(hour=1))


@pytest.mark.parametrize("raw", [
    [{"days": [], "start": "18:00", "end": "21:00"}], [{"days": [7], "start": "18:00", "end": "21:00"}],
    [{"days": [1], "start": "25:00", "end": "21:00"}], [{"days": [1], "start": "18:00", "end": "18:00"}],
    [{"days": [1], "start": 18, "end": "21:00"}]])
def test_bad_windows_are_refused(raw):
    with pytest.raises(BadWindow):
        parse_windows(raw)


def test_upcoming_windows_for_the_schedule():
    windows = parse_windows([{"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "21:00"}])
    periods = upcoming_windows(windows, frm=NOW, until=NOW + timedelta(days=4, hours=5), tz=SH)
    starts = [start.strftime("%a %H:%M") for start, _ in periods]
    assert starts == ["Fri 19:00", "Mon 18:00", "Tue 18:00"]  # the current one, clipped to now
    assert all(end.hour == 21 for _, end in periods)


def test_discounts_never_exceed_the_bill_and_respect_the_cap():
    assert discount_cents(kind="amount", amount_off_cents=500, percent_off=None, percent_cap_cents=None,
                          bill_cents=300) == 300
    assert discount_cents(kind="percent", amount_off_cents=None, percent_off=20, percent_cap_cents=1000,
                          bill_cents=3000) == 600
    assert discount_cents(kind="percent", amount_off_cents=None, percent_off=20, percent_cap_cents=1000,
                          bill_cents=9999) == 1000
    assert face_value_cents(kind="percent", amount_off_cents=None, percent_off=15, percent_cap_cents=None,
                            min_spend_cents=0) == 750


def test_poor_accuracy_and_impossible_speed_are_refused():
    here = Fix(31.16, 121.50, NOW)
    assert implausible(accuracy_m=150, fix=here, last=None, max_accuracy_m=100, max_speed_mps=50) == POOR_ACCURACY
    ten_km_away_a_minute_ago = Fix(31.25, 121.50, NOW - timedelta(minutes=1))
    assert implausible(accuracy_m=10, fix=here, last=ten_km_away_a_minute_ago, max_accuracy_m=100,
                       max_speed_mps=50) == IMPOSSIBLE_MOVEMENT
    walked = Fix(31.1610, 121.50, NOW - timedelta(minutes=2))  # 110 m in 2 minutes
    assert implausible(accuracy_m=10, fix=here, last=walked, max_accuracy_m=100, max_speed_mps=50) is None
    jitter_same_second = Fix(31.16005, 121.50, NOW)  # 5 m of GPS noise, within accuracy
    assert implausible(accuracy_m=10, fix=here, last=jitter_same_second, max_accuracy_m=100,
                       max_speed_mps=50) is None


def test_ranking_prefers_what_the_resident_likes_and_says_why():
    noodles = Offer(1, ("noodles",), (), distance_m=300, value_cents=500, hours_left=500)
    tea = Offer(2, ("tea",), (), distance_m=100, value_cents=500, hours_left=500)
    ranked = rank_offers([tea, noodles], liked_tags=Counter({"noodles": 3}), local_hour=19)
    assert [r.offer.campaign_id for r in ranked] == [1, 2]
    codes = {reason["code"] for reason in ranked[0].reasons}
    assert {"you_like", "distance", "value"} <= codes
    assert ranked[0].reasons[0] == {"code": "you_like", "tags": ["noodles"]}
    # Without history, the closer shop wins.
    plain = rank_offers([noodles, tea], liked_tags=Counter(), local_hour=19)
    assert plain[0].offer.campaign_id == 2


def test_ranking_values_timeliness_value_and_expiry():
    late = Offer(1, ("late-night",), (), distance_m=200, value_cents=500, hours_left=500)
    bakery = Offer(2, ("bakery",), (), distance_m=200, value_cents=500, hours_left=500)
    assert rank_offers([bakery, late], liked_tags=Counter(), local_hour=21)[0].offer.campaign_id == 1
    assert rank_offers([late, bakery], liked_tags=Counter(), local_hour=7)[0].offer.campaign_id == 2
    rich = Offer(3, (), (), distance_m=200, value_cents=1500, hours_left=500)
    ending = Offer(4, (), (), distance_m=200, value_cents=500, hours_left=10)
    ranked = rank_offers([ending, rich], liked_tags=Counter(), local_hour=12)
    assert ranked[0].offer.campaign_id == 3
    assert {"code": "ending_soon", "hours": 10} in ranked[1].reasons


def test_circle_membership_is_geodesic_at_the_edge():
    index = FenceIndex([FenceShape(1, 31.16, 121.50, radius_m=300)])
    lat_edge = 31.16 + 299.0 / 110_850  # a metre or so inside, by geodesic latitude degrees near 31°N
    assert index.containing(31.16, 121.50) == [1]
    assert index.containing(lat_edge, 121.50) == [1]
    assert index.containing(31.16 + 305.0 / 110_850, 121.50) == []
    # The envelope is never smaller than the circle: due east, right at the rim, is still inside.
    assert index.containing(31.16, 121.50 + 299.5 / (111_320 * 0.8563)) == [1]
    assert abs(haversine_m(31.16, 121.50, 31.17, 121.50) - 1110) < 5


def test_index_finds_circles_and_polygons():
    square = {"type": "Polygon", "coordinates": [[[121.40, 31.10], [121.41, 31.10], [121.41, 31.11],
                                                  [121.40, 31.11], [121.40, 31.10]]]}
    index = FenceIndex([FenceShape(1, 31.16, 121.50, radius_m=300), FenceShape(2, 31.105, 121.405, polygon=square),
                        FenceShape(3, 31.161, 121.501, radius_m=50)])
    assert set(index.containing(31.16, 121.50)) == {1}
    assert set(index.containing(31.161, 121.501)) == {1, 3}
    assert index.containing(31.105, 121.405) == [2]
    assert index.containing(0, 0) == []
    assert FenceIndex([]).containing(31.16, 121.50) == []


@pytest.mark.parametrize("polygon", [
    {"type": "Point", "coordinates": [121.4, 31.1]},
    {"type": "Polygon", "coordinates": [[[121.4, 31.1], [121.41, 31.1], [121.4, 31.1]]]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},  # bow tie
    {"type": "Polygon", "coordinates": [[[200, 0], [201, 0], [201, 1], [200, 0]]]},
    {"type": "Polygon", "coordinates": "nonsense"},
])
def test_bad_polygons_are_refused(polygon):
    with pytest.raises(BadPolygon):
        check_polygon(polygon)


def test_wallet_shelves():
    later = NOW + timedelta(days=1)
    assert shelf(status="usable", expires_at=later, now=NOW) == "usable"
    assert shelf(status="usable", expires_at=NOW, now=NOW) == "expired"
    assert shelf(status="voided", expires_at=later, now=NOW) == "expired"
    assert shelf(status="redeemed", expires_at=NOW - timedelta(days=1), now=NOW) == "used"


@settings(max_examples=400, deadline=None)
@given(lat=st.floats(-80, 80), lon=st.floats(-179, 179), bearing=st.floats(0, 360),
       metres=st.floats(1, 50_000))
def test_fast_distance_estimate_stays_within_the_edge_tolerance_of_geopy(lat, lon, bearing, metres):
    """The index trusts its estimate only outside EDGE_TOLERANCE of the rim: the bound must hold."""
    import numpy as np
    from geopy.distance import geodesic

    from geofence.index import EDGE_SLACK_M, EDGE_TOLERANCE, local_distance_m, radii_of_curvature

    target = geodesic(meters=metres).destination((lat, lon), bearing)
    exact = geodesic((lat, lon), (target.latitude, target.longitude)).meters
    meridional, normal = radii_of_curvature(np.array([lat]))
    estimate = local_distance_m(np.array([lat]), np.array([lon]), meridional, normal, target.latitude,
                                target.longitude)[0]
    assert abs(estimate - exact) <= exact * EDGE_TOLERANCE + EDGE_SLACK_M


def test_index_agrees_with_brute_force_geopy():
    import json
    import random

    import shapely
    from geopy.distance import geodesic

    rng = random.Random(3)
    shapes = []
    for i in range(500):
        lat, lon = 31.16 + rng.uniform(-0.02, 0.02), 121.5 + rng.uniform(-0.02, 0.02)
        if i % 5 == 0:
            d = rng.uniform(0.0005, 0.003)
            shapes.append(FenceShape(i, lat, lon, polygon={"type": "Polygon", "coordinates": [[
                [lon - d, lat - d], [lon + d, lat - d], [lon, lat + d], [lon - d, lat - d]]]}))
        else:
            shapes.append(FenceShape(i, lat, lon, radius_m=rng.uniform(20, 500)))
    index = FenceIndex(shapes)
    for _ in range(120):
        lat, lon = 31.16 + rng.uniform(-0.02, 0.02), 121.5 + rng.uniform(-0.02, 0.02)
        expected = {s.id for s in shapes if (
            shapely.contains_xy(shapely.from_geojson(json.dumps(s.polygon)), lon, lat) if s.polygon
            else geodesic((s.center_lat, s.center_lon), (lat, lon)).meters <= s.radius_m)}
        assert set(index.containing(lat, lon)) == expected


def test_the_schedule_lists_each_day_with_its_windows_weekend_and_late_night_included():
    from airdrop.rules import windows_by_day

    tz = ZoneInfo("Asia/Shanghai")
    fri_late = (datetime(2026, 12, 4, 22, tzinfo=tz), datetime(2026, 12, 5, 2, tzinfo=tz))
    sat_day = (datetime(2026, 12, 5, 10, tzinfo=tz), datetime(2026, 12, 5, 21, tzinfo=tz))
    sat_late = (datetime(2026, 12, 5, 22, tzinfo=tz), datetime(2026, 12, 6, 2, tzinfo=tz))
    days = windows_by_day([sat_late, fri_late, sat_day])
    assert [(day.isoformat(), windows) for day, windows in days] == [
        ("2026-12-04", [fri_late]),  # after midnight it is still Friday night's window
        ("2026-12-05", [sat_day, sat_late]),
    ]
