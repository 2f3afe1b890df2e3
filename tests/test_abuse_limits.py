"""Report filing and the current-password check are rate limited; sign-up tells nobody who has an account."""

import pytest

from core.db import db
from core.identity.models import Role, User
from tests.conftest import TEST_PASSWORD, count, login
from tests.test_services import district, file  # noqa: F401 - the fixture, shared

REPORT = {"service_code": "streetlight", "description": "Dark lamp", "address": "12 Dongming Road",
          "answers": {"lamp": "off"}}


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_anonymous_reports_are_limited_per_address(app, district):  # noqa: F811
    district(allow_anonymous=True)
    app.config["REPORT_RATE_LIMIT"] = "2 per hour"
    stranger = _from(app, "203.0.113.7")
    statuses = [file(stranger).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    limited = file(stranger, description="Still dark.")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert file(_from(app, "198.51.100.1")).status_code == 302  # another address is not affected


def test_reports_through_the_api_are_limited_per_resident(app, district):  # noqa: F811
    ids = district()
    app.config["REPORT_RATE_LIMIT"] = "2 per hour"
    resident = login(app, ids["resident"])
    statuses = [resident.post("/api/reports", json=REPORT).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    refused = resident.post("/api/reports", json=REPORT)
    assert refused.mimetype == "application/problem+json" and refused.json["type"] == "/problems/rate-limited"
    assert login(app, ids["neighbour"]).post("/api/reports", json=REPORT).status_code == 201


def test_wrong_current_passwords_are_limited(app, signed_in):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client, _ = signed_in(Role.RESIDENT)
    body = {"current_password": "not-my-password", "new_password": "a brand new password"}
    assert [client.post("/api/me/password", json=body).status_code for _ in range(4)] == [401, 401, 401, 429]
    right = client.post("/api/me/password", json={**body, "current_password": TEST_PASSWORD})
    assert right.status_code == 429  # until the window passes, even the right one waits


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.STAFF, Role.ADMIN])
def test_sign_up_answers_the_same_for_a_taken_identifier(app, client, make_user, role):
    with app.app_context():
        make_user(role, identifier="taken@example.org")
        make_user(role, identifier="13800138077")
        db.session.commit()
    before = count(app, User)
    answers = []
    for identifier in ("taken@example.org", "free@example.org", "13800138077", "13800138078"):
        response = app.test_client().post("/api/auth/signup", json={
            "identifier": identifier, "password": "my new long password", "display_name": "Probe"})
        answers.append((response.status_code, response.json, "Set-Cookie" in response.headers
                        and "linli_device" in response.headers.get("Set-Cookie", "")))
    assert answers[0] == answers[1] == answers[2] == answers[3]
    assert answers[0][0] == 202
    assert count(app, User) == before + 2


def test_the_sign_up_page_answers_the_same_for_a_taken_identifier(app, make_user):
    with app.app_context():
        make_user(Role.ADMIN, identifier="admin-taken@example.org")
        db.session.commit()
    pages = []
    for identifier in ("admin-taken@example.org", "someone-new@example.org"):
        client = app.test_client()
        response = client.post("/signup", data={"identifier": identifier, "password": "my new long password",
                                                "display_name": "Probe"})
        pages.append((response.status_code, response.headers.get("Location"),
                      client.get("/login").get_data(as_text=True).count("Please sign in.")))
    assert pages[0] == pages[1] == (302, "/login", 1)
