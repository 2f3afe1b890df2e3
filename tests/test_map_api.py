"""The neighbourhood map's API on both engines: clusters and single reports add up to what the
database holds, on the grid the pure cell maths describes; filters; nothing personal; bad boxes."""

import math
import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from core.db import db, utcnow
from core.identity.models import Role
from services import map_rules
from services.map_rules import BadBox, BBox, grid_for, parse_bbox
from services.models import Category, Channel, Resolution, ServiceRequest, Status
from tests.conftest import CENTRE

DISTRICT = "121.47,31.13,121.53,31.19"


# --- the pure cell maths -----------------------------------------------------------------------

def test_a_cell_is_64_screen_pixels_and_halves_with_each_zoom():
    dlat, dlon = map_rules.cell_degrees(13, 31.16)
    assert dlon == pytest.approx(360 * 64 / (256 * 2 ** 13))
    assert dlat == pytest.approx(dlon * math.cos(math.radians(31)))
    assert map_rules.cell_degrees(14, 31.16)[1] == pytest.approx(dlon / 2)
    # 64 px at zoom 17 near the centre is about 65 m east-west (1.02 m a pixel).
    assert 111_320 * math.cos(math.radians(31.16)) * map_rules.cell_degrees(17, 31.16)[1] == pytest.approx(65, abs=1)


def test_the_grid_is_the_globes_so_panning_keeps_the_cells():
    here = grid_for(BBox(121.49, 31.15, 121.51, 31.17), 16)
    panned = grid_for(BBox(121.495, 31.152, 121.515, 31.172), 16)
    assert (here.dlat, here.dlon) == (panned.dlat, panned.dlon)
    assert here.cell(31.16, 121.50) == panned.cell(31.16, 121.50)


def test_a_box_too_large_for_its_zoom_is_clustered_coarser():
    district = parse_bbox(DISTRICT)
    assert grid_for(district, 13).zoom == 13
    assert map_rules.cells_across(district, 13) <= map_rules.MAX_CELLS
    # The whole district asked for at street zoom costs no more cells than the cap.
    coarse = grid_for(district, 19)
    assert coarse.zoom < 19 and coarse.clustered
    assert map_rules.cells_across(district, coarse.zoom) <= map_rules.MAX_CELLS
    assert map_rules.cells_across(district, coarse.zoom + 1) > map_rules.MAX_CELLS
    world = grid_for(BBox(-180, -90, 180, 90), 22)
    assert map_rules.cells_across(BBox(-180, -90, 180, 90), world.zoom) <= map_rules.MAX_CELLS
    # A street at zoom 19: every report on its own.
    street = grid_for(BBox(121.500, 31.159, 121.502, 31.161), 19)
    assert street.zoom == 19 and not street.clustered


@pytest.mark.parametrize("text, reason", [
    ("", "shape"), ("1,2,3", "shape"), ("a,b,c,d", "shape"), ("nan,1,2,3", "shape"), ("1,2,inf,4", "shape"),
    ("-181,0,1,1", "lon"), ("0,0,181,1", "lon"), ("0,-91,1,1", "lat"), ("0,0,1,90.5", "lat"),
    ("2,0,1,1", "order"), ("0,1,1,1", "order"),
])
def test_impossible_boxes_are_refused_with_their_reason(text, reason):
    with pytest.raises(BadBox) as refused:
        parse_bbox(text)
    assert refused.value.reason == reason


# --- the API -------------------------------------------------------------------------------------

