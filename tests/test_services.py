"""Reports and work orders through the pages and the JSON API: filing, duplicates, the staff
queue and actions, closing with a photo, judging the fix, the ranking, and bad input."""

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.db import db, utcnow
from core.identity.models import Role
from services import rules
from services.models import (
    Category,
    Event,
    Notification,
    Photo,
    Question,
    QuestionType,
    ServiceRequest,
    Status,
)
from tests.conftest import CENTRE, login

HERE = {"lat": str(CENTRE[0]), "lon": str(CENTRE[1])}


def jpeg(colour="red", exif_gps=True) -> bytes:
    image = Image.new("RGB", (64, 48), colour)
    out = io.BytesIO()
    exif = Image.Exif()
    if exif_gps:
        exif[0x8825] = {1: "N", 2: (31.0, 9.0, 36.0)}  # GPSInfo: where the phone was
        exif[0x010F] = "PhoneMaker"
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def district(app, make_department, make_user):
    """A department with two staff, a streetlight category with a required question, a resident."""

    def make(**category):
        with app.app_context():
            dept = make_department("Roads and Lighting")
            other = make_department("Parks")
            c = Category(code="streetlight", name="Broken streetlight", group="Streets", department_id=dept.id,
                         sla_hours=48, **category)
            db.session.add(c)
            db.session.flush()
            db.session.add(Question(category_id=c.id, code="lamp", prompt="What is the lamp doing?",
                                    datatype=QuestionType.SINGLE, required=True,
                                    choices=[{"key": "off", "name": "Off"}, {"key": "flickering", "name": "Flickers"}]))
            staff = make_user(Role.STAFF, department_id=dept.id, display_name="Sun Lei")
            colleague = make_user(Role.STAFF, department_id=dept.id, display_name="Li Na")
            outsider = make_user(Role.STAFF, department_id=other.id)
            resident = make_user(Role.RESIDENT)
            neighbour = make_user(Role.RESIDENT)
            db.session.commit()
            ids = {"staff": staff.identifier, "colleague": colleague.identifier,
                   "colleague_id": colleague.id, "outsider": outsider.identifier,
                   "resident": resident.identifier, "resident_id": resident.id, "neighbour": neighbour.identifier,
                   "neighbour_id": neighbour.id, "department": dept.id}
        return ids

    return make


def file(client, **fields):
    data = {"description": "The lamp outside no. 12 is dark every night.", "attribute[lamp]": "off", **HERE,
            **fields}
    return client.post("/report/streetlight", data=data, content_type="multipart/form-data")


def count(app, model=ServiceRequest):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def the_report(app) -> ServiceRequest:
    with app.app_context():
        report = db.session.scalars(select(ServiceRequest)).one()
        db.session.expunge(report)
        return report


def test_rules_refuse_html_impossible_places_and_bad_answers():
    with pytest.raises(rules.RuleError):
        rules.clean_description("<script>alert(1)</script> lamp")
    assert rules.clean_description("Lamp is off, 3 < 5 & a > b") == "Lamp is off, 3 < 5 & a > b"
    with pytest.raises(rules.RuleError):
        rules.clean_location(None, None, "  ")
    with pytest.raises(rules.RuleError):
        rules.clean_location(91.0, 0.0, "")
    assert rules.clean_location(None, None, "12 Dongming Road") == (None, None, "12 Dongming Road")
    q = [rules.QuestionSpec("lamp", "?", "singlevaluelist", True, ("off", "flickering")),
         rules.QuestionSpec("n", "?", "number", False), rules.QuestionSpec("when", "?", "datetime", False),
         rules.QuestionSpec("m", "?", "multivaluelist", False, ("a", "b"))]
    answers, errors = rules.clean_answers(q, {"n": "3", "when": "2026-11-22T18:30+08:00", "m": ["b", "a"]})
    assert errors == {"lamp": ["Please answer this question."]} and answers["n"] == 3 and answers["m"] == ["a", "b"]
    _, errors = rules.clean_answers(q, {"lamp": "on fire", "when": "2026-11-22 18:30", "zzz": "1"})
    assert set(errors) == {"lamp", "when", "zzz"}
    # The queue's order is tested where production computes it: tests/test_one_rule.py.
    assert rules.normalize_ref("ab cd 2345") == "ABCD-2345" and len(rules.new_ref()) == 9


