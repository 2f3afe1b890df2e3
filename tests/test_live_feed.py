"""The dashboard's live feed: in-process by default, through Redis across workers, as SSE over HTTP."""

import http.client
import json
import queue
import socket
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest

from core.db import db
from core.identity.models import Role
from linli.app import create_app
from merchant.feed import LocalBroker, RedisBroker
from tests.browser import live_server
from tests.conftest import login
from tests.test_airdrop_checkins import HERE
from tests.test_redemption import _resident_id, qr, redeem

EVENT_TIMEOUT_S = 5


def test_local_broker_delivers_to_each_stream_of_the_channel_only():
    broker = LocalBroker()
    mine, also_mine = broker.subscribe("merchant:1"), broker.subscribe("merchant:1")
    other = broker.subscribe("merchant:2")
    broker.publish("merchant:1", {"kind": "redeemed", "bill_cents": 100})
    assert json.loads(mine.get(1))["bill_cents"] == 100 and also_mine.get(1) is not None
    assert other.get(0.05) is None
    mine.close()
    assert broker.streams() == 2
    also_mine.close(), other.close()
    assert broker.streams() == 0


def test_an_event_published_by_one_worker_reaches_streams_on_another_through_redis(redis_url):
    channel = f"merchant:{uuid.uuid4().hex}"
    worker_a, worker_b = RedisBroker(redis_url), RedisBroker(redis_url)
    stream = worker_b.subscribe(channel)
    # The listener subscribes once per process, in the background: probe until it hears.
    deadline = time.monotonic() + EVENT_TIMEOUT_S
    while True:
        worker_a.publish(channel, {"kind": "probe"})
        if stream.get(timeout=0.05) is not None:
            break
        assert time.monotonic() < deadline, "the Redis listener never subscribed"
    while stream.get(timeout=0.05) is not None:  # probes still on the way
        pass
    started = time.perf_counter()
    worker_a.publish(channel, {"kind": "redeemed", "redemption_id": 7})
    message = stream.get(timeout=2)
    assert message is not None and json.loads(message)["redemption_id"] == 7
    assert time.perf_counter() - started < 1
    stream.close()


# --- the dashboard's stream over HTTP ----------------------------------------------------------

def cookie_header(client) -> str:
    """The test client's cookies as a browser would send them to the live server."""
    return "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())


class DashboardStream:
    """GET /merchant/feed on a live server; a thread parses the Server-Sent Events into a queue."""

    def __init__(self, base: str, client):
        url = urlsplit(base)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.connection.request("GET", "/merchant/feed",
                                headers={"Cookie": cookie_header(client), "Accept": "text/event-stream"})
        self.socket = self.connection.sock  # the response takes it over from the connection
        # The view subscribes before it answers: once the headers are here, no event can be missed.
        self.response = self.connection.getresponse()
        self.events: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        kind, data = None, []
        try:
            while line := self.response.readline():
                line = line.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    self.events.put((kind, json.loads("\n".join(data))))
                    kind, data = None, []
        except OSError:
            pass  # closed by the test
        finally:
            self.events.put(None)

    def next(self, timeout: float = EVENT_TIMEOUT_S) -> dict:
        """The next event on the stream; fails the test if none arrives within `timeout`."""
        try:
            item = self.events.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no event on the dashboard stream within {timeout} s")
        assert item is not None, "the dashboard stream ended"
        kind, event = item
        assert kind == "ledger", item
        return event

    def close(self) -> None:
        try:
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the reader from its blocking read
        except OSError:
            pass
        self.reader.join(timeout=5)
        self.response.close()
        self.connection.close()


@pytest.fixture
def dashboard(app):
    """dashboard(client) -> a DashboardStream of that client's shop, served on a live server."""
    streams = []
    with live_server(app) as base:
        def open_stream(client) -> DashboardStream:
            stream = DashboardStream(base, client)
            assert stream.response.status == 200
            assert stream.response.getheader("Content-Type").startswith("text/event-stream")
            streams.append(stream)
            return stream

        yield open_stream
        for stream in streams:
            stream.close()


def test_a_redemption_reaches_the_open_dashboard_stream_within_a_second(app, shop, dashboard):
    s = shop()
    stream = dashboard(s["cashier"])
    sent = time.perf_counter()
    done = redeem(s["cashier"], qr(s["coupons"][0]), 2500).json
    event = stream.next()
    assert time.perf_counter() - sent < 1
    assert event["kind"] == "redeemed" and event["redemption_id"] == done["redemption_id"]


def _staff_desk(app, make_user):
    """A staff member signed in at the desk, and the CSRF token its forms carry."""
    with app.app_context():
        staff = make_user(Role.STAFF)
        db.session.commit()
        identifier = staff.identifier
    desk = login(app, identifier)
    return desk, desk.get("/api/auth/csrf").json["csrf_token"]


def _give(desk, token, resident_id, campaign_id):
    """The desk's form, posted as the page posts it (the token in the form, not a header)."""
    return desk.post("/staff/coupons/give", csrf=False,
                     data={"resident_id": resident_id, "campaign_id": campaign_id, "csrf_token": token})


