"""The production server's worker model follows the database (gunicorn.conf.py)."""

import runpy
from pathlib import Path

import pytest

CONF = str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")


@pytest.mark.parametrize(("database_url", "worker"), [
    (None, "gthread"),  # the embedded default: SQLite in the instance folder
    ("sqlite:////srv/linli/linli.sqlite3", "gthread"),
    ("postgresql://linli@db/linli", "gevent"),
    ("postgres://linli@db/linli", "gevent"),
])
def test_sqlite_sites_get_threads_and_postgresql_sites_get_gevent(monkeypatch, database_url, worker):
    monkeypatch.delenv("LINLI_WORKER_CLASS", raising=False)
    if database_url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", database_url)
    assert runpy.run_path(CONF)["worker_class"] == worker


def test_an_operator_can_still_choose_the_worker_class(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////srv/linli/linli.sqlite3")
    monkeypatch.setenv("LINLI_WORKER_CLASS", "gevent")
    assert runpy.run_path(CONF)["worker_class"] == "gevent"