@pytest.fixture
def seeded(app, make_department, make_user):
    """400 reports around the centre: open, fixed lately, fixed long ago, closed as duplicates,
    and a few with an address only. Returns what the map should show, by status and kind."""
    rng = random.Random(11)
    now = utcnow()
    with app.app_context():
        dept = make_department("Roads and Lighting")
        resident = make_user(Role.RESIDENT)
        cats = []
        for code, name in (("streetlight", "Broken streetlight"), ("pothole", "Pothole")):
            c = Category(code=code, name=name, department_id=dept.id, sla_hours=48)
            db.session.add(c)
            cats.append(c)
        db.session.flush()
        rows, expected = [], []
        for i in range(400):
            category = cats[i % 2]
            kind = rng.choice(["open", "open", "fixed", "old", "duplicate"])
            created = now - timedelta(days=rng.uniform(1, 90))
            closed = None
            if kind == "fixed":
                closed = now - timedelta(days=rng.uniform(0, 29))
            elif kind in ("old", "duplicate"):
                closed = now - timedelta(days=rng.uniform(31, 60) if kind == "old" else rng.uniform(0, 29))
            located = rng.random() > 0.05
            lat = CENTRE[0] + rng.gauss(0, 0.01) if located else None
            lon = CENTRE[1] + rng.gauss(0, 0.01) if located else None
            rows.append({
                "ref": f"MAPT-{i:04d}", "category_id": category.id, "department_id": dept.id,
                "description": f"Secret detail {i}", "lat": lat, "lon": lon, "address": "" if located else "9 Road",
                "answers": {}, "channel": Channel.PHONE, "reporter_id": resident.id, "contact": {"phone": "13800"},
                "status": Status.RESOLVED if closed else rng.choice([Status.RECEIVED, Status.IN_PROGRESS]),
                "resolution": (Resolution.DUPLICATE if kind == "duplicate" else Resolution.FIXED) if closed else None,
                "created_at": created, "expected_at": created + timedelta(hours=48), "closed_at": closed,
                "updated_at": closed or created,
            })
            if located and kind in ("open", "fixed"):
                expected.append((kind, category.code, lat, lon, f"MAPT-{i:04d}"))
        db.session.execute(insert(ServiceRequest), rows)
        db.session.commit()
    yield expected
    from services import map_index

    with app.app_context():
        map_index.settle()  # no snapshot still loading while the tables are emptied


def _get(client, **params):
    return client.get("/api/map/reports", query_string=params)


def _refs_and_count(body) -> tuple[set[str], int]:
    return {r["ref"] for r in body["reports"]}, sum(c["n"] for c in body["clusters"]) + len(body["reports"])


def test_clusters_and_reports_add_up_to_the_database_on_the_grid(client, seeded):
    for status, wanted in (("all", {"open", "fixed"}), ("open", {"open"}), ("fixed", {"fixed"})):
        response = _get(client, bbox=DISTRICT, zoom=14, status=status)
        assert response.status_code == 200
        body = response.get_json()
        inside = [e for e in seeded if e[0] in wanted and 31.13 <= e[2] <= 31.19 and 121.47 <= e[3] <= 121.53]
        assert body["total"] == len(inside) == _refs_and_count(body)[1]
        # Every cluster is a cell of the grid the rules describe, with the reports of that cell.
        grid = grid_for(parse_bbox(DISTRICT), 14)
        cells = Counter(grid.cell(lat, lon) for _, _, lat, lon, _ in inside)
        assert sorted(c["n"] for c in body["clusters"]) == sorted(n for n in cells.values() if n > 1)
        alone = {ref for _, _, lat, lon, ref in inside if cells[grid.cell(lat, lon)] == 1}
        assert _refs_and_count(body)[0] == alone
        for cluster in body["clusters"]:
            west, south, east, north = cluster["bbox"]
            assert west <= cluster["lon"] <= east and south <= cluster["lat"] <= north
    assert "Server-Timing" in response.headers and response.headers["Server-Timing"].startswith("map;dur=")


def test_a_street_shows_every_report_with_nothing_personal(client, seeded):
    open_ = sorted((e for e in seeded if e[0] == "open"), key=lambda e: abs(e[2] - CENTRE[0]) + abs(e[3] - CENTRE[1]))
    _, code, lat, lon, ref = open_[0]
    box = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    body = _get(client, bbox=box, zoom=19).get_json()
    assert body["clusters"] == []
    mine = next(r for r in body["reports"] if r["ref"] == ref)
    assert mine == {"ref": ref, "category": code, "status": mine["status"], "lat": round(lat, 6),
                    "lon": round(lon, 6)}
    assert mine["status"] in ("received", "in_progress")
    assert "Secret" not in _get(client, bbox=DISTRICT, zoom=19).get_data(as_text=True)
    assert "13800" not in _get(client, bbox=box, zoom=19).get_data(as_text=True)


def test_the_kind_filter_and_a_smaller_box(client, seeded):
    body = _get(client, bbox=DISTRICT, zoom=13, category="pothole").get_json()
    assert body["total"] == sum(e[1] == "pothole" and 31.13 <= e[2] <= 31.19 and 121.47 <= e[3] <= 121.53
                                for e in seeded)
    assert {r["category"] for r in body["reports"]} <= {"pothole"}
    west, south, east, north = 121.495, 31.155, 121.505, 31.165
    body = _get(client, bbox=f"{west},{south},{east},{north}", zoom=16).get_json()
    assert body["total"] == sum(south <= e[2] <= north and west <= e[3] <= east for e in seeded) > 0


