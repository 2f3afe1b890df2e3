"""The community-centre desk registers a resident it cannot find (name and mobile number only),
then gives and prints their paper coupon in the same visit."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.db import db
from core.identity.models import Role, User
from core.identity.operations import authenticate
from core.problems import InvalidCredentials
from merchant.models import WalletCoupon
from tests.races import race
from wallet import assisted


def _desk(app, signed_in, make_campaign):
    desk, _ = signed_in(Role.STAFF)
    with app.app_context():
        campaign_id = make_campaign().id
        db.session.commit()
    return desk, campaign_id


def test_unknown_number_is_registered_and_gets_a_printed_coupon(app, signed_in, make_campaign):
    desk, campaign_id = _desk(app, signed_in, make_campaign)
    unknown = desk.get("/staff/coupons?who=139 0000 1234")
    assert unknown.status_code == 404
    page = unknown.get_data(as_text=True)
    assert "Register this resident" in page and 'value="+8613900001234"' in page
    registered = desk.post("/staff/coupons/register", data={"display_name": " Grandma  Liu ",
                                                            "phone": "+8613900001234"})
    assert registered.status_code == 302
    found = desk.get(registered.headers["Location"])
    assert found.status_code == 200 and "Grandma Liu is registered" in found.get_data(as_text=True)
    with app.app_context():
        resident = db.session.scalar(select(User).where(User.phone == "+8613900001234"))
        assert (resident.role, resident.display_name, resident.email) == (Role.RESIDENT, "Grandma Liu", None)
        resident_id = resident.id
        for guess in ("", "+8613900001234", "password"):  # nobody knows its password
            try:
                authenticate("+8613900001234", guess, now=resident.created_at)
            except InvalidCredentials:
                continue
            raise AssertionError(f"signed in with {guess!r}")
    given = desk.post("/staff/coupons/give", data={"resident_id": resident_id, "campaign_id": campaign_id},
                      follow_redirects=True)
    assert "Coupon given" in given.get_data(as_text=True)
    with app.app_context():
        coupon_id = db.session.scalar(select(WalletCoupon.id).where(WalletCoupon.resident_id == resident_id))
    printed = desk.post(f"/staff/coupons/{coupon_id}/print", data={"resident_id": resident_id})
    text = printed.get_data(as_text=True)
    assert printed.status_code == 200 and "<svg" in text
    assert len(re.search(r'class="printed-digits">([\d ]+)<', text)[1].replace(" ", "")) == 12
    assert 'href="/staff/coupons?who=%2B8613900001234"' in text  # back to the same resident


def test_a_known_number_is_not_offered_for_registration_and_registering_it_finds_the_resident(
        app, signed_in, make_user):
    desk, _ = signed_in(Role.STAFF)
    with app.app_context():
        make_user(Role.RESIDENT, identifier="13900005678", display_name="Old Zhang")
        make_user(Role.STAFF, identifier="13900007777")
        db.session.commit()
    assert "Register this resident" not in desk.get("/staff/coupons?who=13900007777").get_data(as_text=True)
    again = desk.post("/staff/coupons/register", data={"display_name": "Zhang", "phone": "139 0000 5678"},
                      follow_redirects=True)
    assert again.status_code == 200
    assert "already registered to Old Zhang" in again.get_data(as_text=True)
    staff_number = desk.post("/staff/coupons/register", data={"display_name": "X", "phone": "13900007777"})
    assert staff_number.status_code == 422
    assert "belongs to another kind of account" in staff_number.get_data(as_text=True)


def test_registration_takes_a_valid_mobile_number_and_a_name_only(app, signed_in):
    desk, _ = signed_in(Role.STAFF)
    email = desk.post("/staff/coupons/register", data={"display_name": "A", "phone": "a@example.org"})
    assert email.status_code == 422 and "Not a valid mobile number." in email.get_data(as_text=True)
    landline = desk.post("/staff/coupons/register", data={"display_name": "A", "phone": "021 5888 1234"})
    assert landline.status_code == 422 and "Not a valid mobile number." in landline.get_data(as_text=True)
    nameless = desk.post("/staff/coupons/register", data={"display_name": " ", "phone": "13900001111"})
    assert nameless.status_code == 422 and "Write the resident&#39;s name." in nameless.get_data(as_text=True)
    assert "Register this resident" not in desk.get("/staff/coupons?who=a@example.org").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.role == Role.RESIDENT)) == 0


def test_residents_and_shops_cannot_register_people(app, signed_in):
    resident, _ = signed_in(Role.RESIDENT)
    assert resident.post("/staff/coupons/register", data={"display_name": "A", "phone": "13900001111"}
                         ).status_code == 403


def test_one_number_registered_at_two_desks_at_once_makes_one_resident_and_both_see_it(app):
    results = race(app, 4, lambda i: assisted.register_resident(display_name=f"Desk {i}", phone="13900002222")[0].id)
    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.phone == "+8613900002222")) == 1
