"""Signing out ends the session on the server: a copy of the cookie stops working."""

import time

from sqlalchemy import select

from core.db import db
from core.identity.models import Role, UserSession
from linli import create_app
from tests.conftest import TEST_PASSWORD, CsrfClient, count, login


def _copy(client) -> CsrfClient:
    """Another browser holding a copy of this client's session cookie."""
    thief = client.application.test_client()
    thief.set_cookie("linli_session", client.get_cookie("linli_session").value)
    return thief


def test_a_cookie_copied_before_sign_out_stops_working(app, signed_in):
    client, _ = signed_in(Role.RESIDENT)
    copy = _copy(client)
    assert copy.get("/api/me").status_code == 200
    assert client.post("/api/auth/logout").status_code == 204
    response = copy.get("/api/me")
    assert response.status_code == 401 and response.json["type"] == "/problems/unauthorized"
    assert count(app, UserSession) == 0


def test_the_sign_out_page_ends_the_session_too(app, signed_in):
    client, _ = signed_in(Role.RESIDENT)
    copy = _copy(client)
    assert copy.get("/resident").status_code == 200
    assert client.post("/logout").status_code == 302
    assert copy.get("/resident").status_code == 302  # to the sign-in page


def test_other_workers_stop_trusting_a_closed_session_within_the_cache_ttl(app, signed_in, database_url):
    other = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "IDENTITY_CACHE_TTL_S": 0.3})
    other.test_client_class = CsrfClient
    client, _ = signed_in(Role.RESIDENT)
    on_other = other.test_client()
    on_other.set_cookie("linli_session", client.get_cookie("linli_session").value)
    assert on_other.get("/api/me").status_code == 200  # the other worker's cache now trusts it
    assert client.post("/api/auth/logout").status_code == 204
    time.sleep(0.4)
    assert on_other.get("/api/me").status_code == 401
    with other.app_context():
        db.engine.dispose()


def test_sign_out_everywhere_ends_every_device(app, make_user):
    with app.app_context():
        make_user(identifier="many@example.org")
        db.session.commit()
    phone, tablet = login(app, "many@example.org"), login(app, "many@example.org")
    copy = _copy(phone)
    assert phone.post("/api/auth/logout/everywhere").status_code == 204
    for device in (phone, tablet, copy):
        assert device.get("/api/me").status_code == 401
    assert count(app, UserSession) == 0
    login(app, "many@example.org")  # the account itself is fine


def test_the_account_bar_has_a_sign_out_everywhere_button(app, signed_in):
    client, _ = signed_in(Role.RESIDENT)
    page = client.get("/resident").get_data(as_text=True)
    assert 'action="/logout/everywhere"' in page
    tablet = _copy(client)
    assert client.post("/logout/everywhere").status_code == 302
    assert tablet.get("/api/me").status_code == 401


def test_password_change_closes_the_other_sessions_rows(app, make_user):
    with app.app_context():
        make_user(identifier="pw@example.org")
        db.session.commit()
    phone, _tablet = login(app, "pw@example.org"), login(app, "pw@example.org")
    assert count(app, UserSession) == 2
    assert phone.post("/api/me/password", json={"current_password": TEST_PASSWORD,
                                                "new_password": "another long password"}).status_code == 204
    assert count(app, UserSession) == 1 and phone.get("/api/me").status_code == 200


def test_a_session_without_a_server_side_id_is_refused(app, signed_in):
    client, _ = signed_in(Role.RESIDENT)
    with client.session_transaction() as session:
        session.pop("sid")
    assert client.get("/api/me").status_code == 401


def test_idle_sessions_are_purged(app, signed_in):
    from datetime import timedelta

    from core.db import utcnow

    signed_in(Role.RESIDENT)
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        row.seen_at = utcnow() - timedelta(days=31)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["accounts", "purge-sessions"])
    assert result.exit_code == 0 and "forgot 1" in result.output
    assert count(app, UserSession) == 0
