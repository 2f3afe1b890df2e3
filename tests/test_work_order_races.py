"""Work-order transitions under real concurrency: threads released together behind a barrier,
each with its own session, against PostgreSQL and SQLite; then the database is counted.

Every transition is one conditional UPDATE (services.operations._transition): of staff acting on
the same state at once exactly one wins, the others hear 409 with the state as it is now, and
residents disputing one fix at once reopen it once while every verdict is kept."""

from __future__ import annotations

import io
import re
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.errors import handle_problem
from core.identity.models import Role, User
from services import operations
from services.models import (
    Category,
    Event,
    Notification,
    Photo,
    PhotoKind,
    Resolution,
    ServiceRequest,
    Status,
    Verdict,
)
from services.operations import NewReport, WorkOrderConflict
from tests.conftest import login, make_residents
from tests.test_services import jpeg

CHANGED = "Someone else changed this work order first"
RESOLVED = "This report is resolved."


@pytest.fixture
def work_order(app, make_department, make_user):
    """One report of a department with `staff` colleagues, its reporter and `supporters`."""

    def make(*, staff: int = 2, supporters: int = 2) -> SimpleNamespace:
        with app.app_context():
            department = make_department()
            db.session.add(Category(code="lamp", name="Broken streetlight", department_id=department.id,
                                    sla_hours=48))
            db.session.flush()
            colleagues = [make_user(Role.STAFF, department_id=department.id) for _ in range(staff)]
            reporter = make_user(Role.RESIDENT)
            report = operations.file_report(NewReport(category_code="lamp", description="The lamp is dark.",
                                                      address="12 Dongming Road", reporter_id=reporter.id),
                                            now=utcnow())
            followers = make_residents(supporters) if supporters else []
            for user_id in followers:
                operations.support(report, user_id, utcnow())
            db.session.commit()
            return SimpleNamespace(id=report.id, ref=report.ref, staff=[u.identifier for u in colleagues],
                                   staff_ids=[u.id for u in colleagues], reporter_id=reporter.id,
                                   followers=sorted([reporter.id, *followers]))

    return make


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _version_of(page) -> int:
    return int(re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1))


def _together(n: int, act) -> list:
    """act(i) in n threads released together; what each returned, or the exception it raised."""
    barrier = threading.Barrier(n, timeout=60)
    results: list = [None] * n

    def run(i: int):
        try:
            results[i] = act(i, barrier)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _close_as(staff, ref: str, version: int, barrier=None):
    if barrier is not None:
        barrier.wait()
    return staff.post(f"/staff/requests/{ref}/close", content_type="multipart/form-data",
                      data={"resolution": "fixed", "note": "New bulb fitted", "version": str(version),
                            "photos": (io.BytesIO(jpeg("green")), "after.jpg")})


def test_twenty_staff_closing_one_work_order_at_once_close_it_once(app, work_order):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    w = work_order(staff=20, supporters=2)
    clients = [login(app, identifier) for identifier in w.staff]
    version = _version_of(clients[0].get(f"/staff/requests/{w.ref}"))

    answers = _together(20, lambda i, barrier: _close_as(clients[i], w.ref, version, barrier))

    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert [a.status_code for a in answers] == [302] * 20  # never a 500, never "database is locked"
    places = sorted(a.headers["Location"] for a in answers)
    assert places.count("/staff/queue") == 1 and places.count(f"/staff/requests/{w.ref}") == 19
    for client, answer in zip(clients, answers, strict=True):
        if answer.headers["Location"] != "/staff/queue":
            # A sentence over the fresh work order, already resolved.
            page = client.get(answer.headers["Location"]).get_data(as_text=True)
            assert CHANGED in page or RESOLVED in page, page[:2000]
    with app.app_context():
        report = db.session.get(ServiceRequest, w.id)
        assert report.status is Status.RESOLVED and report.version == version + 1
        assert _count(Event, Event.request_id == w.id, Event.kind == "resolved") == 1
        assert _count(Photo, Photo.request_id == w.id, Photo.kind == PhotoKind.AFTER) == 1
        told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "resolved")).all()
        assert sorted(told) == w.followers  # one each


def test_twenty_supporters_disputing_one_fix_at_once_reopen_it_once(app, work_order):
    w = work_order(staff=1, supporters=20)
    with app.app_context():
        staff = db.session.get(User, w.staff_ids[0])
        operations.close(db.session.get(ServiceRequest, w.id), staff, resolution=Resolution.FIXED,
                         note="New bulb fitted", after_photos=[jpeg()], duplicate_of=None, referral=None,
                         now=utcnow())
        db.session.commit()
    supporters = [u for u in w.followers if u != w.reporter_id]

    def dispute(i: int, barrier):
        with app.app_context():
            # What each of them saw: the fix, resolved. The connection goes back to the pool while
            # they wait (twenty would not fit), the report they read stays as they read it.
            report = db.session.get(ServiceRequest, w.id)
            db.session.expunge(report)
            db.session.rollback()
            barrier.wait()
            report = db.session.merge(report, load=False)
            operations.judge(report, supporters[i], confirmed=False, comment=f"Still dark, says {i}", now=utcnow())
            db.session.commit()

    results = _together(20, dispute)

    assert results == [None] * 20, [r for r in results if r is not None][:3]
    with app.app_context():
        report = db.session.get(ServiceRequest, w.id)
        assert report.status is Status.IN_PROGRESS and report.reopened and report.round == 2
        reopenings = _count(Event, Event.request_id == w.id, Event.kind == "disputed")
        assert report.disputes == reopenings == 1
        assert _count(Verdict, Verdict.request_id == w.id, Verdict.round == 1, Verdict.confirmed.is_(False)) == 20
        assert sorted(db.session.scalars(select(Verdict.comment))) == sorted(f"Still dark, says {i}"
                                                                             for i in range(20))
        told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "reopened")).all()
        assert sorted(told) == w.followers


