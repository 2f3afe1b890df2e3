"""A connection the database server closed is never handed to a request (no pre-ping round trip)."""

import time

import pytest
from sqlalchemy import create_engine, text

from core.db import db


def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(50):  # until the server has really let go of it
            gone = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
            if gone.scalar() == 0:
                break
            time.sleep(0.02)
    admin.dispose()
    # The backend leaves pg_stat_activity a moment before its process exits and its socket closes.
    # A connection closed in that same instant is the one case a local check cannot see (the
    # statement then fails once and SQLAlchemy invalidates the pool); this test is about a server
    # that closed connections while they sat idle in the pool, so give the goodbye time to arrive.
    time.sleep(0.2)


def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a SQLite connection is a file: nothing can close it from the other end")
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.commit()
        db.session.remove()  # back to the pool, where the server now closes it
        _terminate(database_url, pid)
        again = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert again != pid


def test_a_request_after_a_server_restart_of_every_pooled_connection_succeeds(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("a SQLite connection is a file: nothing can close it from the other end")
    with app.app_context():
        sessions = [db.engine.connect() for _ in range(3)]
        pids = [c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in sessions]
        for conn in sessions:
            conn.close()
        for pid in pids:
            _terminate(database_url, pid)
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