def test_a_resident_reports_with_a_photo_whose_location_is_stripped(app, district):
    d = district()
    resident = login(app, d["resident"])
    response = file(resident, photos=(io.BytesIO(jpeg()), "lamp.jpg"))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    report = the_report(app)
    assert response.headers["Location"].endswith(f"/r/{report.ref}")
    assert report.status is Status.RECEIVED and report.answers == {"lamp": "off"}
    assert report.expected_at - report.created_at == timedelta(hours=48)
    with app.app_context():
        content = db.session.scalar(select(Photo.content))
    assert Image.open(io.BytesIO(content)).getexif() == {}  # no GPS, no maker: re-encoded
    page = app.test_client().get(f"/r/{report.ref}")  # public, no sign-in
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Report received" in text and d["resident"] not in text


@pytest.mark.parametrize("fields, field", [
    ({"lat": "", "lon": "", "address": ""}, "address"),
    ({"description": "<b>dark</b> lamp"}, "description"),
    ({"attribute[lamp]": ""}, "attribute[lamp]"),
    ({"lat": "95", "lon": "10"}, "lat"),
])
def test_bad_reports_are_refused_and_nothing_is_stored(app, district, fields, field):
    d = district()
    resident = login(app, d["resident"])
    response = file(resident, **fields)
    assert response.status_code == 422 and count(app) == 0 and count(app, Photo) == 0
    assert b'class="error"' in response.data


def test_fake_images_and_huge_uploads_are_refused(app, district):
    d = district()
    resident = login(app, d["resident"])
    fake = file(resident, photos=(io.BytesIO(b"not a picture at all"), "lamp.jpg"))
    assert fake.status_code == 422 and b"not a photo" in fake.data and count(app) == 0
    huge = resident.post("/report/streetlight", data={"description": "x", "photos": (io.BytesIO(b"0" * (30 << 20)),
                                                                                      "big.jpg")},
                         content_type="multipart/form-data")
    assert huge.status_code == 413 and count(app) == 0
    api = resident.post("/api/reports", data=b"0" * (30 << 20), content_type="application/json")
    assert api.status_code == 413 and api.mimetype == "application/problem+json"


def test_json_api_files_and_shows_reports_without_personal_details(app, district):
    d = district()
    resident = login(app, d["resident"])
    created = resident.post("/api/reports", json={"service_code": "streetlight", "description": "Dark lamp",
                                                  "address": "12 Dongming Road", "answers": {"lamp": "off"}})
    assert created.status_code == 201, created.json
    public = app.test_client().get(f"/api/reports/{created.json['ref']}").json
    assert public["status"] == "received" and "reporter_id" not in public and "contact" not in public
    unknown = resident.post("/api/reports", json={"service_code": "nope", "description": "x", "address": "y"})
    assert unknown.status_code == 404
    missing = resident.post("/api/reports", json={"service_code": "streetlight", "description": "x", "address": "y"})
    assert missing.status_code == 422 and "attribute[lamp]" in missing.json["errors"]
    assert count(app) == 1


def test_nearby_open_reports_are_offered_and_me_too_is_counted_once(app, district):
    d = district()
    file(login(app, d["resident"]))
    report = the_report(app)
    near = app.test_client().get(f"/api/reports/nearby?category=streetlight&lat={CENTRE[0] + 0.0002}"
                                 f"&lon={CENTRE[1]}").json["nearby"]
    assert [n["ref"] for n in near] == [report.ref] and 15 < near[0]["distance_m"] < 30
    far = app.test_client().get(f"/api/reports/nearby?category=streetlight&lat={CENTRE[0] + 0.001}"
                                f"&lon={CENTRE[1]}").json["nearby"]
    assert far == []
    neighbour = login(app, d["neighbour"])
    for _ in range(2):
        neighbour.post(f"/r/{report.ref}/support")
    assert the_report(app).supporters == 1