def test_two_claims_of_what_both_saw_unassigned_one_wins(app, work_order):
    w = work_order(staff=2, supporters=0)
    first, second = (login(app, identifier) for identifier in w.staff)
    version = _version_of(first.get(f"/staff/requests/{w.ref}"))
    assert _version_of(second.get(f"/staff/requests/{w.ref}")) == version

    def claim(i: int, barrier):
        barrier.wait()
        return (first, second)[i].post(f"/staff/requests/{w.ref}/claim", data={"version": str(version)})

    answers = _together(2, claim)

    assert [a.status_code for a in answers] == [302, 302]
    with app.app_context():
        report = db.session.get(ServiceRequest, w.id)
        assert report.assignee_id in w.staff_ids and report.status is Status.ACKNOWLEDGED
        assert report.version == version + 1
        assert _count(Event, Event.request_id == w.id, Event.kind == "assigned") == 1
        assert _count(Event, Event.request_id == w.id, Event.kind == "status") == 1
    loser = (first, second)[w.staff_ids.index(report.assignee_id) ^ 1]
    page = loser.get(f"/staff/requests/{w.ref}").get_data(as_text=True)
    assert CHANGED in page


def test_two_claims_at_once_in_the_operation_one_wins(app, work_order):
    w = work_order(staff=2, supporters=0)

    def claim(i: int, barrier):
        with app.app_context():
            report = db.session.get(ServiceRequest, w.id)
            staff = db.session.get(User, w.staff_ids[i])
            barrier.wait()
            operations.claim(report, staff, utcnow())
            db.session.commit()
            return staff.id

    results = _together(2, claim)

    winners = [r for r in results if isinstance(r, int)]
    (lost,) = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and isinstance(lost, WorkOrderConflict) and lost.status == 409
    assert lost.extra["current"]["assignee_id"] == winners[0] and lost.extra["current"]["status"] == "acknowledged"
    with app.app_context():
        assert db.session.get(ServiceRequest, w.id).assignee_id == winners[0]
        assert _count(Event, Event.request_id == w.id, Event.kind == "assigned") == 1


def test_an_assign_decided_before_a_close_is_409_with_the_state_now_not_500(app, work_order):
    w = work_order(staff=2, supporters=0)
    with app.app_context():
        stale = db.session.get(ServiceRequest, w.id)  # read while it was still open
        staff = db.session.get(User, w.staff_ids[0])
        assert stale.status is Status.RECEIVED
        with app.app_context():  # meanwhile, a colleague closes it
            operations.close(db.session.get(ServiceRequest, w.id), db.session.get(User, w.staff_ids[1]),
                             resolution=Resolution.FIXED, note="Done", after_photos=[jpeg()], duplicate_of=None,
                             referral=None, now=utcnow())
            db.session.commit()
        with pytest.raises(WorkOrderConflict) as refused:
            operations.assign(stale, staff, w.staff_ids[0], utcnow())
        db.session.rollback()
    conflict = refused.value
    assert conflict.status == 409 and conflict.type == "/problems/work-order-conflict"
    assert conflict.extra["current"] == {"ref": w.ref, "status": "resolved", "assignee_id": None, "version": 2}
    # The API renders it as problem+json with the state it is in now.
    with app.test_request_context("/api/staff/requests"):
        response = handle_problem(conflict)
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 409 and body["current"]["status"] == "resolved" and body["current"]["version"] == 2
    with app.app_context():
        report = db.session.get(ServiceRequest, w.id)
        assert report.status is Status.RESOLVED and report.assignee_id is None
        assert _count(Event, Event.request_id == w.id, Event.kind == "assigned") == 0


def test_a_page_decided_on_an_older_version_says_so_and_shows_the_work_order(app, work_order):
    w = work_order(staff=2, supporters=0)
    first, second = (login(app, identifier) for identifier in w.staff)
    version = _version_of(first.get(f"/staff/requests/{w.ref}"))
    assert _close_as(second, w.ref, version).headers["Location"] == "/staff/queue"
    for action, data in (("assign", {"assignee_id": str(w.staff_ids[0])}), ("claim", {}),
                         ("status", {"status": "in_progress", "note": ""})):
        answer = first.post(f"/staff/requests/{w.ref}/{action}", data={**data, "version": str(version)})
        assert answer.status_code == 302 and answer.headers["Location"] == f"/staff/requests/{w.ref}"
        assert RESOLVED in first.get(answer.headers["Location"]).get_data(as_text=True)
    again = _close_as(first, w.ref, version)
    assert again.status_code == 302 and again.headers["Location"] == f"/staff/requests/{w.ref}"
    with app.app_context():
        assert _count(Event, Event.request_id == w.id, Event.kind.in_(("resolved", "assigned", "status"))) == 1
        assert db.session.get(ServiceRequest, w.id).assignee_id is None
