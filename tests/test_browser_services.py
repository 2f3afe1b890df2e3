"""On phone-sized screens: a resident reports a dark streetlight with a photo (and is shown the
report already filed nearby), tracks it; staff close it on site with a photo; the resident says
it is not fixed, the work order reopens at the top of the queue, and the ranking shows it."""

from __future__ import annotations

from playwright.sync_api import expect

from core.db import db, utcnow
from demo.district import CENTRE, DEMO_PASSWORD
from services.models import Channel
from services.operations import NewReport, file_report
from tests.browser import PHONE, sign_in
from tests.conftest import ARTIFACTS

HERE = {"latitude": CENTRE[0] + 0.0001, "longitude": CENTRE[1], "accuracy": 8}


def _photo(path, colour):
    from PIL import Image

    Image.new("RGB", (320, 240), colour).save(path, "JPEG")
    return str(path)


def test_report_track_close_dispute_and_rank(chromium, demo_site, app, database_url, tmp_path):
    engine = database_url.split(":")[0].split("+")[0]
    ARTIFACTS.mkdir(exist_ok=True)
    with app.app_context():
        earlier = file_report(NewReport(category_code="streetlight", description="Lamp at the corner flickers",
                                        lat=CENTRE[0], lon=CENTRE[1], answers={"lamp": "flickering"},
                                        channel=Channel.PHONE, contact={"name": "Mr Zhang"}), now=utcnow())
        db.session.commit()
        earlier_ref = earlier.ref

    phone = chromium.new_context(**PHONE, locale="en-GB", geolocation=HERE, permissions=["geolocation"])
    resident = phone.new_page()
    sign_in(resident, demo_site, "resident@linli.demo", DEMO_PASSWORD)
    resident.goto(f"{demo_site}/report")
    resident.get_by_role("link", name="Broken streetlight").click()
    resident.get_by_label("What is wrong?").fill("The lamp outside the bakery is dark every night.")
    resident.get_by_role("button", name="Use my location").click()
    expect(resident.locator("#location-status")).to_contain_text("Location set")
    expect(resident.locator("#nearby")).to_be_visible()
    expect(resident.locator("#nearby-list")).to_contain_text(earlier_ref)
    resident.screenshot(path=str(ARTIFACTS / f"report-duplicates-{engine}.png"), full_page=True)
    # Not the same lamp: file it anyway, with a photo.
    resident.get_by_label("Off at night").check()
    resident.locator("#photos").set_input_files(_photo(tmp_path / "dark.jpg", "navy"))
    resident.get_by_role("button", name="Send report").click()
    expect(resident.locator(".notice")).to_contain_text("Your reference is")
    ref = resident.locator("h1.ref").inner_text()
    expect(resident.locator(".timeline")).to_contain_text("Report received")
    expect(resident.locator("img.report-photo")).to_have_count(1)
    assert resident.evaluate("document.documentElement.scrollWidth") <= 390
    resident.screenshot(path=str(ARTIFACTS / f"report-tracking-{engine}.png"), full_page=True)

    desk = chromium.new_context(**PHONE, locale="en-GB")
    staff = desk.new_page()
    sign_in(staff, demo_site, "staff@linli.demo", DEMO_PASSWORD)
    staff.goto(f"{demo_site}/staff/queue")
    expect(staff.locator("#queue")).to_contain_text(ref)
    staff.locator("#queue a", has_text=ref).click()
    staff.get_by_role("button", name="I will do it").click()
    expect(staff.locator(".notice")).to_contain_text("Saved")
    staff.get_by_label("What was done").fill("Replaced the bulb and the fuse.")
    staff.locator("#after-photos").set_input_files(_photo(tmp_path / "lit.jpg", "yellow"))
    staff.screenshot(path=str(ARTIFACTS / f"work-order-{engine}.png"), full_page=True)
    staff.get_by_role("button", name="Close and tell the residents").click()
    expect(staff.locator(".notice")).to_contain_text("Closed")

    public = desk.new_page()
    public.goto(f"{demo_site}/ranking")
    disputed_cell = public.locator('tr[data-department="Roads and Lighting"] [data-disputed]')
    before = _percent(disputed_cell.inner_text())

    resident.goto(f"{demo_site}/notifications")
    expect(resident.locator(".choice-list")).to_contain_text("Your report was resolved")
    resident.goto(f"{demo_site}/r/{ref}")
    expect(resident.locator(".badge.status-resolved").first).to_be_visible()
    expect(resident.get_by_alt_text("Photo after the work")).to_be_visible()
    resident.get_by_label("Not fixed? Tell us what is still wrong").fill("Dark again since Tuesday.")
    resident.get_by_role("button", name="No, it is not fixed").click()
    expect(resident.locator(".notice")).to_contain_text("open again")
    expect(resident.locator(".timeline")).to_contain_text("reopened")

    staff.goto(f"{demo_site}/staff/queue")
    items = staff.locator("#queue li").all_inner_texts()
    mine = next(i for i, text in enumerate(items) if ref in text)
    assert "Reopened after a dispute" in items[mine]
    # Reopened work comes before everything that was not disputed.
    assert all("Reopened after a dispute" in text for text in items[:mine])
    staff.screenshot(path=str(ARTIFACTS / f"queue-reopened-{engine}.png"), full_page=True)

    public.reload()
    assert _percent(disputed_cell.inner_text()) > before  # the dispute counts against the department
    public.screenshot(path=str(ARTIFACTS / f"ranking-{engine}.png"), full_page=True)
    phone.close()
    desk.close()



def _percent(text: str) -> float:
    return 0.0 if text.strip() in ("", "–") else float(text.strip().rstrip("%"))
