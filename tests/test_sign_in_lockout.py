"""Sign-in limits slow the attacker, not the owner: nobody can lock someone else out."""

from core.db import db
from core.identity.models import Role
from tests.conftest import TEST_PASSWORD

WRONG = "wrong-wrong-wrong"


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _sign_in(client, identifier: str, password: str) -> int:
    return client.post("/api/auth/login", json={"identifier": identifier, "password": password}).status_code


def _account(app, make_user, identifier: str, role: Role = Role.ADMIN) -> str:
    with app.app_context():
        make_user(role, identifier=identifier)
        db.session.commit()
    return identifier


def test_an_attacker_from_one_address_is_stopped_but_the_owner_elsewhere_signs_in(app, make_user):
    app.config.update(LOGIN_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_RATE_LIMIT="9 per minute")
    admin = _account(app, make_user, "boss@example.org")
    attacker = _from(app, "203.0.113.9")
    assert [_sign_in(attacker, admin, WRONG) for _ in range(5)] == [401, 401, 401, 429, 429]
    assert _sign_in(attacker, admin, TEST_PASSWORD) == 429  # stopped, even with the right password
    assert _sign_in(_from(app, "198.51.100.7"), admin, TEST_PASSWORD) == 200  # the owner, elsewhere


def test_the_page_and_the_api_share_the_address_limit(app, make_user):
    app.config.update(LOGIN_RATE_LIMIT="3 per minute")
    admin = _account(app, make_user, "page@example.org")
    attacker = _from(app, "203.0.113.10")
    assert _sign_in(attacker, admin, WRONG) == 401
    assert attacker.post("/login", data={"identifier": admin, "password": WRONG}).status_code == 401
    assert _sign_in(attacker, admin, WRONG) == 401
    assert attacker.post("/login", data={"identifier": admin, "password": WRONG}).status_code == 429


def test_a_device_that_signed_in_before_is_not_locked_out_by_many_addresses(app, make_user):
    app.config.update(LOGIN_RATE_LIMIT="3 per minute", LOGIN_ACCOUNT_RATE_LIMIT="5 per minute")
    owner = _account(app, make_user, "owner@example.org", Role.RESIDENT)
    phone = _from(app, "198.51.100.8")
    assert _sign_in(phone, owner, TEST_PASSWORD) == 200  # the phone is now known for this account
    assert phone.post("/api/auth/logout").status_code == 204
    phone.csrf_token = None  # signing out ended the session its token belonged to
    for n in range(3):  # a botnet: three addresses, failures add up on the account
        for _ in range(2):
            _sign_in(_from(app, f"203.0.113.{20 + n}"), owner, WRONG)
    assert _sign_in(_from(app, "203.0.113.99"), owner, WRONG) == 429  # the account bucket is full...
    assert _sign_in(phone, owner, TEST_PASSWORD) == 200  # ...but not for the owner's own phone


def test_a_known_device_is_limited_on_its_own_failures(app, make_user):
    app.config.update(LOGIN_RATE_LIMIT="3 per minute")
    owner = _account(app, make_user, "mine@example.org", Role.RESIDENT)
    phone = _from(app, "198.51.100.9")
    assert _sign_in(phone, owner, TEST_PASSWORD) == 200
    assert [_sign_in(phone, owner, WRONG) for _ in range(4)] == [401, 401, 401, 429]


def test_a_device_cookie_only_helps_with_its_own_account(app, make_user):
    app.config.update(LOGIN_RATE_LIMIT="2 per minute")
    mine = _account(app, make_user, "me@example.org", Role.RESIDENT)
    victim = _account(app, make_user, "victim@example.org")
    attacker = _from(app, "203.0.113.50")
    assert _sign_in(attacker, mine, TEST_PASSWORD) == 200  # a cookie for the attacker's own account
    assert [_sign_in(attacker, victim, WRONG) for _ in range(2)] == [401, 429]


def test_a_forged_device_cookie_is_ignored(app, make_user):
    app.config.update(LOGIN_RATE_LIMIT="2 per minute")
    victim = _account(app, make_user, "victim2@example.org")
    attacker = _from(app, "203.0.113.51")
    attacker.set_cookie("linli_device", "forged.cookie.value")
    assert [_sign_in(attacker, victim, WRONG) for _ in range(3)] == [401, 401, 429]
