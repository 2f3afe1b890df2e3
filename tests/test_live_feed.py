"""The dashboard's live feed: in-process by default, through Redis across workers, as SSE over HTTP."""

import http.client
import json
import threading
import time
import uuid

from linli.app import create_app
from merchant.feed import LocalBroker, RedisBroker
from tests.browser import live_server
from tests.test_redemption import qr, redeem


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
    time.sleep(0.3)  # the listener subscribes once per process, in the background
    started = time.perf_counter()
    worker_a.publish(channel, {"kind": "redeemed", "redemption_id": 7})
    message = stream.get(timeout=2)
    assert message is not None and json.loads(message)["redemption_id"] == 7
    assert time.perf_counter() - started < 1
    stream.close()


def _read_events(base: str, cookie: str, found: list, ready: threading.Event, stop: threading.Event):
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request("GET", "/merchant/feed", headers={"Cookie": cookie, "Accept": "text/event-stream"})
    response = connection.getresponse()
    found.append(response.getheader("Content-Type"))
    ready.set()
    while not stop.is_set():
        line = response.fp.readline().decode()
        if line.startswith("data: "):
            found.append((time.perf_counter(), json.loads(line[6:])))
            return


def test_a_redemption_reaches_the_open_dashboard_stream_within_a_second(app, shop):
    s = shop()
    cookie = "; ".join(f"{c.key}={c.value}" for c in s["cashier"]._cookies.values())
    found, ready, stop = [], threading.Event(), threading.Event()
    with live_server(app) as base:
        reader = threading.Thread(target=_read_events, args=(base, cookie, found, ready, stop), daemon=True)
        reader.start()
        assert ready.wait(5)
        time.sleep(0.2)
        sent = time.perf_counter()
        done = redeem(s["cashier"], qr(s["coupons"][0]), 2500).json
        reader.join(timeout=3)
        stop.set()
    assert found[0].startswith("text/event-stream")
    arrived, event = found[1]
    assert event["kind"] == "redeemed" and event["redemption_id"] == done["redemption_id"]
    assert arrived - sent < 1


def test_the_feed_is_for_the_shops_own_people(app, signed_in):
    from core.identity.models import Role

    resident, _ = signed_in(Role.RESIDENT)
    assert resident.get("/merchant/feed").status_code == 403
    assert app.test_client().get("/merchant/feed").status_code in (302, 401)


def test_with_redis_configured_the_app_fans_out_through_redis(redis_url, database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url})
    assert isinstance(app.extensions["linli_feed"], RedisBroker)


def test_a_collection_is_announced_to_the_shops_dashboard(app, shop, signed_in, make_fence, make_campaign):
    from core.db import db
    from core.identity.models import Role
    from merchant.feed import merchant_channel
    from tests.test_airdrop_api import HERE

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
