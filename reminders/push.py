"""Web Push with VAPID (pywebpush): the server's key, and one encrypted POST to a push service.

The private key comes from LINLI_VAPID_PRIVATE_KEY (a PEM file's path, or the key itself as PEM or
base64url); in development it is generated once into instance/vapid_private.pem (never in the
repository). Browsers subscribe with the public key (GET /api/push/key) and a push service
accepts only pushes signed by the same key, so keep it: a new key orphans every subscription.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from core.config import ConfigError

GONE = "gone"  # 404/410: the subscription is dead, forget it
FAILED = "failed"  # anything else: try again later
OK = "ok"
TTL_S = 3600  # a push service keeps an undelivered push this long (the phone is off, in a lift...)


def load_vapid(raw: str | None, instance_path: Path, *, production: bool) -> Vapid02:
    if raw:
        if os.path.isfile(raw):
            return Vapid02.from_file(raw)
        if "BEGIN" in raw:
            return Vapid02.from_pem(raw.encode())
        return Vapid02.from_string(raw)
    if production:
        raise ConfigError("LINLI_VAPID_PRIVATE_KEY is required in production "
                          "(keep it: a new key orphans every subscription)")
    path = instance_path / "vapid_private.pem"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        vapid = Vapid02()
        vapid.generate_keys()
        pem = vapid.private_pem()
        try:  # O_EXCL: two workers starting together must agree on one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return Vapid02.from_file(str(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    return Vapid02.from_file(str(path))


def public_key(vapid: Vapid02) -> str:
    """The applicationServerKey browsers subscribe with: the uncompressed P-256 point, base64url."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class Target:
    endpoint: str
    p256dh: str
    auth: str


def send(target: Target, payload: dict, *, vapid: Vapid02, subject: str, timeout_s: float = 10) -> str:
    """POST one RFC 8291 (aes128gcm) encrypted push; OK, GONE (404/410) or FAILED."""
    from pywebpush import WebPushException, webpush

    info = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
    try:
        webpush(info, json.dumps(payload, ensure_ascii=False), vapid_private_key=vapid,
                vapid_claims={"sub": subject}, ttl=TTL_S, timeout=timeout_s, content_encoding="aes128gcm")
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        return GONE if status in (404, 410) else FAILED
    except (OSError, ValueError):  # connection refused, DNS, a malformed key in the subscription
        return FAILED
    return OK
