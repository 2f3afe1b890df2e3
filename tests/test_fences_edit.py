"""Admins edit and delete geofences: shapes checked as on creation, one winner between two admins,
and every worker's index (so every check-in) follows the new shape or the deletion."""

from __future__ import annotations

import json
import math

from sqlalchemy import select

from core.db import db
from core.identity.models import Role
from geofence.models import Fence
from merchant.models import CampaignTarget, WalletCoupon
from tests.conftest import CENTRE
from tests.races import race_clients

LAT, LON = CENTRE
INSIDE = {"lat": LAT + 0.0005, "lon": LON + 0.0005, "accuracy_m": 10.0}  # ~70 m from the centre
FAR = {"lat": LAT + 0.0105, "lon": LON + 0.0105, "accuracy_m": 10.0}  # ~1.5 km away


def square(lat: float, lon: float, half: float = 0.002) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half],
                                                [lon + half, lat + half], [lon - half, lat + half],
                                                [lon - half, lat - half]]]}


def _settled(app):
    from geofence.registry import settle

    with app.app_context():
        settle()


def _check_in(app, signed_in, where: dict) -> dict:
    """A new resident's check-in (a new one each time: one resident can't jump 1.5 km)."""
    _settled(app)
    resident, _ = signed_in(Role.RESIDENT)
    response = resident.post("/api/airdrop/checkins", json=where)
    assert response.status_code == 200, response.json
    return response.json


def _polygon_with_campaign(app, signed_in, make_campaign, polygon: dict):
    app.config["FENCE_INDEX_CHECK_S"] = 0
    admin, _ = signed_in(Role.ADMIN)
    created = admin.post("/api/admin/fences", json={"name": "Market square", "kind": "polygon", "polygon": polygon})
    assert created.status_code == 201, created.json
    with app.app_context():
        campaign_id = make_campaign(fences=[created.json["id"]], inventory_total=100).id
        db.session.commit()
    return admin, created.json, campaign_id


def test_a_redrawn_polygon_drops_coupons_where_the_new_shape_is(app, signed_in, make_campaign):
    admin, fence, _ = _polygon_with_campaign(app, signed_in, make_campaign, square(LAT, LON))
    assert fence["version"] == 1
    assert _check_in(app, signed_in, INSIDE)["outcome"] == "dropped"
    assert _check_in(app, signed_in, FAR)["outcome"] == "outside"

    moved = admin.patch(f"/api/admin/fences/{fence['id']}", json={
        "polygon": square(FAR["lat"], FAR["lon"]), "name": "Market square (new site)", "version": 1})
    assert moved.status_code == 200, moved.json
    assert moved.json["version"] == 2 and moved.json["name"] == "Market square (new site)"
    assert math.isclose(moved.json["center_lat"], FAR["lat"], abs_tol=1e-6)  # the centroid follows
    assert _check_in(app, signed_in, INSIDE)["outcome"] == "outside"
    far = _check_in(app, signed_in, FAR)
    assert far["outcome"] == "dropped" and far["fences"][0]["name"] == "Market square (new site)"


def test_a_circle_moves_and_resizes(app, signed_in, make_fence, make_campaign):
    app.config["FENCE_INDEX_CHECK_S"] = 0
    with app.app_context():
        fence_id = make_fence(radius_m=300.0).id
        make_campaign(fences=[fence_id])
        db.session.commit()
    admin, _ = signed_in(Role.ADMIN)
    smaller = admin.patch(f"/api/admin/fences/{fence_id}", json={"radius_m": 40, "version": 1})
    assert smaller.status_code == 200 and smaller.json["radius_m"] == 40
    assert _check_in(app, signed_in, INSIDE)["outcome"] == "outside"  # 70 m from the centre
    moved = admin.patch(f"/api/admin/fences/{fence_id}", json={
        "center_lat": INSIDE["lat"], "center_lon": INSIDE["lon"], "version": 2})
    assert moved.status_code == 200 and moved.json["version"] == 3
    assert _check_in(app, signed_in, INSIDE)["outcome"] == "dropped"


