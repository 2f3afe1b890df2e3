"""A report written without network, on a 390 px phone: kept on the phone with its photo, sent
by itself when the network returns, filed exactly once, and the resident is told.

The form is opened online (the service worker is in place), then the phone goes offline, the
resident writes the report (text, position, an answer, a real JPEG) and taps Send: the page says
it is kept. Back online, the report arrives (one row, its photo) and the page says it was sent
with its reference. Then the outbox's worst case: the same report is sent again by the page and
by the service worker at the same moment (as when a sync fired and the next visit flushes too):
still one report. Finally a report the server refuses waits to be corrected, never resent."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from core.db import db
from demo.district import CENTRE, DEMO_PASSWORD
from services.models import Photo, ServiceRequest
from tests.browser import PHONE, sign_in
from tests.conftest import ARTIFACTS

HERE = {"latitude": CENTRE[0] + 0.0002, "longitude": CENTRE[1] + 0.0001, "accuracy": 6}
TEXT = "Offline: the lamp by the north gate is dark since Monday."


def _jpeg(path) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), "#223355")
    ImageDraw.Draw(image).ellipse((260, 120, 380, 240), fill="#ffd34d")
    image.save(path, "JPEG", quality=85)
    return str(path)


def axe_clean(page):
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert not violations, [(v["id"], v["help"], v["nodes"][0]["html"][:120]) for v in violations]


def _reports(app, text: str = TEXT) -> list[tuple[str, int]]:
    with app.app_context():
        return db.session.execute(
            select(ServiceRequest.ref, func.count(Photo.id)).outerjoin(Photo, Photo.request_id == ServiceRequest.id)
            .where(ServiceRequest.description == text).group_by(ServiceRequest.ref)).all()


def _outbox(page) -> list[dict]:
    return page.evaluate("""LinliOutbox.all().then((items) =>
        items.map((i) => ({key: i.key, state: i.state, photos: i.photos.length, ref: i.ref || null})))""")


def test_a_report_written_offline_arrives_once_when_the_network_returns(chromium, demo_site, app, database_url,
                                                                        tmp_path):
    if database_url.startswith("postgresql"):
        pytest.skip("the phone's outbox, not the engine: the key's races are in tests/test_report_client_key.py")
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(**PHONE, locale="en-GB", geolocation=HERE,
                                   permissions=["geolocation", "background-sync"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, demo_site, "resident@linli.demo", DEMO_PASSWORD)
    page.goto(f"{demo_site}/report/streetlight")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15_000)

    context.set_offline(True)
    page.get_by_label("What is wrong?").fill(TEXT)
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#location-status")).to_contain_text("Location set")
    page.get_by_label("Off at night").check()
    page.locator("#photos").set_input_files(_jpeg(tmp_path / "lamp.jpg"))
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#outbox-status")).to_have_text(
        "No network. Your report is saved on this phone and will be sent by itself when you are back online.")
    expect(page.locator("#outbox-list li")).to_have_count(1)
    expect(page.locator("#outbox-list li")).to_contain_text("waiting for the network")
    assert page.get_by_label("What is wrong?").input_value() == ""  # ready for another report
    page.screenshot(path=str(ARTIFACTS / "offline-report-saved.png"), full_page=True)
    (kept,) = _outbox(page)
    assert kept["state"] == "waiting" and kept["photos"] == 1
    assert _reports(app) == []  # nothing left the phone
    axe_clean(page)
    # Written yesterday: the session's CSRF token has changed since. The outbox fetches a fresh one.
    page.evaluate("(key) => LinliOutbox.update(key, {csrf: 'a-token-from-yesterday'})", kept["key"])

    context.set_offline(False)
    sent = page.locator(".outbox-news")
    expect(sent).to_contain_text("was sent: reference", timeout=15_000)
    (filed,) = _reports(app)
    ref, photos = filed
    assert photos == 1
    expect(sent).to_contain_text(ref)
    expect(page.locator("#outbox")).to_be_hidden()
    assert _outbox(page) == []  # told, so gone from the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "offline-report-sent.png"), full_page=True)

    # The same report again, as if the phone had lost the server's answer: Background Sync fires
    # for it (Chromium syncs at once when online) and the next page opened asks to send it too.
    # One of them sends it, the client key makes the server answer with the same report.
    page.evaluate("""async ([key, text]) => {
        const form = document.querySelector("form[data-outbox]");
        await LinliOutbox.save({key, url: form.action, owner: form.dataset.outboxOwner, state: "waiting",
            at: Date.now(), time: "now", label: "again", csrf: Linli.csrfToken(), photos: [],
            fields: [["description", text], ["attribute[lamp]", "off"], ["address", "North gate"]],
            texts: {sent: "Sent again: {ref}", failed: "{reason}", sent_title: "t", failed_title: "t"}});
        const registration = await navigator.serviceWorker.ready;
        await registration.sync.register(LinliOutbox.TAG);
    }""", [kept["key"], TEXT])
    next_visit = context.new_page()
    next_visit.goto(f"{demo_site}/my/reports")
    expect(page.locator(".outbox-news").filter(has_text="Sent again")).to_have_text(f"Sent again: {ref}",
                                                                                  timeout=15_000)
    next_visit.close()
    page.wait_for_function("LinliOutbox.all().then((items) => items.length === 0)", timeout=15_000)
    assert _reports(app) == [(ref, 1)]

    # A report the server refuses (here: no place at all) is kept to be corrected, not resent.
    context.set_offline(True)
    page.get_by_label("What is wrong?").fill("No place given for this one.")
    page.evaluate("document.getElementById('lat').value = ''; document.getElementById('lon').value = ''")
    page.get_by_label("Off at night").check()
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("#outbox-status")).to_contain_text("saved on this phone")
    context.set_offline(False)
    refused = page.locator(".outbox-news.error")
    expect(refused).to_contain_text("was not sent", timeout=15_000)
    expect(page.locator("#outbox-list li")).to_contain_text("not sent")
    page.screenshot(path=str(ARTIFACTS / "offline-report-refused.png"), full_page=True)
    page.get_by_role("link", name="Correct it", exact=True).click()
    expect(page.get_by_label("What is wrong?")).to_have_value("No place given for this one.")
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator("#outbox-status")).to_contain_text("Your report is back in the form")
    page.screenshot(path=str(ARTIFACTS / "offline-report-corrected.png"), full_page=True)
    assert _reports(app, "No place given for this one.") == []
    assert errors == []
    context.close()
