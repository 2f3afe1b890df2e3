"""HSTS wherever cookies are secure; a stranger's POST to a protected route hears "sign in", not "CSRF"."""

from linli import create_app


def test_production_sends_strict_transport_security(monkeypatch, sqlite_database):
    monkeypatch.setenv("LINLI_ENV", "production")
    monkeypatch.delenv("LINLI_PASSWORD_PROFILE")
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_database})
    response = app.test_client().get("/healthz", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_development_sends_no_strict_transport_security(app, client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_api_post_without_a_session_is_401_not_csrf_400(app, client):
    for path, body in [("/api/me/password", {"current_password": "x", "new_password": "y"}),
                       ("/api/reports", {"service_code": "x", "description": "x"}),
                       ("/api/airdrop/checkins", {"lat": 31.16, "lon": 121.5, "accuracy_m": 10})]:
        response = client.post(path, json=body, csrf=False)
        assert response.status_code == 401, (path, response.get_json())
        assert response.mimetype == "application/problem+json"
        assert response.json["type"] == "/problems/unauthorized"


def test_page_post_without_a_session_goes_to_sign_in(app, client):
    response = client.post("/staff/assisted", data={}, csrf=False)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_routes_open_to_strangers_keep_their_csrf_check(app, client):
    response = client.post("/api/auth/login", json={"identifier": "a@example.org", "password": "x"}, csrf=False)
    assert response.status_code == 400 and response.json["type"] == "/problems/csrf"


def test_signed_in_post_without_a_token_is_still_refused(app, signed_in):
    client, _ = signed_in()
    response = client.patch("/api/me", json={"large_text": True}, csrf=False)
    assert response.status_code == 400 and response.json["type"] == "/problems/csrf"
