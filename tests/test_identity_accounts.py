from sqlalchemy import select

from core.db import db
from core.identity.models import Role, User
from tests.conftest import TEST_PASSWORD, count, login


def test_resident_signs_up_with_a_mobile_number_then_signs_in(app, client):
    response = client.post("/api/auth/signup", json={
        "identifier": "138 0013 8001", "password": TEST_PASSWORD, "display_name": "Auntie Xu", "locale": "zh"})
    assert response.status_code == 202 and "sign in" in response.json["detail"]
    assert client.get("/api/me").status_code == 401  # not signed in: a taken number would look different
    client = login(app, "13800138001")
    me = client.get("/api/me")
    assert me.status_code == 200 and me.json["display_name"] == "Auntie Xu" and me.json["locale"] == "zh"
    with app.app_context():
        stored = db.session.scalar(select(User).where(User.phone == "+8613800138001"))
        assert stored.password_hash.startswith("$argon2id$") and TEST_PASSWORD not in stored.password_hash


def test_signing_up_with_a_taken_address_looks_like_success_and_writes_nothing(app, client):
    body = {"identifier": "li@example.org", "password": TEST_PASSWORD, "display_name": "Li"}
    first = client.post("/api/auth/signup", json=body)
    again = app.test_client().post("/api/auth/signup", json={**body, "identifier": "LI@example.org",
                                                             "password": "another long password"})
    assert first.status_code == again.status_code == 202 and first.json == again.json
    assert count(app, User) == 1
    login(app, "li@example.org")  # the first password still holds


def test_sign_up_cannot_choose_a_role(app, client):
    response = client.post("/api/auth/signup", json={
        "identifier": "x@example.org", "password": TEST_PASSWORD, "display_name": "X", "role": "admin"})
    assert response.status_code == 422 and response.json["errors"] == {"role": ["This field is not accepted here."]}
    assert count(app, User) == 0


def test_weak_password_is_refused_with_a_field_message(app, client):
    response = client.post("/api/auth/signup", json={
        "identifier": "x@example.org", "password": "1234567", "display_name": "X"})
    assert response.status_code == 422
    assert response.json["errors"]["password"] == ["Use at least 8 characters."]


def test_login_logout_round_trip(app, make_user):
    with app.app_context():
        make_user(identifier="resident@example.org")
        db.session.commit()
    client = login(app, "Resident@Example.org")
    assert client.get("/api/me").json["email"] == "resident@example.org"
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/me").status_code == 401


