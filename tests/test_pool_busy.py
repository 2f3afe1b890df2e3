"""When every database connection of a worker stays taken, a request is told "busy, come back"
within the pool timeout, in the house format, instead of holding the worker for half a minute."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from core.config import engine_options
from core.db import db
from linli.app import create_app


@pytest.fixture
def one_connection_app(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no connection pool limit to exhaust: each thread opens the file")
    options = {**engine_options(database_url), "pool_size": 1, "max_overflow": 0, "pool_timeout": 0.3}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": options})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_an_exhausted_pool_answers_503_with_retry_after_at_once(one_connection_app):
    app = one_connection_app
    with app.app_context():
        held = db.engine.connect()  # the worker's only connection, held as a hot lock would hold it
        held.execute(text("SELECT 1"))
        try:
            client = app.test_client()
            started = time.monotonic()
            api = client.get("/api/airdrops/schedule")
            open311 = client.get("/open311/v2/services.json")
            page = client.get("/airdrops", headers={"Accept": "text/html"})
            elapsed = time.monotonic() - started
        finally:
            held.close()
        assert api.status_code == open311.status_code == page.status_code == 503
        assert api.mimetype == "application/problem+json"
        assert api.get_json()["type"] == "/problems/busy"
        assert open311.get_json()[0]["code"] == 503  # the Open311 spec's own error list
        assert api.headers["Retry-After"] == open311.headers["Retry-After"] == page.headers["Retry-After"] == "2"
        assert "try again in a moment" in page.get_data(as_text=True)
        assert elapsed < 5  # three pool timeouts of 0.3 s, not three waits of 30 s

        # Once the connection is back, the same request is served.
        assert client.get("/api/airdrops/schedule").status_code == 200
        assert client.get("/open311/v2/services.json").status_code == 200
