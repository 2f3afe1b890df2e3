"""/api/push: the server's VAPID key, a resident's devices, following a shop."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Page

from core.db import utcnow
from core.extensions import Blueprint
from core.identity.access import roles_required
from core.identity.models import Role
from reminders import operations, push
from reminders.jobs import vapid
from reminders.schemas import EndpointIn, FollowOut, KeyOut, SubscriptionIn, SubscriptionOut

blp = Blueprint("push", __name__, url_prefix="/api/push", description="Web Push reminders")
resident = roles_required(Role.RESIDENT)


def device_name(user_agent: str) -> str:
    """'Chrome on Android' from a User-Agent, for the settings page's list of devices (pure)."""
    ua = user_agent or ""
    browser = next((name for key, name in (("Edg/", "Edge"), ("MicroMessenger", "WeChat"), ("Firefox/", "Firefox"),
                                           ("Chrome/", "Chrome"), ("Safari/", "Safari")) if key in ua), "")
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
               ("Mac OS X", "Mac"), ("Linux", "Linux"))
    system = next((name for key, name in systems if key in ua), "")
    return " / ".join(part for part in (browser, system) if part)


@blp.route("/key")
class Key(MethodView):
    @blp.response(200, KeyOut)
    def get(self):
        """The VAPID public key to subscribe with (applicationServerKey)"""
        return {"public_key": push.public_key(vapid())}


@blp.route("/subscriptions")
class Subscriptions(MethodView):
    @resident
    @blp.response(200, SubscriptionOut(many=True))
    @blp.paginate(Page)  # a resident's few devices: paged like every list of the API
    def get(self):
        """My devices that receive pushes"""
        return operations.devices(current_user.id)

    @resident
    @blp.arguments(SubscriptionIn())
    @blp.response(201, SubscriptionOut)
    def post(self, data):
        """Receive pushes on this device (the browser's PushSubscription JSON)"""
        return operations.subscribe(current_user.id, endpoint=data["endpoint"], p256dh=data["keys"]["p256dh"],
                                    auth=data["keys"]["auth"], device=device_name(request.user_agent.string),
                                    now=utcnow())

    @resident
    @blp.arguments(EndpointIn())
    @blp.response(204)
    @blp.alt_response(404, description="No such device of yours")
    def delete(self, data):
        """Stop pushes to this device"""
        operations.unsubscribe(current_user.id, endpoint=data["endpoint"])


@blp.route("/follows/shops/<id:merchant_id>")
class ShopFollows(MethodView):
    @resident
    @blp.response(200, FollowOut)
    def put(self, merchant_id):
        """Follow a shop: hear of its airdrops"""
        operations.follow_shop(current_user.id, merchant_id)
        return {"merchant_id": merchant_id, "following": True}

    @resident
    @blp.response(200, FollowOut)
    def delete(self, merchant_id):
        """Stop following a shop"""
        operations.follow_shop(current_user.id, merchant_id, follow=False)
        return {"merchant_id": merchant_id, "following": False}
