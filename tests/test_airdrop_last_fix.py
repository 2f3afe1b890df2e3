"""The speed check's last fix lives on the server: replaying an older cookie cannot reset it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from airdrop import last_fix
from airdrop.models import LastFix
from airdrop.rules import Fix
from core.db import db, utcnow
from core.identity.models import Role
from merchant.models import WalletCoupon
from tests.conftest import CENTRE, forget_redis_keys

# Their Redis keys (a resident id, the limiter's counts) are the same in every xdist worker's
# database: these tests run on one worker, in turn.
pytestmark = pytest.mark.xdist_group("redis-shared-keys")

HERE = {"lat": CENTRE[0] + 0.0005, "lon": CENTRE[1], "accuracy_m": 12.0}
NEW_YORK = {"lat": 40.7128, "lon": -74.0060, "accuracy_m": 12.0}


@pytest.fixture(params=["database", "redis"])
def store(request, app):
    """Each store in turn: the database (no REDIS_URL) and Redis."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        forget_redis_keys(url, f"{last_fix.REDIS_PREFIX}*")
        app.config["REDIS_URL"] = url
    return request.param


def test_an_older_cookie_cannot_hide_the_last_fix(app, store, signed_in, make_fence, make_campaign):
    with app.app_context():
        make_campaign(fences=[make_fence().id])
        db.session.commit()
    client, _ = signed_in(Role.RESIDENT)
    before_new_york = client.get_cookie("linli_session").value
    assert client.post("/api/airdrop/checkins", json=NEW_YORK).json["outcome"] == "outside"
    client.set_cookie("linli_session", before_new_york)  # the cookie from before New York
    jump = client.post("/api/airdrop/checkins", json=HERE).json  # Shanghai, a moment later
    assert jump["outcome"] == "impossible_movement" and jump["dropped"] == []
    with app.app_context():
        assert db.session.scalar(select(WalletCoupon.id)) is None


def test_the_database_keeps_one_row_per_resident_that_expires(app, signed_in):
    client, resident_id = signed_in(Role.RESIDENT)
    for lat in (31.10, 31.1001, 31.1002):
        client.post("/api/airdrop/checkins", json={**HERE, "lat": lat})
    with app.app_context():
        rows = db.session.scalars(select(LastFix)).all()
        assert [(r.resident_id, r.lat) for r in rows] == [(resident_id, 31.1002)]  # overwritten, no trail
        ttl_s = app.config["AIRDROP_FIX_TTL_S"]
        assert ttl_s <= 600 and rows[0].expires_at - rows[0].at == timedelta(seconds=ttl_s)
        now = utcnow()
        assert last_fix.get(resident_id, now=now) is not None
        later = now + timedelta(seconds=ttl_s + 1)
        assert last_fix.get(resident_id, now=later) is None  # readers respect the expiry...
        assert last_fix.purge(now=later) == 1  # ...and the purge deletes it
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(LastFix)) == 0


def test_redis_keeps_the_fix_with_an_expiry_and_nothing_in_the_database(app, redis_url, signed_in):
    import redis

    client = redis.Redis.from_url(redis_url)
    forget_redis_keys(redis_url, f"{last_fix.REDIS_PREFIX}*")
    app.config["REDIS_URL"] = redis_url
    browser, resident_id = signed_in(Role.RESIDENT)
    browser.post("/api/airdrop/checkins", json=HERE)
    key = f"{last_fix.REDIS_PREFIX}{resident_id}"
    assert 0 < client.ttl(key) <= app.config["AIRDROP_FIX_TTL_S"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LastFix)) == 0


def test_a_redis_outage_falls_back_to_the_database(app, signed_in):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    _, resident_id = signed_in(Role.RESIDENT)
    with app.test_request_context():
        now = utcnow()
        last_fix.put(resident_id, Fix(31.16, 121.5, now))
        assert last_fix.get(resident_id, now=now) == Fix(31.16, 121.5, now)
        db.session.rollback()
