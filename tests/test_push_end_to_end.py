"""Web Push end to end: a resident follows a shop, its airdrop window opens, the minute job decides
and the delivery job POSTs an RFC 8291 (aes128gcm) encrypted push to a stand-in push service on
127.0.0.1, which the test decrypts with the "browser's" own keys (http_ece)."""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from core.db import db, utcnow
from core.identity.models import Role
from reminders.models import PushDecision, PushSubscription
from tests.conftest import count, login


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """What a browser's PushManager holds: a P-256 key pair and a 16-byte auth secret."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}

    def decrypt(self, body: bytes) -> dict:
        return json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))


@pytest.fixture
def push_service():
    """A stand-in push service: records each POST; answers 201, or the status set for a path."""
    received, statuses = [], {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            received.append({"path": self.path, "headers": headers, "body": body})
            self.send_response(statuses.get(self.path, 201))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "received": received, "statuses": statuses}
    server.shutdown()
    server.server_close()


def evening(days_ahead: int = 1, minute: int = 0, second: int = 30) -> datetime:
    """18:mm:ss district time `days_ahead` days from now, as UTC."""
    day = utcnow().astimezone(SHANGHAI).date() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, 18, minute, second, tzinfo=SHANGHAI)


SHANGHAI = ZoneInfo("Asia/Shanghai")  # LINLI_TIMEZONE' default
DAILY = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "18:00", "end": "20:00"}]


def run_minute(app, now):
    from reminders.jobs import airdrop_minute

    with app.app_context():
        ids = airdrop_minute(now)
        db.session.commit()  # the job's commit: the delivery jobs are queued after it
    return ids


def test_a_followed_shops_window_is_pushed_once_in_each_language(app, make_user, make_merchant, make_fence,
                                                                 make_campaign, push_service):
    with app.app_context():
        fence = make_fence(name="Community Centre")
        shop = make_merchant(name="Old Shanghai Noodles",
                             translations={"name": {"en": "Old Shanghai Noodles", "zh": "老上海面馆"}})
        make_campaign(merchant_id=shop.id, fences=[fence.id], airdrop_windows=DAILY)
        li = make_user(Role.RESIDENT, locale="en")
        wang = make_user(Role.RESIDENT, locale="zh")
        stranger = make_user(Role.RESIDENT)  # subscribed, follows nothing: hears nothing
        db.session.commit()
        shop_id, who = shop.id, [li.identifier, wang.identifier, stranger.identifier]
    browsers = [Browser(f"{push_service['url']}/push/{n}") for n in range(3)]
    for identifier, browser, follows in zip(who, browsers, (True, True, False), strict=True):
        client = login(app, identifier)
        assert client.post("/api/push/subscriptions", json=browser.subscription()).status_code == 201
        if follows:
            assert client.put(f"/api/push/follows/shops/{shop_id}").get_json()["following"] is True
    server_key = client.get("/api/push/key").get_json()["public_key"]
    assert len(server_key) == 87  # 65 bytes, base64url

    assert run_minute(app, evening(minute=0)) and len(push_service["received"]) == 2
    by_path = {r["path"]: r for r in push_service["received"]}
    english = browsers[0].decrypt(by_path["/push/0"]["body"])
    chinese = browsers[1].decrypt(by_path["/push/1"]["body"])
    assert english["body"] == "Old Shanghai Noodles drops coupons at Community Centre at 18:00"
    assert english["lang"] == "en"
    assert chinese["lang"] == "zh" and "老上海面馆" in chinese["body"] and "18:00" in chinese["body"]
    assert chinese["body"] != english["body"]
    headers = by_path["/push/0"]["headers"]
    assert headers["content-encoding"] == "aes128gcm" and headers["authorization"].startswith("vapid t=")
    assert headers["authorization"].endswith(f"k={server_key}")  # RFC 8292, signed with the key browsers got
    assert int(headers["ttl"]) > 0

    # The next minutes' runs find the same window: nothing more is sent.
    assert run_minute(app, evening(minute=1)) == []
    assert run_minute(app, evening(minute=3)) == []
    assert len(push_service["received"]) == 2
    # The next day's window is a new one.
    run_minute(app, evening(days_ahead=2))
    assert len(push_service["received"]) == 4
    with app.app_context():
        used = {s.endpoint: s.last_used_at for s in db.session.scalars(select(PushSubscription))}
        assert [used[b.endpoint] is not None for b in browsers] == [True, True, False]


def test_daily_budget_quiet_hours_and_dead_subscriptions(app, make_user, make_merchant, make_fence, make_campaign,
                                                         push_service):
    with app.app_context():
        fence = make_fence()
        shops = [make_merchant(name=f"Shop {n}") for n in range(5)]
        for shop in shops:
            make_campaign(merchant_id=shop.id, fences=[fence.id], airdrop_windows=DAILY
                          + [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "23:00", "end": "23:30"}])
        li, gone = make_user(Role.RESIDENT), make_user(Role.RESIDENT)
        db.session.commit()
        ids, who = [s.id for s in shops], (li.identifier, gone.identifier)
    browsers = [Browser(f"{push_service['url']}/push/{n}") for n in range(2)]
    push_service["statuses"]["/push/1"] = 410  # this browser unsubscribed at the push service
    for identifier, browser in zip(who, browsers, strict=True):
        client = login(app, identifier)
        client.post("/api/push/subscriptions", json=browser.subscription())
        for shop_id in ids:
            client.put(f"/api/push/follows/shops/{shop_id}")

    run_minute(app, evening(minute=0))
    to_li = [r for r in push_service["received"] if r["path"] == "/push/0"]
    assert len(to_li) == 3  # five windows open at once, the budget is three a day
    with app.app_context():
        outcomes = sorted(db.session.scalars(select(PushDecision.outcome).where(PushDecision.user_id == li.id)))
        assert outcomes == ["budget", "budget", "sent", "sent", "sent"]
        # The 410 removed the dead subscription; the live one stays.
        assert [s.endpoint for s in db.session.scalars(select(PushSubscription))] == [browsers[0].endpoint]
    # 23:00 is inside the default quiet hours (22:00-08:00): dropped, not deferred.
    push_service["received"].clear()
    run_minute(app, evening(days_ahead=2).replace(hour=23, minute=0))
    assert push_service["received"] == []
    assert count(app, PushDecision) > 10


def test_subscription_api_refuses_bad_input_and_strangers(app, signed_in, client):
    resident, _ = signed_in(Role.RESIDENT)
    bad = resident.post("/api/push/subscriptions", json={"endpoint": "not a url", "keys": {"p256dh": "x", "auth": "y"}})
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    # A subscription is an address our server will POST to: only the browsers' push services (SSRF).
    keys = Browser("https://fcm.googleapis.com/fcm/send/x").subscription()["keys"]
    for inside in ("http://169.254.169.254/latest/meta-data", "https://10.0.0.5:6379/", "http://localhost:5432/"):
        refused = resident.post("/api/push/subscriptions", json={"endpoint": inside, "keys": keys})
        assert refused.status_code == 422, inside
        assert "push services" in str(refused.get_json()["errors"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0
    assert resident.post("/api/push/subscriptions", json={"endpoint": "https://fcm.googleapis.com/fcm/send/x",
                                                          "keys": keys}).status_code == 201
    assert client.post("/api/push/subscriptions", json={}).status_code == 401
    assert resident.delete("/api/push/subscriptions", json={"endpoint": "https://push.example/none"}).status_code == 404
    assert resident.put("/api/push/follows/shops/999999").status_code == 404


def test_a_failing_push_service_is_retried_without_resending_to_devices_already_reached(
        app, make_user, make_merchant, make_fence, make_campaign, push_service):
    from reminders.jobs import deliver_push

    with app.app_context():
        fence = make_fence()
        shop = make_merchant()
        make_campaign(merchant_id=shop.id, fences=[fence.id], airdrop_windows=DAILY)
        li = make_user(Role.RESIDENT)
        db.session.commit()
        shop_id, identifier = shop.id, li.identifier
    phone, tablet = Browser(f"{push_service['url']}/push/phone"), Browser(f"{push_service['url']}/push/tablet")
    client = login(app, identifier)
    for browser in (phone, tablet):
        client.post("/api/push/subscriptions", json=browser.subscription())
    client.put(f"/api/push/follows/shops/{shop_id}")
    push_service["statuses"]["/push/tablet"] = 503  # the tablet's push service is down
    [decision_id] = run_minute(app, evening())
    with app.app_context():
        decision = db.session.get(PushDecision, decision_id)
        assert decision.delivered_at is None and len(decision.delivered_to) == 1
        assert count(app, PushSubscription) == 2  # a 503 is no reason to forget a device
    # The retry (Huey runs it again after its delay; here, at once) reaches only the tablet.
    del push_service["statuses"]["/push/tablet"]
    with app.app_context():
        deliver_push.call_local(decision_id)
    paths = [r["path"] for r in push_service["received"]]
    assert paths.count("/push/phone") == 1 and paths.count("/push/tablet") == 2
    with app.app_context():
        assert db.session.get(PushDecision, decision_id).delivered_at is not None
    assert deliver_push.retries == 6 and deliver_push.retry_delay == 30  # then 60, 120 ... s (backoff 2)