def test_staff_work_the_queue_close_with_a_photo_and_residents_dispute(app, district):
    d = district()
    file(login(app, d["resident"]))
    report = the_report(app)
    login(app, d["neighbour"]).post(f"/r/{report.ref}/support")
    staff = login(app, d["staff"])
    queue = staff.get("/staff/queue")
    assert queue.status_code == 200 and report.ref in queue.get_data(as_text=True)
    assert login(app, d["outsider"]).get(f"/staff/requests/{report.ref}").status_code == 404

    staff.post(f"/staff/requests/{report.ref}/claim")
    staff.post(f"/staff/requests/{report.ref}/status", data={"status": "in_progress", "note": "Ladder ordered",
                                                            "public": "on"})
    staff.post(f"/staff/requests/{report.ref}/status", data={"status": "", "note": "Check fuse box first"})
    without_photo = staff.post(f"/staff/requests/{report.ref}/close",
                               data={"resolution": "fixed", "note": "New bulb"}, content_type="multipart/form-data")
    assert without_photo.status_code == 422 and the_report(app).status is Status.IN_PROGRESS
    closed = staff.post(f"/staff/requests/{report.ref}/close", content_type="multipart/form-data",
                        data={"resolution": "fixed", "note": "New bulb fitted",
                              "photos": (io.BytesIO(jpeg("green")), "after.jpg")})
    assert closed.status_code == 302
    done = the_report(app)
    assert done.status is Status.RESOLVED and done.acknowledged_at is not None and done.closed_at is not None

    public = app.test_client().get(f"/r/{report.ref}").get_data(as_text=True)
    assert "Ladder ordered" in public and "Check fuse box" not in public and "Sun Lei" not in public
    with app.app_context():
        told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "resolved")).all()
    assert sorted(told) == sorted([d["resident_id"], d["neighbour_id"]])

    neighbour = login(app, d["neighbour"])
    assert neighbour.post(f"/r/{report.ref}/judge", data={"verdict": "disputed"}).status_code == 302
    assert the_report(app).status is Status.RESOLVED  # a dispute needs a comment
    neighbour.post(f"/r/{report.ref}/judge", data={"verdict": "disputed", "comment": "Still dark at 9 pm"})
    reopened = the_report(app)
    assert reopened.status is Status.IN_PROGRESS and reopened.reopened and reopened.disputes == 1
    first = staff.get("/staff/queue").get_data(as_text=True)
    assert "Reopened after a dispute" in first
    ranking = app.test_client().get("/ranking").get_data(as_text=True)
    assert 'data-department="Roads and Lighting"' in ranking and "100%" in ranking  # disputed share
    with app.app_context():
        kinds = db.session.scalars(select(Event.kind).order_by(Event.id)).all()
    assert kinds[:2] == ["received", "supported"] and kinds[-1] == "disputed"


def test_assisted_report_gets_a_reference_and_keeps_the_contact_private(app, district):
    d = district()
    staff = login(app, d["staff"])
    response = staff.post("/staff/assisted", content_type="multipart/form-data", data={
        "category": "streetlight", "channel": "phone", "name": "Mrs Wang", "phone": "13800138000",
        "description": "Lamp by the bus stop is off", "address": "Bus stop, Dongming Road", "attribute[lamp]": "off"})
    assert response.status_code == 302
    report = the_report(app)
    assert report.channel.value == "phone" and report.contact == {"name": "Mrs Wang", "phone": "13800138000"}
    assert "Mrs Wang" not in app.test_client().get(f"/r/{report.ref}").get_data(as_text=True)
    assert "Mrs Wang" in staff.get(f"/staff/requests/{report.ref}").get_data(as_text=True)


def test_admins_manage_categories_and_their_questions(app, district, signed_in):
    d = district()
    admin, _ = signed_in(Role.ADMIN)
    created = admin.post("/admin/catalogue", data={"code": "bench", "name": "Broken bench", "department_id":
                                                   str(d["department"]), "sla_hours": "72", "active": "on"})
    assert created.status_code == 302, re.findall(r"class=\"error\"[^>]*>([^<]*)", created.get_data(as_text=True))
    bad = admin.post("/admin/catalogue/bench/questions", data={"code": "seat", "prompt": "Which part?",
                                                               "datatype": "singlevaluelist", "choices": "seat"})
    assert bad.status_code == 422  # a choice question needs two choices
    admin.post("/admin/catalogue/bench/questions", data={"code": "part", "prompt": "Which part is broken?",
                                                         "datatype": "singlevaluelist", "required": "on",
                                                         "choices": "seat|The seat\nback|The back rest"})
    with app.app_context():
        question = db.session.scalars(select(Question).where(Question.code == "part")).one()
        assert question.required and [c["key"] for c in question.choices] == ["seat", "back"]
    resident = login(app, d["resident"])
    page = resident.get("/report/bench").get_data(as_text=True)
    assert "Which part is broken?" in page and "The back rest" in page
    assert resident.get("/admin/catalogue").status_code == 403
    duplicate = admin.post("/admin/catalogue", data={"code": "bench", "name": "Again", "department_id":
                                                     str(d["department"]), "sla_hours": "72"})
    assert duplicate.status_code == 422


def test_the_queue_api_pages_the_departments_work_most_urgent_first(app, district):
    import json

    d = district()
    resident = login(app, d["resident"])
    for i in range(3):
        resident.post("/api/reports", json={"service_code": "streetlight", "description": f"Lamp {i}",
                                            "address": f"{i} Dongming Road", "answers": {"lamp": "off"}})
    with app.app_context():
        late = db.session.scalars(select(ServiceRequest).where(ServiceRequest.description == "Lamp 2")).one()
        late.expected_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    staff = login(app, d["staff"])
    first = staff.get("/api/staff/queue?page=1&page_size=2")
    assert first.status_code == 200
    assert [r["description"] for r in first.json] == ["Lamp 2", "Lamp 0"]  # overdue first, then the oldest
    assert json.loads(first.headers["X-Pagination"])["total"] == 3
    assert [r["description"] for r in staff.get("/api/staff/queue?page=2&page_size=2").json] == ["Lamp 1"]
    assert login(app, d["outsider"]).get("/api/staff/queue").json == []
    past_the_end = staff.get("/api/staff/queue?page=9&page_size=2")
    assert past_the_end.json == [] and json.loads(past_the_end.headers["X-Pagination"])["total"] == 3