@pytest.mark.parametrize("params, status, field", [
    ({"bbox": "121.53,31.13,121.47,31.19", "zoom": 14}, 422, "bbox"),
    ({"bbox": "200,31,201,32", "zoom": 14}, 422, "bbox"),
    ({"bbox": "121,95,122,96", "zoom": 14}, 422, "bbox"),
    ({"bbox": "1,2,3", "zoom": 14}, 422, "bbox"),
    ({"bbox": DISTRICT, "zoom": 40}, 422, "zoom"),
    ({"bbox": DISTRICT, "zoom": "x"}, 422, "zoom"),
    ({"bbox": DISTRICT}, 422, "zoom"),
    ({"bbox": DISTRICT, "zoom": 14, "status": "secret"}, 422, "status"),
    ({"bbox": DISTRICT, "zoom": 14, "category": "nope"}, 404, "category"),
])
def test_bad_questions_are_problems_beside_their_field(client, seeded, params, status, field):
    response = _get(client, **params)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json().get("errors", {})


# --- the per-worker snapshot answers what SQL answers -----------------------------------------------

def test_the_snapshot_clusters_like_sql_for_every_zoom_box_and_filter(app, seeded):
    from services import map_index, map_query

    now = utcnow()
    with app.app_context():
        snapshot = map_index.load_snapshot()
        boxes = [parse_bbox(DISTRICT), BBox(121.495, 31.155, 121.505, 31.165), BBox(121.50, 31.159, 121.502, 31.161)]
        for box in boxes:
            for zoom in (11, 13, 14, 15, 16, 17, 18, 19):
                grid = grid_for(box, zoom)
                for status in ("all", "open", "fixed"):
                    for category_id in (None, db.session.scalar(select(Category.id).where(Category.code == "pothole"))):
                        sql = map_query.reports_in(box, grid, now=now, status=status, category_id=category_id)
                        mine = map_index.reports_in(snapshot, box, grid, now=now, status=status,
                                                    category_id=category_id)
                        assert mine.total == sql.total, (box, zoom, status, category_id)
                        assert mine.reports == sql.reports
                        shape = [(c["n"], c["bbox"]) for c in sql.clusters]
                        assert [(c["n"], c["bbox"]) for c in mine.clusters] == shape
                        for a, b in zip(mine.clusters, sql.clusters, strict=True):
                            assert a["lat"] == pytest.approx(b["lat"], abs=2e-6)
                            assert a["lon"] == pytest.approx(b["lon"], abs=2e-6)


def test_a_new_report_reaches_the_snapshot_within_the_check(app, client, seeded):
    from services import map_index

    app.config["MAP_INDEX_CHECK_S"] = 0.0
    box = "121.600,31.300,121.602,31.302"  # nobody's there yet
    assert _get(client, bbox=box, zoom=19).get_json()["total"] == 0
    with app.app_context():
        assert map_index.settle() is not None
    response = _get(client, bbox=box, zoom=19)
    assert 'desc="index"' in response.headers["Server-Timing"] and response.get_json()["total"] == 0
    with app.app_context():
        now = utcnow()
        report = db.session.scalars(select(ServiceRequest).where(ServiceRequest.lat.is_not(None))).first()
        report.lat, report.lon, report.updated_at = 31.301, 121.601, now
        report.status, report.resolution, report.closed_at = Status.RECEIVED, None, None
        db.session.commit()
        ref = report.ref
    _get(client, bbox=box, zoom=19)  # sees the stamp move: a rebuild starts
    with app.app_context():
        map_index.settle()
    response = _get(client, bbox=box, zoom=19)
    assert 'desc="index"' in response.headers["Server-Timing"]
    assert [r["ref"] for r in response.get_json()["reports"]] == [ref]
    # Closed as a duplicate: off the map at the next refresh (only the changed report is read again).
    with app.app_context():
        report = db.session.scalar(select(ServiceRequest).where(ServiceRequest.ref == ref))
        report.status, report.resolution, report.closed_at = Status.RESOLVED, Resolution.DUPLICATE, utcnow()
        report.updated_at = utcnow()
        db.session.commit()
    _get(client, bbox=box, zoom=19)
    with app.app_context():
        map_index.settle()
    assert _get(client, bbox=box, zoom=19).get_json()["total"] == 0
    assert _get(client, bbox=DISTRICT, zoom=14).get_json()["total"] == sum(
        31.13 <= e[2] <= 31.19 and 121.47 <= e[3] <= 121.53 for e in seeded if e[4] != ref)