def test_edits_are_checked_as_on_creation(app, signed_in, make_fence):
    admin, _ = signed_in(Role.ADMIN)
    polygon = admin.post("/api/admin/fences", json={"name": "P", "kind": "polygon", "polygon": square(LAT, LON)}).json
    with app.app_context():
        circle_id = make_fence().id
        db.session.commit()
    bow = {"type": "Polygon", "coordinates": [[[121.50, 31.16], [121.51, 31.17], [121.51, 31.16],
                                               [121.50, 31.17], [121.50, 31.16]]]}
    n = 501
    many = [[LON + 0.01 * math.cos(2 * math.pi * i / n), LAT + 0.01 * math.sin(2 * math.pi * i / n)] for i in range(n)]
    cases = [
        (polygon["id"], {"polygon": bow}, "polygon", "crosses itself"),
        (polygon["id"], {"polygon": {"type": "Polygon", "coordinates": [[*many, many[0]]]}}, "polygon", "500"),
        (polygon["id"], {"polygon": square(LAT, LON, half=0.3)}, "polygon", "50 km"),
        (polygon["id"], {"polygon": square(LAT, LON, half=0.00001)}, "polygon", "too small"),
        (polygon["id"], {"polygon": square(95, LON)}, "polygon", "within range"),
        (polygon["id"], {"polygon": {"type": "Point", "coordinates": [LON, LAT]}}, "polygon", "GeoJSON"),
        (polygon["id"], {"radius_m": 200}, "radius_m", "Only circles"),
        (circle_id, {"polygon": square(LAT, LON)}, "polygon", "Only polygons"),
        (circle_id, {"center_lat": 31.2}, "center_lon", "both"),
        (circle_id, {"center_lat": 91, "center_lon": 121.5}, "center_lat", ""),
        (circle_id, {"radius_m": 50_001}, "radius_m", ""),
        (circle_id, {"name": ""}, "name", ""),
    ]
    for fence_id, body, field, words in cases:
        refused = admin.patch(f"/api/admin/fences/{fence_id}", json=body)
        assert refused.status_code == 422, (body, refused.json)
        assert refused.mimetype == "application/problem+json"
        assert words in " ".join(refused.json["errors"][field]), refused.json
    # The creation form says the same about the new limits.
    huge = admin.post("/api/admin/fences", json={"name": "Huge", "kind": "polygon", "polygon": square(LAT, LON, 0.3)})
    assert huge.status_code == 422 and "50 km" in huge.json["errors"]["polygon"][0]
    assert admin.patch("/api/admin/fences/999999", json={"name": "x"}).status_code == 404
    resident, _ = signed_in(Role.RESIDENT)
    assert resident.patch(f"/api/admin/fences/{circle_id}", json={"name": "mine"}).status_code == 403
    assert resident.delete(f"/api/admin/fences/{circle_id}").status_code == 403
    with app.app_context():  # nothing above changed a fence
        assert [f.version for f in db.session.scalars(select(Fence).order_by(Fence.id))] == [1, 1]


def test_two_admins_edit_the_same_fence_and_one_gets_a_409(app, signed_in, make_fence):
    with app.app_context():
        fence_id = make_fence(name="Dongming").id
        db.session.commit()
    admins = [signed_in(Role.ADMIN)[0] for _ in range(2)]
    for admin in admins:
        admin.get("/api/auth/csrf")
    answers = race_clients(list(zip(admins, ["North gate", "South gate"], strict=True)), lambda pair: pair[0].patch(
        f"/api/admin/fences/{fence_id}", json={"name": pair[1], "version": 1}))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.json for a in answers]
    won, lost = sorted(answers, key=lambda a: a.status_code)
    assert lost.json["type"] == "/problems/fence-conflict"
    assert "Another admin changed this geofence first" in lost.json["detail"]
    assert lost.json["current"]["name"] == won.json["name"] and lost.json["current"]["version"] == 2
    with app.app_context():
        assert db.session.get(Fence, fence_id).name == won.json["name"]
    # A deletion decided on the old version loses too; on the current one it wins.
    stale = admins[0].delete(f"/api/admin/fences/{fence_id}?version=1")
    assert stale.status_code == 409 and stale.json["current"]["version"] == 2
    assert admins[0].delete(f"/api/admin/fences/{fence_id}?version=2").status_code == 204
    gone = admins[1].patch(f"/api/admin/fences/{fence_id}", json={"name": "Too late", "version": 3})
    assert gone.status_code == 404


def test_a_deleted_fence_stops_dropping_everywhere_and_keeps_its_history(app, signed_in, make_campaign,
                                                                          database_url):
    from geofence.registry import current_index, settle
    from linli import create_app

    admin, fence, campaign_id = _polygon_with_campaign(app, signed_in, make_campaign, square(LAT, LON))
    dropped = _check_in(app, signed_in, INSIDE)
    assert dropped["outcome"] == "dropped"
    other = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "FENCE_INDEX_CHECK_S": 0})
    with other.app_context():  # a second worker, whose index has the fence
        assert current_index().containing(INSIDE["lat"], INSIDE["lon"]) == [fence["id"]]

    assert admin.delete(f"/api/admin/fences/{fence['id']}").status_code == 204
    assert admin.delete(f"/api/admin/fences/{fence['id']}").status_code == 404
    assert admin.patch(f"/api/admin/fences/{fence['id']}", json={"active": True}).status_code == 404
    assert app.test_client().get("/api/fences").json == []
    assert _check_in(app, signed_in, INSIDE)["outcome"] == "outside"
    with other.app_context():
        current_index()  # sees the new revision: the rebuild runs off the request path
        assert settle().containing(INSIDE["lat"], INSIDE["lon"]) == []
        db.engine.dispose()
    with app.app_context():  # the campaign still names its target, the coupon where it dropped
        assert db.session.scalar(select(CampaignTarget.fence_id).where(CampaignTarget.campaign_id == campaign_id)) \
            == fence["id"]
        assert db.session.scalar(select(WalletCoupon.fence_id)) == fence["id"]
        assert db.session.get(Fence, fence["id"]).deleted_at is not None


