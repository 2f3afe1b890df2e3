# ruff: noqa: F811 - pytest fixtures imported from tests.test_services are parameters here
"""A report sent twice is filed once: the phone's client key, decided by the database.

The offline outbox (static/js/outbox.js) may send a report again (a lost answer, the service
worker's sync and the page's flush both trying): each try carries the same key, and the INSERT
does nothing when a report already holds it, so the retry gets the first report back. Proved
with plain retries and with real threads on real connections, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import uuid

from sqlalchemy import func, select

from core.db import db, utcnow
from services import operations, rules
from services.models import Event, Photo, ServiceRequest
from services.operations import NewReport
from tests.conftest import login
from tests.races import race, race_clients
from tests.test_services import district, file, jpeg  # noqa: F401, F811 - the district fixture

JSON = {"Accept": "application/json"}


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_client_key_is_a_uuid_in_one_spelling_or_none():
    key = str(uuid.uuid4())
    assert rules.client_key(key.upper()) == key
    assert rules.client_key(f"  {key} ") == key
    assert rules.client_key("") is None and rules.client_key(None) is None
    assert rules.client_key("1; DROP TABLE service_request") is None
    assert rules.client_key(key + "0") is None


def test_the_form_sent_twice_with_one_key_is_one_report_and_the_same_answer(app, district):
    d = district()
    resident = login(app, d["resident"])
    key = str(uuid.uuid4())
    first = file(resident, client_key=key, photos=(io.BytesIO(jpeg()), "lamp.jpg"))
    again = file(resident, client_key=key, photos=(io.BytesIO(jpeg()), "lamp.jpg"))
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert _count(app, ServiceRequest) == 1
    assert _count(app, Photo) == 1 and _count(app, Event) == 1  # the retry added no photo, no event
    with app.app_context():
        assert db.session.scalar(select(ServiceRequest.client_key)) == key
    # Without a key every send is a report of its own, as before.
    file(resident)
    file(resident)
    assert _count(app, ServiceRequest) == 3


def test_a_script_gets_the_reference_as_json_and_the_same_one_again(app, district):
    d = district()
    resident = login(app, d["resident"])
    key = str(uuid.uuid4())
    owner = {**JSON, "Linli-Outbox": str(d["resident_id"])}
    first = resident.post("/report/streetlight", headers=owner, content_type="multipart/form-data", data={
        "description": "The lamp outside no. 12 is dark.", "attribute[lamp]": "off", "address": "12 Dongming Road",
        "client_key": key})
    assert first.status_code == 201, first.get_data(as_text=True)[:300]
    ref = first.get_json()["ref"]
    assert first.get_json()["url"] == f"/r/{ref}"
    again = resident.post("/report/streetlight", headers=owner, content_type="multipart/form-data", data={
        "description": "The lamp outside no. 12 is dark.", "attribute[lamp]": "off", "address": "12 Dongming Road",
        "client_key": key})
    assert again.status_code == 201 and again.get_json()["ref"] == ref
    assert _count(app, ServiceRequest) == 1
    # A refusal is a problem+json with the fields, for the outbox to keep the report and say why.
    bad = resident.post("/report/streetlight", headers=JSON, content_type="multipart/form-data",
                        data={"description": "", "address": "12 Dongming Road", "client_key": str(uuid.uuid4())})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"description", "attribute[lamp]"}
    assert _count(app, ServiceRequest) == 1


def test_the_outbox_never_files_a_report_under_someone_else(app, district):
    d = district()
    neighbour = login(app, d["neighbour"])
    # Written by the resident, sent after the neighbour signed in on the same phone: kept waiting.
    response = neighbour.post("/report/streetlight", headers={**JSON, "Linli-Outbox": str(d["resident_id"])},
                              content_type="multipart/form-data", data={
                                  "description": "Dark lamp.", "attribute[lamp]": "off", "address": "Gate 3",
                                  "client_key": str(uuid.uuid4())})
    assert response.status_code == 409 and response.get_json()["reason"] == "outbox-owner"
    assert _count(app, ServiceRequest) == 0


def test_a_key_already_used_by_someone_else_is_refused_and_shows_nothing_of_theirs(app, district):
    d = district()
    key = str(uuid.uuid4())
    assert file(login(app, d["resident"]), client_key=key).status_code == 302
    answer = file(login(app, d["neighbour"]), client_key=key)
    assert answer.status_code == 422
    with app.app_context():
        ref = db.session.scalar(select(ServiceRequest.ref))
    assert ref not in answer.get_data(as_text=True)
    assert _count(app, ServiceRequest) == 1


def test_eight_tries_of_one_report_at_once_file_it_once(app, district):
    """The outbox and the page (or several tabs) sending the same report at the same moment."""
    d = district()
    app.config["RATELIMIT_ENABLED"] = False
    clients = [login(app, d["resident"]) for _ in range(8)]
    key = str(uuid.uuid4())
    answers = race_clients(clients, lambda c: file(c, client_key=key, photos=(io.BytesIO(jpeg()), "lamp.jpg")))
    assert [a.status_code for a in answers] == [302] * 8, [a.get_data(as_text=True)[:200] for a in answers]
    assert len({a.headers["Location"] for a in answers}) == 1
    assert _count(app, ServiceRequest) == 1
    assert _count(app, Photo) == 1 and _count(app, Event) == 1


def test_the_operation_racing_itself_returns_one_report_to_every_caller(app, district):
    d = district()
    key = str(uuid.uuid4())

    def send(_i):
        return operations.file_report(NewReport(
            category_code="streetlight", description="Dark lamp.", address="Gate 3", answers={"lamp": "off"},
            reporter_id=d["resident_id"], client_key=key, photos=[jpeg()]), now=utcnow()).ref

    refs = race(app, 6, send)
    assert all(isinstance(r, str) for r in refs), refs
    assert len(set(refs)) == 1
    assert _count(app, ServiceRequest, ServiceRequest.client_key == key) == 1
    assert _count(app, Photo) == 1
