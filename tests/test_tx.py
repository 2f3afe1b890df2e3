"""core.tx: effects wait for the commit, and a rollback takes them back with the work."""

from sqlalchemy import text

from core.db import db
from core.tx import after_commit


def test_an_effect_runs_after_the_commit_and_a_rollback_discards_it(app):
    ran: list[str] = []
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        after_commit(lambda: ran.append("kept"))
        assert ran == []  # not before the data is durable
        db.session.commit()
        assert ran == ["kept"]
        db.session.execute(text("SELECT 1"))
        after_commit(lambda: ran.append("undone"))
        db.session.rollback()
        db.session.commit()
    assert ran == ["kept"]


def test_a_savepoint_rolled_back_takes_only_its_own_effects(app):
    ran: list[str] = []
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        after_commit(lambda: ran.append("outer"))
        savepoint = db.session.begin_nested()
        after_commit(lambda: ran.append("inner, rolled back"))
        savepoint.rollback()
        released = db.session.begin_nested()
        after_commit(lambda: ran.append("inner, released"))
        released.commit()
        assert ran == []  # a released savepoint is not a commit
        db.session.commit()
    assert ran == ["outer", "inner, released"]


def test_with_no_transaction_open_the_effect_runs_at_once(app):
    ran: list[str] = []
    with app.app_context():
        db.session.commit()
        after_commit(lambda: ran.append("now"))
    assert ran == ["now"]