def test_the_api_documents_edit_and_delete(app):
    spec = app.test_client().get("/api/openapi.json").json
    path = next(v for k, v in spec["paths"].items() if k.startswith("/api/admin/fences/{"))
    assert {"204", "404", "409"} <= set(path["delete"]["responses"])
    assert {"200", "404", "409", "422"} <= set(path["patch"]["responses"])
    patch_schema = spec["components"]["schemas"]["FencePatch"]["properties"]
    assert {"polygon", "center_lat", "center_lon", "radius_m", "version"} <= set(patch_schema)


def test_the_pages_without_javascript_edit_reshape_and_delete(app, signed_in, make_fence):
    with app.app_context():
        fence_id = make_fence(name="Dongming").id
        db.session.commit()
    admin, _ = signed_in(Role.ADMIN)
    listing = admin.get("/admin/fences").get_data(as_text=True)
    assert f'href="/admin/fences/{fence_id}"' in listing
    page = admin.get(f"/admin/fences/{fence_id}")
    assert page.status_code == 200 and 'name="version" value="1"' in page.get_data(as_text=True)
    form = {"name": "Dongming centre", "center_lat": "31.161", "center_lon": "121.502", "radius_m": "250",
            "version": "1"}
    saved = admin.post(f"/admin/fences/{fence_id}", data=form)
    assert saved.status_code == 302
    with app.app_context():
        fence = db.session.get(Fence, fence_id)
        assert (fence.name, fence.center_lat, fence.radius_m, fence.version) == ("Dongming centre", 31.161, 250, 2)
    # The server's sentence beside the field, in the reader's language; nothing saved.
    refused = admin.post(f"/admin/fences/{fence_id}", data={**form, "radius_m": "", "version": "2"})
    assert refused.status_code == 422
    assert 'id="radius_m-error"' in refused.get_data(as_text=True)
    # A page showing version 1 lost to the save above: the fence as it is now, and a clear sentence.
    stale = admin.post(f"/admin/fences/{fence_id}", data={**form, "name": "Old page"})
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Another admin changed this geofence first" in body
    assert 'value="Dongming centre"' in body and 'name="version" value="2"' in body
    # Deleting is two steps: the confirmation page, then its form.
    confirm = admin.get(f"/admin/fences/{fence_id}/delete")
    assert confirm.status_code == 200 and "Yes, delete this geofence" in confirm.get_data(as_text=True)
    assert admin.post(f"/admin/fences/{fence_id}/delete", data={"version": "1"}).status_code == 409
    deleted = admin.post(f"/admin/fences/{fence_id}/delete", data={"version": "2"}, follow_redirects=True)
    assert "deleted" in deleted.get_data(as_text=True) and "Dongming centre" not in deleted.get_data(as_text=True) \
        .split("</h1>", 1)[1].split("New geofence")[0]
    assert admin.get(f"/admin/fences/{fence_id}").status_code == 404


def test_a_polygon_page_takes_pasted_geojson_and_says_what_is_wrong(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    fence = admin.post("/api/admin/fences", json={"name": "P", "kind": "polygon", "polygon": square(LAT, LON)}).json
    chinese, _ = signed_in(Role.ADMIN, locale="zh")
    huge = chinese.post(f"/admin/fences/{fence['id']}", data={
        "name": "P", "polygon": json.dumps(square(LAT, LON, 0.3)), "version": "1"})
    assert huge.status_code == 422 and "50 公里" in huge.get_data(as_text=True)
    moved = admin.post(f"/admin/fences/{fence['id']}", data={
        "name": "P", "polygon": json.dumps(square(FAR["lat"], FAR["lon"])), "version": "1"})
    assert moved.status_code == 302
    with app.app_context():
        assert math.isclose(db.session.get(Fence, fence["id"]).center_lat, FAR["lat"], abs_tol=1e-6)


def test_a_page_open_while_another_admin_deletes_the_fence(app, signed_in, make_fence):
    with app.app_context():
        fence_id = make_fence(name="Old market").id
        db.session.commit()
    admin, other = signed_in(Role.ADMIN)[0], signed_in(Role.ADMIN)[0]
    assert admin.get(f"/admin/fences/{fence_id}").status_code == 200
    assert other.delete(f"/api/admin/fences/{fence_id}?version=1").status_code == 204
    late = admin.post(f"/admin/fences/{fence_id}", data={"name": "New market", "center_lat": "31.16",
                                                       "center_lon": "121.5", "radius_m": "300", "version": "1"})
    assert late.status_code == 404  # the page's fence is gone: the admin is told so, nothing is revived
    with app.app_context():
        fence = db.session.get(Fence, fence_id)
        assert (fence.name, fence.active) == ("Old market", False)
