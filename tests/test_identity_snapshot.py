"""The per-process identity snapshot never shows a device stale data about its own account."""

from core.db import db
from linli import create_app
from tests.conftest import TEST_PASSWORD, CsrfClient


def _worker(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = CsrfClient
    return app


def _same_phone_on(worker, phone):
    """A client of another worker carrying the phone's session cookie."""
    client = worker.test_client()
    client.set_cookie("linli_session", phone.get_cookie("linli_session").value)
    return client


def test_a_change_is_seen_at_once_by_another_worker(app, make_user, database_url):
    with app.app_context():
        make_user(identifier="two-workers@example.org")
        db.session.commit()
    worker_a, worker_b = _worker(database_url), _worker(database_url)
    phone = worker_a.test_client()
    phone.post("/api/auth/login", json={"identifier": "two-workers@example.org", "password": TEST_PASSWORD})
    # Worker B caches the snapshot...
    assert _same_phone_on(worker_b, phone).get("/api/me").json["locale"] is None
    # ...worker A records a change made from the phone...
    assert phone.patch("/api/me", json={"locale": "zh"}).status_code == 200
    # ...and the phone's next request, answered by B, already sees it.
    me = _same_phone_on(worker_b, phone).get("/api/me").json
    assert me["locale"] == "zh"
    for worker in (worker_a, worker_b):
        with worker.app_context():
            db.engine.dispose()


def test_a_deleted_account_is_signed_out_once_the_snapshot_expires(app, make_user):
    from core.identity.models import User

    app.config["IDENTITY_CACHE_TTL_S"] = 0
    with app.app_context():
        user_id = make_user(identifier="gone@example.org").id
        db.session.commit()
    client = app.test_client()
    client.post("/api/auth/login", json={"identifier": "gone@example.org", "password": TEST_PASSWORD})
    assert client.get("/api/me").status_code == 200
    with app.app_context():
        db.session.delete(db.session.get(User, user_id))
        db.session.commit()
    assert client.get("/api/me").status_code == 401
