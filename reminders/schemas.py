"""Push subscriptions as browsers send them (PushSubscription.toJSON()), and follows."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validates

from core.schemas import Id, Length, Regexp, StrictSchema
from reminders.rules import push_service_allowed

_B64URL = Regexp(r"^[A-Za-z0-9_-]+=*$")


class KeysIn(StrictSchema):
    p256dh = fields.String(required=True, validate=[Length(min=80, max=200), _B64URL])
    auth = fields.String(required=True, validate=[Length(min=16, max=100), _B64URL])


class SubscriptionIn(StrictSchema):
    # A push service's address, checked in our own sentences (marshmallow's Url speaks its own).
    endpoint = fields.String(required=True, validate=[Length(max=2000), Regexp(
        r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$",
        error=_l("This is not the address of a push service."))])
    keys = fields.Nested(KeysIn, required=True)
    expirationTime = fields.Raw(allow_none=True, load_default=None)  # noqa: N815 - the browser's name

    @validates("endpoint")
    def _a_browsers_push_service(self, value: str, **_) -> None:
        if not push_service_allowed(value, current_app.config["PUSH_SERVICES"]):
            raise ValidationError(str(_l("Linli sends notifications only through the browsers' own push services.")))


class EndpointIn(StrictSchema):
    endpoint = fields.String(required=True, validate=Length(min=1, max=2000))


class SubscriptionOut(StrictSchema):
    id = Id()
    device = fields.String()
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)


class KeyOut(StrictSchema):
    public_key = fields.String(metadata={"description": "the VAPID applicationServerKey, base64url"})


class FollowOut(StrictSchema):
    merchant_id = Id()
    following = fields.Boolean()