def _check_in_drops(app, s, fixtures):
    with app.app_context():
        fence = fixtures["make_fence"]()
        campaign_id = fixtures["make_campaign"](merchant_id=s["merchant_id"], fences=[fence.id]).id
        db.session.commit()
    resident, _ = fixtures["signed_in"](Role.RESIDENT)

    def act():
        body = resident.post("/api/airdrop/checkins", json=HERE).json
        assert body["outcome"] == "dropped" and [d["campaign_id"] for d in body["dropped"]] == [campaign_id]
        return {"kind": "collected", "campaign_id": campaign_id}

    return act


def _staff_gives(app, s, fixtures):
    desk, token = _staff_desk(app, fixtures["make_user"])
    resident_id = _resident_id(app, s)

    def act():
        given = _give(desk, token, resident_id, s["campaign_id"])
        assert given.status_code == 302, given.status
        return {"kind": "collected", "campaign_id": s["campaign_id"]}

    return act


def _cashier_redeems(app, s, fixtures):
    def act():
        done = redeem(s["cashier"], qr(s["coupons"][0]), 3000)
        assert done.status_code == 200, done.json
        return {"kind": "redeemed", "redemption_id": done.json["redemption_id"], "bill_cents": 3000}

    return act


def _cashier_voids(app, s, fixtures):
    redemption_id = redeem(s["cashier"], qr(s["coupons"][0])).json["redemption_id"]  # before the stream opens

    def act():
        voided = s["cashier"].post(f"/api/merchant/redemptions/{redemption_id}/void")
        assert voided.status_code == 200, voided.json
        return {"kind": "voided", "redemption_id": redemption_id, "void_id": voided.json["void_id"]}

    return act


@pytest.mark.parametrize(("prepare", "coupons"), [
    pytest.param(_check_in_drops, 0, id="check-in-drop"),
    pytest.param(_staff_gives, 0, id="staff-gives-at-the-desk"),
    pytest.param(_cashier_redeems, 1, id="redemption"),
    pytest.param(_cashier_voids, 1, id="void"),
])
def test_each_path_that_changes_the_dashboard_reaches_its_open_stream(
        app, shop, dashboard, signed_in, make_user, make_fence, make_campaign, prepare, coupons):
    s = shop(coupons=coupons)
    act = prepare(app, s, {"signed_in": signed_in, "make_user": make_user, "make_fence": make_fence,
                           "make_campaign": make_campaign})
    owners_screen = dashboard(login(app, s["owner"]))
    expected = act()
    event = owners_screen.next()
    assert {k: event.get(k) for k in expected} == expected, event


def test_what_is_refused_or_rolled_back_announces_nothing(app, shop, dashboard, make_user, make_campaign,
                                                          monkeypatch):
    from sqlalchemy import func, select

    import wallet.assisted_views
    from merchant.models import WalletCoupon

    s, other = shop(coupons=1), shop(coupons=1)
    with app.app_context():
        fresh_campaign_id = make_campaign(merchant_id=s["merchant_id"]).id
        db.session.commit()
    desk, token = _staff_desk(app, make_user)
    resident_id = _resident_id(app, s)
    stream = dashboard(s["cashier"])
    # Another shop's redemption cannot be voided here: not found, nothing announced.
    theirs = redeem(other["cashier"], qr(other["coupons"][0])).json["redemption_id"]
    assert s["cashier"].post(f"/api/merchant/redemptions/{theirs}/void").status_code == 404
    # The resident already has today's coupon of this campaign: the desk is told so, nothing drops.
    assert _give(desk, token, resident_id, s["campaign_id"]).status_code == 302
    # A give whose request fails after the claim went through: rolled back, so no coupon and no event.
    def broken_flash(*args, **kwargs):
        raise RuntimeError("the page failed after the claim")

    monkeypatch.setattr(wallet.assisted_views, "flash", broken_flash)
    assert _give(desk, token, resident_id, fresh_campaign_id).status_code == 500
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WalletCoupon)
                                 .where(WalletCoupon.campaign_id == fresh_campaign_id)) == 0
    # Events arrive in order: had any of the above been announced, it would come before this one.
    done = redeem(s["cashier"], qr(s["coupons"][0])).json
    event = stream.next()
    assert (event["kind"], event.get("redemption_id")) == ("redeemed", done["redemption_id"]), event


def test_the_feed_is_for_the_shops_own_people(app, signed_in):
    resident, _ = signed_in(Role.RESIDENT)
    assert resident.get("/merchant/feed").status_code == 403
    assert app.test_client().get("/merchant/feed").status_code in (302, 401)


def test_with_redis_configured_the_app_fans_out_through_redis(redis_url, database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url})
    assert isinstance(app.extensions["linli_feed"], RedisBroker)


def test_a_collection_is_announced_to_the_shops_dashboard(app, shop, signed_in, make_fence, make_campaign):
    from merchant.feed import merchant_channel

    s = shop()
    with app.app_context():
        fence = make_fence()
        campaign_id = make_campaign(merchant_id=s["merchant_id"], fences=[fence.id]).id
        db.session.commit()
    stream = app.extensions["linli_feed"].subscribe(merchant_channel(s["merchant_id"]))
    resident, _ = signed_in(Role.RESIDENT)
    assert resident.post("/api/airdrop/checkins", json=HERE).json["outcome"] == "dropped"
    event = json.loads(stream.get(timeout=1))
    assert event["kind"] == "collected" and event["campaign_id"] == campaign_id
    stream.close()