def _error_beside(html: str, field: str) -> str | None:
    found = re.search(r'<p class="error" id="' + re.escape(field) + r'-error">([^<]*)</p>', html)
    return found[1] if found else None


def test_a_taken_category_or_question_code_is_a_sentence_beside_the_code(app, district, signed_in):
    d = district()
    admin, _ = signed_in(Role.ADMIN)
    form = {"code": "streetlight", "name": "Again", "department_id": str(d["department"]), "sla_hours": "72"}
    taken = admin.post("/admin/catalogue", data=form)
    html = taken.get_data(as_text=True)
    assert taken.status_code == 422 and _error_beside(html, "code") == "This code is taken."
    assert 'value="Again"' in html and count(app, Category) == 1
    bad = admin.post("/admin/catalogue", data={**form, "code": "x", "sla_hours": "soon"},
                     headers={"Accept-Language": "zh"})
    html = bad.get_data(as_text=True)
    assert _error_beside(html, "code") == "请使用 2 到 40 个小写字母、数字、- 或 _。"
    assert _error_beside(html, "sla_hours") == "请输入整数。"
    again = admin.post("/admin/catalogue/streetlight/questions", data={"code": "lamp", "prompt": "Again?",
                                                                     "datatype": "string"})
    assert again.status_code == 422
    assert _error_beside(again.get_data(as_text=True), "code") == "This category already has a question with this code."
    assert count(app, Question) == 1
    edit = admin.post("/admin/catalogue/streetlight", data={"name": "", "department_id": str(d["department"]),
                                                           "sla_hours": "0"})
    html = edit.get_data(as_text=True)
    assert edit.status_code == 422 and _error_beside(html, "name") == "Please fill this in."
    assert _error_beside(html, "sla_hours") == "Please enter a number from 1 to 8,760."


def test_the_unique_constraint_decides_a_taken_code_and_the_transaction_goes_on(app, district):
    from services import catalogue

    d = district()
    with app.app_context():
        data = {"code": "bench", "name": "Broken bench", "department_id": d["department"], "sla_hours": 72}
        catalogue.add_category(data)
        with pytest.raises(catalogue.CodeTaken) as taken:
            catalogue.add_category({**data, "name": "Another bench"})
        assert taken.value.status == 409 and taken.value.errors == {"code": ["This code is taken."]}
        db.session.commit()  # the savepoint took the duplicate back; the first category stands
    with app.app_context():
        assert db.session.scalars(select(Category.name).where(Category.code == "bench")).all() == ["Broken bench"]


def test_a_refused_close_shows_the_same_work_order_with_what_was_typed(app, district):
    d = district()
    file(login(app, d["resident"]))
    report = the_report(app)
    staff = login(app, d["staff"])
    staff.post(f"/staff/requests/{report.ref}/claim")
    refused = staff.post(f"/staff/requests/{report.ref}/close", content_type="multipart/form-data",
                         data={"resolution": "fixed", "note": "Bulb replaced, fuse checked"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and the_report(app).status is not Status.RESOLVED
    assigned = re.search(r"<dt>Assigned to</dt><dd>([^<]*)</dd>", html)
    assert assigned and assigned[1] == "Sun Lei"
    assert f'<option value="{d["colleague_id"]}">Li Na</option>' in html
    assert "Bulb replaced, fuse checked</textarea>" in html
    assert _error_beside(html, "photos") is not None
    normal = staff.get(f"/staff/requests/{report.ref}").get_data(as_text=True)
    assert re.search(r"<dt>Assigned to</dt><dd>([^<]*)</dd>", normal)[1] == "Sun Lei"


def test_the_report_form_says_what_is_missing_in_sentences_in_chinese(app, district):
    ids = district()
    resident = login(app, ids["resident"])
    resident.set_cookie("linli_lang", "zh")
    page = resident.post("/report/streetlight", data={"description": "", "attribute[lamp]": "", "lat": "31.16"},
                         content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and count(app) == 0
    for sentence in ("请描述问题。", "请回答这个问题。", "纬度和经度请一起填写。"):
        assert sentence in html, sentence
