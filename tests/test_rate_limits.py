"""Sign-in limits are shared by every worker through Redis, and survive Redis going away."""

from core.db import db
from linli import create_app
from tests.conftest import TEST_PASSWORD, CsrfClient


def _worker(database_url: str, redis_url: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                      "RATELIMIT_STORAGE_URI": redis_url, "LOGIN_RATE_LIMIT": "4 per minute"})
    app.test_client_class = CsrfClient
    return app


def test_two_workers_share_one_limit_through_redis(app, make_user, database_url, redis_url):
    import random
    import uuid

    # Limits count per address and per account: our own of each keeps parallel runs sharing this
    # Redis apart (it is never flushed).
    address = {"REMOTE_ADDR": f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"}
    identifier = f"shared-{uuid.uuid4().hex[:12]}@example.org"
    with app.app_context():
        make_user(identifier=identifier)
        db.session.commit()
    first, second = _worker(database_url, redis_url), _worker(database_url, redis_url)
    body = {"identifier": identifier, "password": "wrong-wrong-wrong"}
    statuses = [worker.test_client().post("/api/auth/login", json=body, environ_base=address).status_code
                for worker in (first, second, first, second, first)]
    assert statuses == [401, 401, 401, 401, 429]
    for worker in (first, second):
        with worker.app_context():
            db.engine.dispose()


def test_sign_in_still_works_when_redis_is_gone(app, make_user, database_url):
    with app.app_context():
        make_user(identifier="resilient@example.org")
        db.session.commit()
    worker = _worker(database_url, "redis://127.0.0.1:1/0")
    response = worker.test_client().post("/api/auth/login", json={"identifier": "resilient@example.org",
                                                                  "password": TEST_PASSWORD})
    assert response.status_code == 200
    with worker.app_context():
        db.engine.dispose()
