"""The staff member's round through the pages, on both databases: a refused close shows the work
order as it really is, the timeline reads as sentences (en and zh), residents are told which
problem a notification is about and reading them marks them read, and the ranking counts open
work past its promised time against the department."""

import io
import re
from datetime import timedelta

from sqlalchemy import select

from core.db import db, utcnow
from services.models import Notification, ServiceRequest, Status
from tests import test_services as base
from tests.conftest import login
from tests.test_services import file, jpeg, the_report

district = base.district  # the same department, staff and residents as the services tests

NOTE = "Bulb replaced, fuse checked"


def _assigned(html: str) -> str:
    return re.search(r'<span id="assignee">([^<]*)</span>', html)[1]


def _close(staff, ref, **fields):
    return staff.post(f"/staff/requests/{ref}/close", content_type="multipart/form-data",
                      data={"resolution": "fixed", "note": NOTE, **fields})


def _timeline(html: str) -> list[str]:
    items = re.findall(r'<li class="[^"]*" data-sentence="[^"]*">(.*?)</li>', html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<time.*?</time>", "", item)).split()) for item in items]


def test_after_a_refused_close_the_page_shows_who_has_it_and_does_not_offer_to_take_it_again(app, district):
    d = district()
    file(login(app, d["resident"]), address="Outside no. 12 Dongming Road")
    ref = the_report(app).ref
    staff = login(app, d["staff"])
    staff.post(f"/staff/requests/{ref}/claim")
    for fields in ({}, {"resolution": ""}, {"photos": (io.BytesIO(b"not a photo"), "x.jpg")},
                   {"resolution": "duplicate", "photos": (io.BytesIO(jpeg()), "a.jpg"), "duplicate_of": "ZZZZ-ZZZZ"}):
        refused = _close(staff, ref, **fields)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422, fields
        assert _assigned(html) == "Sun Lei" and "I will do it" not in html
        assert "Acknowledged" in html and the_report(app).status is Status.ACKNOWLEDGED
        assert f"{NOTE}</textarea>" in html
    # The duplicate's fields were in play: they stay open to correct.
    assert re.search(r'<details class="close-other" open>', html)


def test_a_close_that_lost_to_a_colleague_shows_the_work_order_as_the_colleague_left_it(app, district):
    d = district()
    file(login(app, d["resident"]))
    report = the_report(app)
    staff = login(app, d["staff"])
    seen = report.version  # the page Sun Lei opened
    colleague = login(app, d["colleague"])
    colleague.post(f"/staff/requests/{report.ref}/claim")
    lost = _close(staff, report.ref, version=str(seen), photos=(io.BytesIO(jpeg()), "after.jpg"))
    assert lost.status_code == 302 and the_report(app).status is Status.ACKNOWLEDGED
    page = staff.get(lost.headers["Location"]).get_data(as_text=True)
    assert "Someone else changed this work order first" in page and _assigned(page) == "Li Na"
    assert "I will do it" in page  # it is Li Na's, Sun Lei may still take it on


def test_the_work_order_puts_the_order_the_way_there_and_closing_before_the_details(app, district):
    d = district()
    file(login(app, d["resident"]), address="Outside no. 12 Dongming Road",
         photos=(io.BytesIO(jpeg("navy")), "dark.jpg"))
    ref = the_report(app).ref
    html = login(app, d["staff"]).get(f"/staff/requests/{ref}").get_data(as_text=True)
    positions = [html.index(marker) for marker in (
        'id="order"', 'alt="Photo of the problem"', "Outside no. 12 Dongming Road", 'href="geo:', 'id="close"',
        'name="resolution"', 'id="close-note"', 'id="details-title"', 'id="audit-title"')]
    assert positions == sorted(positions)
    camera = re.search(r'<input type="file" id="after-photos"[^>]*>', html, flags=re.S)[0]
    assert 'accept="image/*"' in camera and 'capture="environment"' in camera


def test_the_timeline_reads_as_sentences_for_staff_and_the_public_in_english_and_chinese(app, district):
    d = district()
    file(login(app, d["resident"]))
    ref = the_report(app).ref
    staff = login(app, d["staff"])
    staff.post(f"/staff/requests/{ref}/claim")
    staff.post(f"/staff/requests/{ref}/assign", data={"assignee_id": str(d["colleague_id"])})
    staff.post(f"/staff/requests/{ref}/status", data={"status": "in_progress", "note": "Ladder ordered",
                                                     "public": "on"})
    staff.post(f"/staff/requests/{ref}/status", data={"status": "", "note": "Check the fuse box"})
    assert _close(staff, ref, photos=(io.BytesIO(jpeg()), "after.jpg")).status_code == 302
    work = _timeline(staff.get(f"/staff/requests/{ref}").get_data(as_text=True))
    assert work[1:] == ["Sun Lei took this on internal",
                        "Sun Lei changed the status from Received to Acknowledged",
                        "Sun Lei gave this to Li Na internal",
                        "Sun Lei changed the status from Acknowledged to In progress Ladder ordered",
                        "Sun Lei wrote a note internal Check the fuse box",
                        f"Sun Lei closed this: Fixed {NOTE}"]
    assert work[0].endswith("reported this")
    public = _timeline(app.test_client().get(f"/r/{ref}").get_data(as_text=True))
    assert public == ["Report received", "Status changed from Received to Acknowledged",
                      "Status changed from Acknowledged to In progress Ladder ordered", f"Closed: Fixed {NOTE}"]
    staff.set_cookie("linli_lang", "zh")
    zh = _timeline(staff.get(f"/staff/requests/{ref}").get_data(as_text=True))
    reader = app.test_client()
    reader.set_cookie("linli_lang", "zh")
    zh_public = _timeline(reader.get(f"/r/{ref}").get_data(as_text=True))
    assert "Sun Lei 接手了这项工作 内部" in zh and "状态从“已受理”改为“处理中” Ladder ordered" in zh_public
    for line in work + public + zh + zh_public:
        assert "→" not in line and "in_progress" not in line and "(fixed)" not in line


def test_residents_see_how_many_are_unread_which_problem_each_is_about_and_opening_reads_them(app, district):
    d = district()
    resident = login(app, d["resident"])
    file(resident, address="Outside no. 12 Dongming Road")
    ref = the_report(app).ref
    neighbour = login(app, d["neighbour"])
    neighbour.post(f"/r/{ref}/support")
    assert 'id="unread"' not in resident.get("/resident").get_data(as_text=True)  # nothing has happened yet
    staff = login(app, d["staff"])
    staff.post(f"/staff/requests/{ref}/claim")  # public: acknowledged
    staff.post(f"/staff/requests/{ref}/status", data={"status": "in_progress", "note": "On the way",
                                                     "public": "on"})
    home = resident.get("/resident").get_data(as_text=True)
    badge = re.search(r'<a class="button primary unread-link" id="unread"[^>]*>(.*?)</a>', home, flags=re.S)[1]
    assert '<span class="count-badge" aria-hidden="true">2</span>' in badge and "2 unread" in badge

    page = resident.get("/notifications").get_data(as_text=True)
    cards = re.findall(r'<a class="choice-card[^"]*"[^>]*>(.*?)</a>', page, flags=re.S)
    assert len(cards) == 2
    for card in cards:
        assert "Broken streetlight" in card and "Outside no. 12 Dongming Road" in card and ref in card
    assert page.count('class="badge new"') == 2  # shown as new this once
    with app.app_context():
        unread = db.session.scalars(select(Notification.user_id).where(Notification.read_at.is_(None))).all()
    assert unread == [d["neighbour_id"]] * 2  # the resident's are read; the neighbour's wait
    again = resident.get("/notifications").get_data(as_text=True)
    assert 'class="badge new"' not in again and 'id="unread"' not in resident.get("/resident").get_data(as_text=True)
    neighbour.set_cookie("linli_lang", "zh")
    assert "2 条未读" in neighbour.get("/resident").get_data(as_text=True)


def test_a_notification_without_an_address_quotes_the_description(app, district):
    d = district()
    resident = login(app, d["resident"])
    resident.post("/api/reports", json={"service_code": "streetlight", "description": "Lamp by the school is dark",
                                        "lat": 31.16, "lon": 121.50, "answers": {"lamp": "off"}})
    ref = the_report(app).ref
    login(app, d["staff"]).post(f"/staff/requests/{ref}/claim")
    page = resident.get("/notifications").get_data(as_text=True)
    assert "Broken streetlight" in page and "Lamp by the school is dark" in page


def test_the_ranking_counts_overdue_open_work_as_missed_and_explains_each_figure(app, district):
    d = district()
    resident = login(app, d["resident"])
    for i in range(3):
        file(resident, description=f"Lamp {i} is dark")
    with app.app_context():
        late = list(db.session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)))
        for r in late[1:]:
            r.expected_at = utcnow() - timedelta(hours=2)
        db.session.commit()
        first_ref = late[0].ref
    staff = login(app, d["staff"])
    _close(staff, first_ref, photos=(io.BytesIO(jpeg()), "after.jpg"))
    home = staff.get("/staff").get_data(as_text=True)
    assert re.search(r'id="overdue"[^>]*>.*?<span class="count-badge" aria-hidden="true">2</span>.*?2 overdue',
                     home, flags=re.S)  # the same open work past its promise, on the staff home
    html = app.test_client().get("/ranking").get_data(as_text=True)
    row = re.search(r'<tr class="[^"]*" data-department="Roads and Lighting">(.*?)</tr>', html, flags=re.S)[1]
    within = re.search(r"<td[^>]*data-within>(.*?)</td>", row, flags=re.S)[1]
    assert "33%" in within and "(1 of 3)" in within and "2 open past the promised time" in within
    assert "100%" not in within
    for key in ("filed", "ack", "close", "within", "disputed"):
        assert f'data-explains="{key}"' in html
    assert "Open work past its promised time counts as missed." in html
    assert all('data-label="' in cell for cell in re.findall(r"<td[^>]*>", row)[1:])


def test_counts_are_plural_aware(app, district):
    d = district()
    file(login(app, d["resident"]))
    ref = the_report(app).ref
    login(app, d["neighbour"]).post(f"/r/{ref}/support")
    track = app.test_client().get(f"/r/{ref}").get_data(as_text=True)
    assert '1 neighbour said "me too"' in track.replace("&#34;", '"')
    queue = login(app, d["staff"]).get("/staff/queue").get_data(as_text=True)
    assert "1 open work order, most urgent first." in queue
