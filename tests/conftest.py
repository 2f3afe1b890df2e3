"""Fixtures: a fresh app per test on SQLite and on PostgreSQL, a CSRF-aware client, factories.

Every database test runs on both engines (the `database_url` fixture is parametrised).
PostgreSQL, Redis and Chromium skip with a reason when missing, except with CI=true,
where a missing one fails the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

# Before any app is built: tests never touch the developer's instance folder.
_INSTANCE = tempfile.mkdtemp(prefix="linli-test-instance-")
os.environ["LINLI_INSTANCE_PATH"] = _INSTANCE
os.environ["SECRET_KEY"] = "test-secret-key"
os.environ["LINLI_ENV"] = "test"
os.environ["LINLI_PASSWORD_PROFILE"] = "cheapest"  # argon2id still, with test-sized cost
os.environ["LINLI_PUSH_SERVICES"] = "http://127.0.0.1,push.example.test"  # the stand-in push services
os.environ["LINLI_TILES_URL"] = "local"  # map tiles drawn by core.tiles: no test fetches from outside
for var in ("DATABASE_URL", "REDIS_URL", "LINLI_TILES_SUBDOMAINS", "LINLI_TILES_CRS", "LINLI_GEOCODER",
            "LINLI_GEOCODER_OPTIONS", "LINLI_GEOCODER_CRS"):
    os.environ.pop(var, None)

from core.db import db  # noqa: E402
from core.identity.models import (  # noqa: E402
    Department,
    Merchant,  # noqa: E402
    MerchantRole,
    Role,
    User,
)
from core.identity.operations import create_account  # noqa: E402
from core.identity.passwords import hash_password  # noqa: E402
from linli import create_app  # noqa: E402
from tests.races import race  # noqa: E402, F401 - the race harness, importable from here as before

CI = os.environ.get("CI", "").lower() == "true"
PG_SERVER = os.environ.get("LINLI_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_TEST_URL = os.environ.get("LINLI_TEST_REDIS", "redis://127.0.0.1:6379/15")
TEST_PASSWORD = "correct horse battery"
_TEST_HASH = hash_password(TEST_PASSWORD)
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def unavailable(reason: str):
    """Skip locally, fail in CI: CI must exercise every engine."""
    if CI:
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config):
    # Pages are checked in Chinese too: make sure the compiled catalogue matches the .po file.
    # Once per run: pytest-xdist workers start after the controller has compiled it.
    if hasattr(config, "workerinput"):
        return
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", "compile", "-d",
                                str(Path(__file__).resolve().parent.parent / "translations")])


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_INSTANCE, ignore_errors=True)


# --- databases ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgresql_database():
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"linli_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server is "unavailable"
        admin.dispose()
        unavailable(f"PostgreSQL not reachable at {PG_SERVER}: {exc.__class__.__name__}")
    yield f"{PG_SERVER}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'linli.sqlite3'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request):
    url = request.getfixturevalue(f"{request.param}_database")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


def empty_all_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in reversed(tables):
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


class CsrfClient(FlaskClient):
    """A test client that behaves like our front end: it sends the CSRF token on every change."""

    csrf_token: str | None = None

    def open(self, *args, csrf: bool = True, **kwargs):
        method = str(kwargs.get("method", "GET")).upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            if self.csrf_token is None:
                self.csrf_token = super().open("/api/auth/csrf").get_json()["csrf_token"]
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token)
            kwargs["headers"] = headers
        response = super().open(*args, **kwargs)
        if "X-CSRFToken" in response.headers:
            self.csrf_token = response.headers["X-CSRFToken"]
        return response


@pytest.fixture
def app(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = CsrfClient
    yield app
    with app.app_context():
        db.session.rollback()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories -----------------------------------------------------------------------------

_counter = iter(range(1, 10**9))


@pytest.fixture
def make_merchant(app):
    def make(**fields) -> Merchant:
        merchant = Merchant(**{"name": f"Shop {next(_counter)}", "address": "1 Dongming Road",
                               "lat": 31.16, "lon": 121.50, "tags": ["noodles"], **fields})
        db.session.add(merchant)
        db.session.flush()
        return merchant

    return make


@pytest.fixture
def make_department(app):
    def make(name: str | None = None) -> Department:
        department = Department(name=name or f"Department {next(_counter)}")
        db.session.add(department)
        db.session.flush()
        return department

    return make


@pytest.fixture
def make_user(app, make_merchant, make_department):
    """Create an account of any role (inside an app context); the password is TEST_PASSWORD."""

    def make(role: Role = Role.RESIDENT, **fields) -> User:
        n = next(_counter)
        extra = {}
        if role is Role.MERCHANT:
            extra = {"merchant_id": fields.pop("merchant_id", None) or make_merchant().id,
                     "merchant_role": fields.pop("merchant_role", MerchantRole.OWNER)}
        if role is Role.STAFF:
            extra = {"department_id": fields.pop("department_id", None) or make_department().id}
        user = create_account(role=role, identifier=fields.pop("identifier", f"user{n}@example.org"),
                              password=TEST_PASSWORD, password_hash=_TEST_HASH,
                              display_name=fields.pop("display_name", f"User {n}"),
                              locale=fields.pop("locale", None), **extra)
        for name, value in fields.items():  # anything else is set on the model (e.g. active=False)
            setattr(user, name, value)
        db.session.flush()
        return user

    return make


def login(app, identifier: str, password: str = TEST_PASSWORD) -> CsrfClient:
    """A fresh client signed in as `identifier` (no app context is held around it)."""
    client = app.test_client()
    response = client.post("/api/auth/login", json={"identifier": identifier, "password": password})
    assert response.status_code == 200, response.get_json()
    return client


@pytest.fixture
def signed_in(app, make_user):
    """signed_in(role) -> (client, user_id): a client signed in as a new account of that role."""

    def make(role: Role = Role.RESIDENT, **fields):
        with app.app_context():
            user = make_user(role, **fields)
            db.session.commit()
            identifier, user_id = user.identifier, user.id
        return login(app, identifier), user_id

    return make


def count(app, model) -> int:
    from sqlalchemy import func, select

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture(scope="session")
def redis_url():
    """The Redis test database (db 15), once it answers."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis not reachable at {REDIS_TEST_URL}: {exc.__class__.__name__}")
    finally:
        client.close()
    # Never flushed: parallel runs (xdist workers, other checkouts) share this database, so each
    # test keeps to keys and channels of its own (random channel names, its own client address).
    return REDIS_TEST_URL


