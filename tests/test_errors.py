"""Bad input of every kind gets a problem+json 4xx and writes nothing."""

import pytest

from core.identity.models import User
from tests.conftest import TEST_PASSWORD, count

SIGNUP = {"identifier": "new@example.org", "password": TEST_PASSWORD, "display_name": "New"}


def assert_problem(response, status, type_=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("/problems/")
    if type_:
        assert body["type"] == type_
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "SELECT" not in text and "sqlalchemy" not in text.lower()
    return body


def test_malformed_json(app, client):
    response = client.post("/api/auth/signup", data='{"identifier": "x@', content_type="application/json")
    body = assert_problem(response, 400, "/problems/bad-request")
    assert "not valid JSON" in body["detail"]
    assert count(app, User) == 0


@pytest.mark.parametrize("field, value", [
    ("display_name", 42), ("identifier", ["a@b.cn"]), ("password", None), ("locale", "fr")])
def test_wrong_types_and_values(app, client, field, value):
    body = assert_problem(client.post("/api/auth/signup", json={**SIGNUP, field: value}), 422,
                          "/problems/validation")
    assert field in body["errors"]
    assert count(app, User) == 0


@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_booleans_are_not_coerced(app, signed_in, value):
    client, _ = signed_in()
    body = assert_problem(client.patch("/api/me", json={"large_text": value}), 422)
    assert body["errors"] == {"large_text": ["Please choose yes or no."]}
    assert client.get("/api/me").json["large_text"] is False


@pytest.mark.parametrize("value", ["3", 2.5, True])
def test_integers_are_not_coerced(app, signed_in, value):
    from core.identity.models import Role

    admin, _ = signed_in(Role.ADMIN)
    before = count(app, User)
    body = assert_problem(admin.post("/api/admin/accounts", json={
        "role": "staff", "identifier": "s@example.org", "password": TEST_PASSWORD, "display_name": "S",
        "department_id": value}), 422)
    assert "department_id" in body["errors"]
    assert count(app, User) == before


def test_unknown_field(app, client):
    body = assert_problem(client.post("/api/auth/signup", json={**SIGNUP, "is_admin": True}), 422)
    assert body["errors"] == {"is_admin": ["This field is not accepted here."]}
    assert count(app, User) == 0


def test_unknown_route(client):
    assert_problem(client.get("/api/no-such-thing"), 404, "/problems/not-found")


def test_unknown_page_asked_for_json(client):
    assert_problem(client.get("/no-such-page", headers={"Accept": "application/json"}), 404)


def test_unknown_page_for_a_browser_is_html(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_wrong_method_says_which_are_allowed(client):
    response = client.delete("/api/auth/signup")
    assert_problem(response, 405, "/problems/method-not-allowed")
    assert "POST" in response.headers["Allow"]


def test_missing_csrf_token(app, client):
    response = client.post("/api/auth/signup", json=SIGNUP, csrf=False)
    assert_problem(response, 400, "/problems/csrf")
    assert count(app, User) == 0


def test_forged_csrf_token(app, client):
    response = client.post("/api/auth/signup", json=SIGNUP, headers={"X-CSRFToken": "forged-token"})
    assert_problem(response, 400, "/problems/csrf")
    assert count(app, User) == 0


def test_token_from_another_session_is_refused(app):
    attacker = app.test_client()
    stolen = attacker.get("/api/auth/csrf").json["csrf_token"]
    victim = app.test_client()
    response = victim.post("/api/auth/signup", json=SIGNUP, headers={"X-CSRFToken": stolen})
    assert_problem(response, 400, "/problems/csrf")


def test_form_posts_need_the_token_too(app, client):
    response = client.post("/signup", data={**SIGNUP}, csrf=False, headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert count(app, User) == 0


def test_unauthenticated_api_call(client):
    assert_problem(client.get("/api/me"), 401, "/problems/unauthorized")


def test_huge_body_is_refused(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/auth/signup", data='{"x": "' + "a" * 4096 + '"}', content_type="application/json")
    assert_problem(response, 413, "/problems/too-large")


def test_unhandled_error_is_a_generic_500(app, client):
    @app.get("/api/boom")
    def boom():
        raise RuntimeError("SELECT secret FROM user_account -- internal detail")

    body = assert_problem(client.get("/api/boom"), 500, "/problems/internal")
    assert body["detail"] == "An unexpected error occurred."


def test_pagination_is_validated_strictly(signed_in):
    client, _ = signed_in()
    assert_problem(client.get("/api/departments?page=2.5"), 422)
    assert_problem(client.get("/api/departments?page_size=100000"), 422)
    assert_problem(client.get("/api/departments?page=0"), 422)


def test_absurd_ids_and_pages_are_4xx_not_500(app, signed_in):
    from core.identity.models import Role

    resident, _ = signed_in(Role.RESIDENT)
    huge = 10**30
    assert resident.get(f"/api/wallet/coupons/{huge}").status_code == 404
    assert resident.get(f"/wallet/coupons/{huge}").status_code == 404
    assert resident.get(f"/api/wallet/coupons?page={huge}").json == []
    assert resident.get(f"/wallet?page={huge}").status_code == 200
    visitor = app.test_client()
    assert visitor.get(f"/api/fences?page={huge}&page_size=50").json == []
    assert visitor.get(f"/api/airdrops/schedule?fence_id=-{huge}").status_code == 422
    assert visitor.get(f"/api/airdrops/schedule?fence_id={huge}").status_code == 422
    admin, _ = signed_in(Role.ADMIN)
    body = {"role": "staff", "identifier": "s@example.org", "password": "a long password",
            "display_name": "S", "department_id": huge}
    assert admin.post("/api/admin/accounts", json=body).status_code == 422
