"""The other two kinds: a change to a report reaches its reporter's phone after the commit, and a
coupon expiring tomorrow is pushed once; each in the resident's language, each a kind she can turn off."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core.db import db, utcnow
from core.identity.models import User
from merchant.models import WalletCoupon
from services import operations as services
from services.models import ServiceRequest
from tests.conftest import login
from tests.test_push_end_to_end import SHANGHAI, Browser, push_service  # noqa: F401 - the stand-in fixture
from tests.test_services import district, file  # noqa: F401 - fixtures


def test_a_public_note_on_my_report_is_pushed_after_the_commit(app, district, push_service):  # noqa: F811
    ids = district()
    resident = login(app, ids["resident"])
    browser = Browser(f"{push_service['url']}/push/me")
    assert resident.post("/api/push/subscriptions", json=browser.subscription()).status_code == 201
    assert file(resident).status_code in (302, 303)
    with app.app_context():
        report = db.session.scalars(select(ServiceRequest)).one()
        staff = db.session.scalar(select(User).where(User.email == ids["staff"]))
        services.add_note(report, staff, "We ordered a new lamp.", True, utcnow())
        assert push_service["received"] == []  # nothing leaves before the commit
        db.session.commit()
        ref = report.ref
    assert len(push_service["received"]) == 1
    message = browser.decrypt(push_service["received"][0]["body"])
    assert message["body"] == f"There is a new note on your report {ref}." and message["url"] == f"/r/{ref}"
    # Turned off on the settings page (a plain form): the next change is not pushed.
    page = resident.get("/settings/notifications")
    assert page.status_code == 200 and "Changes to reports I filed or support" in page.get_data(as_text=True)
    saved = resident.post("/settings/notifications", data={"airdrops": "on", "quiet_start": "22:00",
                                                           "quiet_end": "08:00"})
    assert saved.status_code == 302
    with app.app_context():
        report = db.session.scalars(select(ServiceRequest)).one()
        staff = db.session.scalar(select(User).where(User.email == ids["staff"]))
        services.add_note(report, staff, "Fitted next week.", True, utcnow() + timedelta(seconds=1))
        db.session.commit()
    assert len(push_service["received"]) == 1


def test_a_coupon_expiring_tomorrow_is_pushed_once_in_chinese(app, shop, push_service):  # noqa: F811
    from reminders.jobs import expiring_pushes

    made = shop()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == made["resident"]))
        user.locale = "zh"
        coupon = db.session.get(WalletCoupon, made["coupons"][0][0])
        tomorrow = utcnow().astimezone(SHANGHAI).date() + timedelta(days=1)
        coupon.expires_at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 12, tzinfo=SHANGHAI)
        db.session.commit()
    browser = Browser(f"{push_service['url']}/push/zh")
    login(app, made["resident"]).post("/api/push/subscriptions", json=browser.subscription())
    for _ in range(2):
        with app.app_context():
            expiring_pushes(utcnow().astimezone(SHANGHAI).replace(hour=18, minute=0))
            db.session.commit()
    assert len(push_service["received"]) == 1
    message = browser.decrypt(push_service["received"][0]["body"])
    assert message["lang"] == "zh" and message["body"].endswith("优惠券明天到期。")


def test_following_the_shop_from_its_coupon_page_without_javascript(app, shop):
    made = shop()
    resident = login(app, made["resident"])
    coupon_id = made["coupons"][0][0]
    page = resident.get(f"/wallet/coupons/{coupon_id}").get_data(as_text=True)
    assert 'aria-pressed="false">Follow this shop</button>' in page
    followed = resident.post(f"/settings/notifications/shops/{made['merchant_id']}",
                             data={"follow": "on", "next": f"/wallet/coupons/{coupon_id}"})
    assert followed.status_code == 302 and followed.headers["Location"].endswith(f"/wallet/coupons/{coupon_id}")
    page = resident.get(f"/wallet/coupons/{coupon_id}").get_data(as_text=True)
    assert 'aria-pressed="true">Following this shop</button>' in page
    settings = resident.get("/settings/notifications").get_data(as_text=True)
    assert f'name="shop" value="{made["merchant_id"]}" checked' in settings
    away = resident.post(f"/settings/notifications/shops/{made['merchant_id']}",
                         data={"follow": "off", "next": "https://evil.example/"})
    assert away.headers["Location"].endswith("/settings/notifications")  # same-site paths only
    assert ">Follow this shop</button>" in resident.get(f"/wallet/coupons/{coupon_id}").get_data(as_text=True)
    assert resident.post("/settings/notifications/shops/999999", data={"follow": "on"}).status_code == 404
