"""The daily push budget is decided by the database: report changes decided at the same moment by
several job threads (each its own connection) never push a resident more than her budget."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from core.config import district_tz
from core.db import db
from reminders import operations, rules
from reminders.models import PushDecision
from tests.races import race

NOON_SHANGHAI = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, outside quiet hours


def test_simultaneous_decisions_stay_within_the_daily_budget(app, make_user):
    with app.app_context():
        resident_id = make_user().id
        db.session.commit()
        settings = operations.PushSettings(daily_budget=3, tz=district_tz())

    def decide(i: int):
        row = operations.decide(resident_id, kind="reports", key=f"report:{i}:note", payload={"body": str(i)},
                                now=NOON_SHANGHAI, settings=settings)
        return None if row is None else row.id

    results = race(app, 8, decide)
    assert not [r for r in results if isinstance(r, BaseException)], results
    with app.app_context():
        outcomes = dict(db.session.execute(
            select(PushDecision.outcome, func.count()).where(PushDecision.user_id == resident_id)
            .group_by(PushDecision.outcome)).all())
    assert outcomes == {rules.SEND: 3, rules.BUDGET: 5}, outcomes
    assert len([r for r in results if r is not None]) == 3  # only the sent ones go to delivery


def test_a_decision_already_taken_is_not_taken_again_under_a_race(app, make_user):
    with app.app_context():
        resident_id = make_user().id
        db.session.commit()
        settings = operations.PushSettings(daily_budget=3, tz=district_tz())

    results = race(app, 6, lambda i: operations.decide(resident_id, kind="reports", key="report:7:note",
                                                         payload={}, now=NOON_SHANGHAI, settings=settings))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len([r for r in results if r is not None]) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PushDecision)
                                 .where(PushDecision.user_id == resident_id)) == 1