def forget_redis_keys(url: str, pattern: str) -> None:
    """Delete a test's own keys (never FLUSHDB: other xdist workers' keys, a queued job, live there too)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=pattern, count=500):
            client.delete(key)
    finally:
        client.close()


# --- campaigns and fences --------------------------------------------------------------------

CENTRE = (31.1600, 121.5010)


@pytest.fixture
def make_fence(app):
    def make(**fields):
        from geofence.models import FenceKind
        from geofence.operations import create_fence

        data = {"name": f"Fence {next(_counter)}", "kind": FenceKind.CIRCLE, "center_lat": CENTRE[0],
                "center_lon": CENTRE[1], "radius_m": 300.0, **fields}
        return create_fence(data)

    return make


@pytest.fixture
def make_campaign(app, make_merchant):
    """A published campaign running now, targeting `fences` (ids), with any terms overridden.

    Made as an owner makes one: merchant.operations.create_campaign (targets checked, the
    campaign_changed signal sent), then change_state to publish, and on to `status` ("draft",
    "paused", "ended" with end_policy). Two states the app reaches only through residents or
    over time are set on the row afterwards: `remaining` below the inventory (as if collected),
    and a published campaign without a fence (the app publishes only targeted campaigns; the
    till and the staff desk need a live one that no check-in can drop).
    """

    def make(*, fences=(), merchant_id=None, **terms):
        from datetime import timedelta

        from core.db import utcnow
        from merchant.models import CampaignStatus, DiscountKind, EndPolicy
        from merchant.operations import change_state, create_campaign

        now = utcnow()
        status = CampaignStatus(terms.pop("status", CampaignStatus.PUBLISHED))
        remaining = terms.pop("remaining", None)
        end_policy = EndPolicy(terms.pop("end_policy", None) or EndPolicy.HONOUR)
        data = {"title": f"Deal {next(_counter)}", "discount_kind": DiscountKind.AMOUNT, "amount_off_cents": 500,
                "min_spend_cents": 0, "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=30),
                "coupon_valid_s": 7 * 24 * 3600, "inventory_total": 100, "per_resident_limit": 1,
                "airdrop_windows": [], "tags": [], **terms, "target_fence_ids": list(fences)}
        campaign = create_campaign(merchant_id or make_merchant().id, data)
        if status is not CampaignStatus.DRAFT:
            if fences:
                change_state(campaign, "publish", now=now)
            else:
                campaign.status = CampaignStatus.PUBLISHED
            if status is CampaignStatus.PAUSED:
                change_state(campaign, "pause", now=now)
            elif status is CampaignStatus.ENDED:
                change_state(campaign, "end", now=now, end_policy=end_policy)
        if remaining is not None:
            campaign.remaining = remaining
        db.session.flush()
        return campaign

    return make


def make_residents(n: int) -> list[int]:
    """n resident accounts in one statement (inside an app context)."""
    from sqlalchemy import insert

    from core.db import utcnow

    start = next(_counter) * 10_000
    rows = [{"email": f"r{start + i}@example.org", "password_hash": _TEST_HASH, "display_name": f"R{i}",
             "role": Role.RESIDENT, "large_text": False, "active": True, "session_version": 1, "revision": 1,
             "created_at": utcnow()} for i in range(n)]
    db.session.execute(insert(User), rows)
    db.session.flush()
    from sqlalchemy import select

    emails = [r["email"] for r in rows]
    return list(db.session.scalars(select(User.id).where(User.email.in_(emails)).order_by(User.id)))


# --- the browser ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium():
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, chromium_available

    if not chromium_available():
        unavailable(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def demo_site(app):
    """The demo district served on a loopback port."""
    from core.db import utcnow
    from demo.district import load_demo
    from tests.browser import live_server

    with app.app_context():
        load_demo(now=utcnow())
        db.session.commit()
    with live_server(app) as url:
        yield url


# --- the till ---------------------------------------------------------------------------------

@pytest.fixture
def shop(app, make_merchant, make_user, make_campaign):
    """A shop with a live campaign, its owner and a cashier signed in, and a resident's coupon."""

    def make(coupons: int = 1, **terms):
        from datetime import timedelta

        from core.config import district_tz
        from core.db import utcnow
        from merchant.claims import claim

        terms.setdefault("per_resident_limit", max(1, coupons))
        with app.app_context():
            merchant = make_merchant()
            owner = make_user(Role.MERCHANT, merchant_id=merchant.id)
            cashier = make_user(Role.MERCHANT, merchant_id=merchant.id, merchant_role=MerchantRole.CASHIER,
                                display_name="Xiao Li")
            resident = make_user(Role.RESIDENT)
            campaign = make_campaign(merchant_id=merchant.id, **terms)
            now, tz = utcnow(), district_tz()
            made = []
            for i in range(coupons):  # collected as the staff desk gives them: one a day, newest first
                coupon = claim(resident_id=resident.id, campaign=campaign, fence_id=None, now=now,
                               local_day=(now - timedelta(days=i)).astimezone(tz).date(), daily_budget=coupons,
                               tz=tz)
                made.append((coupon.id, coupon.totp_secret))
            db.session.commit()
            made_shop = {"merchant_id": merchant.id, "campaign_id": campaign.id, "coupons": made,
                         "owner": owner.identifier, "cashier_id": cashier.id, "resident": resident.identifier}
            cashier_identifier = cashier.identifier
        return {**made_shop, "cashier": login(app, cashier_identifier)}

    return make
