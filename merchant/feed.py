"""The live feed behind the merchant's dashboard: each ledger event, to every open stream.

In the embedded default one process serves everything, so events go from the request that
committed them straight to the streams' queues. With REDIS_URL set, a process publishes to
Redis and one listener per process (not one per stream) hands what arrives to its local
streams, so a redemption at any worker on any machine reaches every dashboard.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import defaultdict

from flask import Response, current_app

from core.tx import after_commit
from merchant.signals import (
    coupon_claimed,
    coupon_codes_locked,
    coupon_redeemed,
    redemption_refused,
    redemption_voided,
)

log = logging.getLogger(__name__)
CHANNEL_PREFIX = "linli:feed:"


class Subscription:
    def __init__(self, broker: LocalBroker, channel: str):
        self.broker, self.channel = broker, channel
        self.queue: queue.SimpleQueue[str] = queue.SimpleQueue()

    def get(self, timeout: float) -> str | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.broker._unsubscribe(self)


class LocalBroker:
    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)

    def subscribe(self, channel: str) -> Subscription:
        subscription = Subscription(self, channel)
        with self._lock:
            self._subscribers[channel].add(subscription)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subscribers = self._subscribers.get(subscription.channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[subscription.channel]

    def deliver(self, channel: str, message: str) -> None:
        with self._lock:
            targets = list(self._subscribers.get(channel, ()))
        for subscription in targets:
            subscription.queue.put(message)

    def publish(self, channel: str, event: dict) -> None:
        self.deliver(channel, json.dumps(event, separators=(",", ":"), default=str))

    def streams(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._subscribers.values())


class RedisBroker(LocalBroker):
    def __init__(self, url: str):
        import redis

        super().__init__()
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        # The listener waits for messages indefinitely; health checks notice a dead connection.
        self.listener_client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_keepalive=True,
                                                    health_check_interval=30)
        self._listener: threading.Thread | None = None

    def subscribe(self, channel: str) -> Subscription:
        self._ensure_listener()
        return super().subscribe(channel)

    def publish(self, channel: str, event: dict) -> None:
        message = json.dumps(event, separators=(",", ":"), default=str)
        try:
            self.client.publish(CHANNEL_PREFIX + channel, message)
        except Exception:  # noqa: BLE001 - the redemption is committed; a dashboard may miss one event
            log.warning("live feed: Redis unreachable, delivering in this process only", exc_info=True)
            self.deliver(channel, message)

    def _ensure_listener(self) -> None:
        # Started lazily, after gunicorn forked this worker: a thread does not survive a fork.
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._listener = threading.Thread(target=self._listen, name="linli-feed", daemon=True)
                self._listener.start()

    def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                pubsub = self.listener_client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(CHANNEL_PREFIX + "*")
                backoff = 0.5
                for item in pubsub.listen():
                    if item["type"] == "pmessage":
                        channel = item["channel"].decode()[len(CHANNEL_PREFIX):]
                        self.deliver(channel, item["data"].decode())
            except Exception:  # noqa: BLE001 - reconnect; streams stay open meanwhile
                log.warning("live feed: lost Redis, reconnecting in %.1f s", backoff, exc_info=True)
                time.sleep(backoff)
                backoff = min(backoff * 2, 10)


def sse_response(subscription: Subscription, event: str, keepalive_s: float):
    """A Server-Sent Events response of what arrives on `subscription`, a comment every `keepalive_s`.
    The stream may stay open for hours: the caller has let go of its database connection."""
    def stream():
        try:
            yield "retry: 3000\n\n"
            while True:
                message = subscription.get(timeout=keepalive_s)
                yield f"event: {event}\ndata: {message}\n\n" if message is not None else ": keepalive\n\n"
        finally:
            subscription.close()

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def merchant_channel(merchant_id: int) -> str:
    return f"merchant:{merchant_id}"


def _publish_after_commit(merchant_id: int, event: dict) -> None:
    broker = current_app.extensions["linli_feed"]
    after_commit(lambda: broker.publish(merchant_channel(merchant_id), event))


def _on_claimed(coupon, **_):
    # Built now, sent after commit: the coupon's attributes cannot be loaded once it has committed.
    _publish_after_commit(coupon.merchant_id, {"kind": "collected", "at": coupon.collected_at.isoformat(),
                                               "campaign_id": coupon.campaign_id})


def _on_till_event(merchant_id: int, *, event: dict, **_):
    _publish_after_commit(merchant_id, event)


def coupon_channel(coupon_id: int) -> str:
    """The resident's open coupon page listens here (wallet's /wallet/coupons/<id>/live)."""
    return f"coupon:{coupon_id}"


def resident_event(event: dict) -> dict | None:
    """What the coupon's owner may learn of a till event: used (when, how much saved) or back."""
    if event["kind"] == "redeemed":
        return {"kind": "used", "coupon_id": event["coupon_id"], "at": event["redeemed_at"],
                "saved_cents": event["discount_cents"]}
    if event["kind"] == "voided":
        return {"kind": "back" if event["coupon_status"] == "usable" else "void", "coupon_id": event["coupon_id"],
                "at": event["voided_at"]}
    return None


def _on_coupon_event(_merchant_id: int, *, event: dict, **_):
    mine = resident_event(event)
    if mine is not None:
        broker = current_app.extensions["linli_feed"]
        after_commit(lambda: broker.publish(coupon_channel(mine["coupon_id"]), mine))


def subscribe() -> None:
    """Every path that changes what a dashboard shows reaches its streams through these."""
    coupon_claimed.connect(_on_claimed, weak=False)
    for signal in (coupon_redeemed, redemption_refused, redemption_voided, coupon_codes_locked):
        signal.connect(_on_till_event, weak=False)
    for signal in (coupon_redeemed, redemption_voided):
        signal.connect(_on_coupon_event, weak=False)


def init_feed(app) -> None:
    url = app.config["REDIS_URL"]
    app.extensions["linli_feed"] = RedisBroker(url) if url else LocalBroker()
