"""Admins find and manage accounts and departments, and give one-time sign-in codes in person."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from core.db import db, utcnow
from core.identity.models import Department, MerchantRole, Role, User
from tests.conftest import TEST_PASSWORD, login


def _seed(app, make_user, *specs) -> list[int]:
    with app.app_context():
        ids = [make_user(role, **fields).id for role, fields in specs]
        db.session.commit()
    return ids


def _names(page) -> list[str]:
    return re.findall(r'class="account-name" href="/admin/accounts/\d+">([^<]+)<', page.get_data(as_text=True))


def _revision(app, user_id: int) -> int:
    with app.app_context():
        return db.session.get(User, user_id).revision


def _edit(user: User | dict, **changes) -> dict:
    fields = user if isinstance(user, dict) else {
        "display_name": user.display_name, "email": user.email or "", "phone": user.phone or "",
        "role": user.role.value, "revision": user.revision}
    return {**fields, **changes}


def _account(app, user_id: int) -> dict:
    with app.app_context():
        return _edit(db.session.get(User, user_id))


# --- search -------------------------------------------------------------------------------------

def test_search_finds_by_part_of_a_name_in_any_case_and_by_phone_digits_with_spaces(app, signed_in, make_user):
    admin, _ = signed_in(Role.ADMIN)
    _seed(app, make_user, (Role.RESIDENT, {"display_name": "Wang Fang", "identifier": "13800138000"}),
          (Role.RESIDENT, {"display_name": "Li Wei", "identifier": "liwei@example.org"}),
          (Role.STAFF, {"display_name": "Wang Lei", "identifier": "wanglei@example.org"}))
    assert sorted(_names(admin.get("/admin/accounts?q=wang"))) == ["Wang Fang", "Wang Lei"]
    assert _names(admin.get("/admin/accounts?q=138 0013-8000")) == ["Wang Fang"]
    assert _names(admin.get("/admin/accounts?q=0013")) == ["Wang Fang"]
    assert _names(admin.get("/admin/accounts?q=LIWEI@")) == ["Li Wei"]
    assert _names(admin.get("/admin/accounts?q=wang&role=staff")) == ["Wang Lei"]
    assert _names(admin.get("/admin/accounts?q=100%")) == []  # a LIKE wildcard is a character, not "anything"


def test_results_are_paginated_and_each_row_opens_the_account(app, signed_in, make_user):
    admin, _ = signed_in(Role.ADMIN)
    ids = _seed(app, make_user, *[(Role.RESIDENT, {"display_name": f"Neighbour {i}"}) for i in range(30)])
    first = admin.get("/admin/accounts?q=neighbour")
    assert len(_names(first)) == 25 and "Page 1 of 2" in first.get_data(as_text=True)
    second = admin.get("/admin/accounts?q=neighbour&page=2")
    assert len(_names(second)) == 5
    assert f'href="/admin/accounts/{ids[0]}"' in second.get_data(as_text=True)
    opened = admin.get(f"/admin/accounts/{ids[0]}")
    assert opened.status_code == 200 and "Neighbour 0" in opened.get_data(as_text=True)
    assert admin.get("/admin/accounts/999999").status_code == 404


# --- editing ------------------------------------------------------------------------------------

def test_admin_edits_name_email_and_phone(app, signed_in, make_user):
    admin, _ = signed_in(Role.ADMIN)
    (user_id,) = _seed(app, make_user, (Role.RESIDENT, {"display_name": "Old Name"}))
    sent = admin.post(f"/admin/accounts/{user_id}", data=_edit(_account(app, user_id), display_name="New Name",
                                                              email="new@example.org", phone="139 1234 5678"))
    assert sent.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.display_name, user.email, user.phone) == ("New Name", "new@example.org", "+8613912345678")
    assert login(app, "13912345678")  # the new number signs in


def test_taken_email_is_a_field_error_not_a_crash(app, signed_in, make_user):
    admin, _ = signed_in(Role.ADMIN)
    user_id, _other = _seed(app, make_user, (Role.RESIDENT, {}), (Role.RESIDENT, {"identifier": "taken@example.org"}))
    sent = admin.post(f"/admin/accounts/{user_id}", data=_edit(_account(app, user_id), email="TAKEN@example.org"))
    assert sent.status_code == 409
    assert 'id="email-error">Another account has this.' in sent.get_data(as_text=True)


def test_role_change_needs_its_membership_and_signs_the_account_out(app, signed_in, make_user, make_department,
                                                                   make_merchant):
    admin, _ = signed_in(Role.ADMIN)
    member, member_id = signed_in(Role.RESIDENT)
    with app.app_context():
        department_id, merchant_id = make_department().id, make_merchant().id
        db.session.commit()
    missing = admin.post(f"/admin/accounts/{member_id}", data=_edit(_account(app, member_id), role="staff"))
    assert missing.status_code == 422 and "Required for staff accounts." in missing.get_data(as_text=True)
    staff = admin.post(f"/admin/accounts/{member_id}",
                       data=_edit(_account(app, member_id), role="staff", department_id=department_id))
    assert staff.status_code == 302
    assert member.get("/resident").status_code == 302  # signed out: their role changed
    owner = admin.post(f"/admin/accounts/{member_id}", data=_edit(
        _account(app, member_id), role="merchant", merchant_id=merchant_id, merchant_role="owner"))
    assert owner.status_code == 302
    with app.app_context():
        user = db.session.get(User, member_id)
        assert (user.role, user.merchant_id, user.merchant_role, user.department_id) == (
            Role.MERCHANT, merchant_id, MerchantRole.OWNER, None)


def test_second_of_two_edits_from_the_same_version_gets_409_and_the_current_version(app, signed_in, make_user):
    admin, _ = signed_in(Role.ADMIN)
    (user_id,) = _seed(app, make_user, (Role.RESIDENT, {"display_name": "Zhang San"}))
    seen = _account(app, user_id)
    assert admin.post(f"/admin/accounts/{user_id}", data=_edit(seen, display_name="First Edit")).status_code == 302
    late = admin.post(f"/admin/accounts/{user_id}", data=_edit(seen, display_name="Second Edit"))
    page = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Someone else changed this account meanwhile; here is the current version." in page
    assert 'value="First Edit"' in page and f'name="revision" value="{_revision(app, user_id)}"' in page
    with app.app_context():
        assert db.session.get(User, user_id).display_name == "First Edit"


def test_racing_edits_of_one_version_leave_exactly_one_winner(app, signed_in, make_user):
    from tests.races import race_clients

    (user_id,) = _seed(app, make_user, (Role.RESIDENT, {}))
    admins = [signed_in(Role.ADMIN)[0] for _ in range(4)]
    seen = _account(app, user_id)
    answers = race_clients(list(enumerate(admins)), lambda pair: pair[1].post(
        f"/admin/accounts/{user_id}", data=_edit(seen, display_name=f"Edit {pair[0]}")))
    assert sorted(a.status_code for a in answers) == [302, 409, 409, 409]
    assert _revision(app, user_id) == seen["revision"] + 1


def test_admin_cannot_disable_or_demote_themselves(app, signed_in):
    admin, admin_id = signed_in(Role.ADMIN)
    page = admin.get(f"/admin/accounts/{admin_id}").get_data(as_text=True)
    assert "You cannot disable your own account: ask another admin." in page
    demoted = admin.post(f"/admin/accounts/{admin_id}", data=_edit(_account(app, admin_id), role="resident"))
    assert demoted.status_code == 422
    assert "You cannot take away your own admin role: ask another admin." in demoted.get_data(as_text=True)
    disabled = admin.post(f"/admin/accounts/{admin_id}/active",
                          data={"active": "off", "revision": _revision(app, admin_id)})
    assert disabled.status_code == 422
    with app.app_context():
        me = db.session.get(User, admin_id)
        assert me.active and me.role is Role.ADMIN


def test_disabling_ends_a_live_session_at_once_and_refuses_sign_in(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    resident, resident_id = signed_in(Role.RESIDENT)
    assert resident.get("/resident").status_code == 200
    disabled = admin.post(f"/admin/accounts/{resident_id}/active",
                          data={"active": "off", "revision": _revision(app, resident_id)}, follow_redirects=True)
    assert "is disabled and signed out on every device" in disabled.get_data(as_text=True)
    next_request = resident.get("/resident")
    assert next_request.status_code == 302 and "/login" in next_request.headers["Location"]
    with app.app_context():
        identifier = db.session.get(User, resident_id).identifier
    assert app.test_client().post("/api/auth/login", json={"identifier": identifier,
                                                           "password": TEST_PASSWORD}).status_code == 401
    enabled = admin.post(f"/admin/accounts/{resident_id}/active",
                         data={"active": "on", "revision": _revision(app, resident_id)})
    assert enabled.status_code == 302
    assert login(app, identifier).get("/resident").status_code == 200


# --- one-time sign-in codes --------------------------------------------------------------------------

def _give_code(admin, user_id: int) -> str:
    page = admin.post(f"/admin/accounts/{user_id}/code")
    assert page.status_code == 201 and page.headers["Cache-Control"] == "no-store"
    return re.search(r'class="one-time-code"[^>]*>([A-Z0-9-]+)<', page.get_data(as_text=True))[1]


def _use_code(app, identifier: str, code: str, password: str = "a new password 2026"):
    return app.test_client().post("/login/code", data={"identifier": identifier, "code": code,
                                                       "new_password": password})


def test_one_time_code_sets_a_password_once_and_ends_other_sessions(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    old_device, user_id = signed_in(Role.RESIDENT)
    with app.app_context():
        identifier = db.session.get(User, user_id).identifier
    code = _give_code(admin, user_id)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    with app.app_context():
        stored = db.session.get(User, user_id).sign_in_code_hash
        assert stored and code.replace("-", "") not in stored and len(stored) == 64
    used = _use_code(app, identifier, code.lower().replace("-", " "))  # read aloud, typed any way
    assert used.status_code == 302 and used.headers["Location"] == "/"
    assert old_device.get("/resident").status_code == 302  # every other session ended
    assert login(app, identifier, "a new password 2026")
    again = _use_code(app, identifier, code, "another password 77")
    assert again.status_code == 401
    assert "it is wrong or has been used" in again.get_data(as_text=True)


def test_expired_and_forged_codes_are_refused(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    _device, user_id = signed_in(Role.RESIDENT)
    with app.app_context():
        identifier = db.session.get(User, user_id).identifier
    code = _give_code(admin, user_id)
    forged = _use_code(app, identifier, "ABCD2345" if code.replace("-", "") != "ABCD2345" else "ABCD2346")
    assert forged.status_code == 401 and "it is wrong or has been used" in forged.get_data(as_text=True)
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id)
                           .values(sign_in_code_expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    expired = _use_code(app, identifier, code)
    assert expired.status_code == 401 and "This code has expired" in expired.get_data(as_text=True)
    assert app.test_client().post("/api/auth/login", json={"identifier": identifier,
                                                           "password": "a new password 2026"}).status_code == 401


def test_a_code_given_before_the_account_was_disabled_stays_dead(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    _device, user_id = signed_in(Role.RESIDENT)
    with app.app_context():
        identifier = db.session.get(User, user_id).identifier
    code = _give_code(admin, user_id)
    for active in ("off", "on"):
        admin.post(f"/admin/accounts/{user_id}/active", data={"active": active, "revision": _revision(app, user_id)})
    assert _use_code(app, identifier, code).status_code == 401
    assert _use_code(app, identifier, _give_code(admin, user_id)).status_code == 302


def test_code_attempts_are_rate_limited(app, signed_in):
    _device, user_id = signed_in(Role.RESIDENT)
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    with app.app_context():
        identifier = db.session.get(User, user_id).identifier
    client = app.test_client()
    statuses = [client.post("/login/code", data={"identifier": identifier, "code": "ABCD2345",
                                                 "new_password": "a new password 2026"}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


# --- departments ---------------------------------------------------------------------------------

def test_departments_are_created_and_renamed_with_unique_names_and_show_their_staff(app, signed_in, make_user):
    admin, _ = signed_in(Role.ADMIN)
    assert admin.post("/admin/departments", data={"name": "  Parks  and Trees "}).status_code == 302
    with app.app_context():
        parks = db.session.scalar(select(Department).where(Department.name == "Parks and Trees"))
        make_user(Role.STAFF, department_id=parks.id)
        make_user(Role.STAFF, department_id=parks.id)
        other = Department(name="Water")
        db.session.add(other)
        db.session.commit()
        parks_id, water_id = parks.id, other.id
    listing = admin.get("/admin/departments").get_data(as_text=True)
    assert re.search(r"Parks and Trees</strong>\s*<span class=\"muted\">Staff: 2<", listing)
    clash = admin.post("/admin/departments", data={"name": "Water"})
    assert clash.status_code == 409 and "A department with this name already exists." in clash.get_data(as_text=True)
    renamed_clash = admin.post(f"/admin/departments/{water_id}", data={"name": "Parks and Trees"})
    assert renamed_clash.status_code == 409
    assert admin.post(f"/admin/departments/{parks_id}", data={"name": "Parks"}).status_code == 302
    assert admin.post("/admin/departments", data={"name": " "}).status_code == 422
    with app.app_context():
        assert db.session.get(Department, parks_id).name == "Parks"
        assert db.session.get(Department, water_id).name == "Water"


# --- forms ------------------------------------------------------------------------------------------

def test_new_account_form_groups_each_roles_part_and_opens_the_new_account(app, signed_in, make_department):
    admin, _ = signed_in(Role.ADMIN)
    with app.app_context():
        department_id = make_department().id
        db.session.commit()
    form = admin.get("/admin/accounts/new").get_data(as_text=True)
    assert 'data-role-section="merchant"' in form and 'data-role-section="staff"' in form
    made = admin.post("/admin/accounts/new", data={"role": "staff", "identifier": "desk@example.org",
                                                   "password": TEST_PASSWORD, "department_id": department_id})
    assert made.status_code == 302 and re.fullmatch(r"/admin/accounts/\d+", made.headers["Location"])


def test_a_new_open311_key_is_shown_whole_with_a_copy_button(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    page = admin.post("/admin/open311-keys", data={"name": "FixMyStreet"}).get_data(as_text=True)
    key = re.search(r'id="new-key"[^>]*>([^<]+)<', page)[1]
    assert len(key) >= 32 and "data-copy=\"new-key\"" in page and "shown only this once" in page