def test_wrong_password_and_unknown_account_look_the_same(app, client, make_user):
    with app.app_context():
        make_user(identifier="known@example.org")
        db.session.commit()
    wrong = client.post("/api/auth/login", json={"identifier": "known@example.org", "password": "nope-nope-nope"})
    unknown = client.post("/api/auth/login", json={"identifier": "ghost@example.org", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json
    assert wrong.mimetype == "application/problem+json"


def test_deactivated_account_cannot_sign_in(app, client, make_user):
    with app.app_context():
        make_user(identifier="gone@example.org", active=False)
        db.session.commit()
    response = client.post("/api/auth/login", json={"identifier": "gone@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 401


def test_login_attempts_are_rate_limited(app, client, make_user):
    with app.app_context():
        make_user(identifier="target@example.org")
        db.session.commit()
    statuses = [client.post("/api/auth/login", json={"identifier": "target@example.org",
                                                     "password": "guess-guess-guess"}).status_code
                for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    limited = client.post("/api/auth/login", json={"identifier": "target@example.org", "password": TEST_PASSWORD})
    assert limited.status_code == 429 and limited.json["type"] == "/problems/rate-limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_preferences_persist_on_the_account(app, signed_in):
    client, _ = signed_in()
    response = client.patch("/api/me", json={"large_text": True, "locale": "zh"})
    assert response.status_code == 200
    me = client.get("/api/me").json
    assert me["large_text"] is True and me["locale"] == "zh"


def test_password_change_signs_out_other_devices(app, make_user):
    with app.app_context():
        make_user(identifier="two@example.org")
        db.session.commit()
    phone, tablet = login(app, "two@example.org"), login(app, "two@example.org")
    changed = phone.post("/api/me/password", json={"current_password": TEST_PASSWORD,
                                                   "new_password": "a new long password"})
    assert changed.status_code == 204
    assert phone.get("/api/me").status_code == 200
    assert tablet.get("/api/me").status_code == 401
    login(app, "two@example.org", "a new long password")


def test_session_cookie_is_http_only_and_same_site(app, make_user):
    with app.app_context():
        make_user(identifier="cookie@example.org")
        db.session.commit()
    client = app.test_client()
    response = client.post("/api/auth/login", json={"identifier": "cookie@example.org", "password": TEST_PASSWORD})
    cookies = response.headers.getlist("Set-Cookie")  # the session, and the known-device cookie
    assert {c.split("=", 1)[0] for c in cookies} == {"linli_session", "linli_device"}
    assert all("HttpOnly" in cookie and "SameSite=Lax" in cookie for cookie in cookies)


def test_admin_creates_staff_and_merchant_accounts(app, signed_in, make_department, make_merchant):
    admin, _ = signed_in(Role.ADMIN)
    with app.app_context():
        department_id, merchant_id = make_department("Sanitation").id, make_merchant().id
        db.session.commit()
    staff = admin.post("/api/admin/accounts", json={
        "role": "staff", "identifier": "sweeper@example.org", "password": TEST_PASSWORD,
        "display_name": "Sweeper", "department_id": department_id})
    assert staff.status_code == 201 and staff.json["department_id"] == department_id
    cashier = admin.post("/api/admin/accounts", json={
        "role": "merchant", "identifier": "till@example.org", "password": TEST_PASSWORD,
        "display_name": "Till", "merchant_id": merchant_id, "merchant_role": "cashier"})
    assert cashier.status_code == 201 and cashier.json["merchant_role"] == "cashier"
    listed = admin.get("/api/admin/accounts?role=staff")
    assert [u["email"] for u in listed.json] == ["sweeper@example.org"]


def test_merchant_account_needs_an_existing_business(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    before = count(app, User)
    response = admin.post("/api/admin/accounts", json={
        "role": "merchant", "identifier": "till@example.org", "password": TEST_PASSWORD,
        "display_name": "Till", "merchant_id": 999999, "merchant_role": "cashier"})
    assert response.status_code == 422 and "merchant_id" in response.json["errors"]
    assert count(app, User) == before


def test_only_admins_create_accounts(app, signed_in):
    for role in (Role.RESIDENT, Role.MERCHANT, Role.STAFF):
        client, _ = signed_in(role)
        response = client.post("/api/admin/accounts", json={
            "role": "admin", "identifier": f"evil-{role}@example.org", "password": TEST_PASSWORD,
            "display_name": "Evil"})
        assert response.status_code == 403, role
    assert app.test_client().get("/api/admin/accounts").status_code == 401


def test_a_business_has_one_owner_and_many_cashiers(app, signed_in, make_merchant):
    admin, _ = signed_in(Role.ADMIN)
    with app.app_context():
        merchant_id = make_merchant().id
        db.session.commit()

    def create(n: int, merchant_role: str):
        return admin.post("/api/admin/accounts", json={
            "role": "merchant", "identifier": f"m{n}@example.org", "password": TEST_PASSWORD,
            "display_name": f"M{n}", "merchant_id": merchant_id, "merchant_role": merchant_role})

    assert create(1, "owner").status_code == 201
    assert create(2, "cashier").status_code == 201 and create(3, "cashier").status_code == 201
    second_owner = create(4, "owner")
    assert second_owner.status_code == 409 and "merchant_role" in second_owner.json["errors"]
    with app.app_context():
        owners = db.session.scalars(select(User).where(User.merchant_id == merchant_id)).all()
        assert sorted(u.merchant_role.value for u in owners) == ["cashier", "cashier", "owner"]


def test_the_per_account_limit_sees_through_number_formats(app, make_user):
    with app.app_context():
        make_user(identifier="13800138123")
        db.session.commit()
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per minute"  # failed attempts per account, all addresses
    formats = ["13800138123", "+86 138 0013 8123", "138-0013-8123", "+8613800138123"]
    statuses = []
    for i, raw in enumerate(formats):  # each from another address: only the account bucket fills
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i}"
        statuses.append(client.post("/api/auth/login", json={"identifier": raw,
                                                             "password": "wrong-wrong-wrong"}).status_code)
    assert statuses == [401, 401, 401, 429]
