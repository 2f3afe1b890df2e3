"""Pure rules for proof of presence: the rotating code a fence's screen shows, and its check.

A screen at a fence shows a QR of a URL holding (fence id, 30-second step, code), where the code is
HMAC-SHA256(the fence's secret, "<fence id>:<step>") cut to 10 bytes (80 bits: not guessable). Only
the current step and the one before are accepted, so a code photographed now is refused 30-60 s
later: a screenshot passed around dies within a minute. The screen itself is authorised by a token
from the same secret, so a new secret revokes the screen link and every code at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

STEP_S = 30
CODE_BYTES = 10
SCREEN_TOKEN_BYTES = 16
PRESENCE_S = 15 * 60  # how long a scan counts as being at the fence
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{14}$")  # 10 bytes in base64url, unpadded

OK, EXPIRED, INVALID = "ok", "expired", "invalid"


def step_at(unix_s: float) -> int:
    return int(unix_s // STEP_S)


def seconds_left(unix_s: float) -> float:
    """Until the step of `unix_s` ends (the screen fetches its next code then)."""
    return STEP_S - (unix_s % STEP_S)


def _mac(secret: str, message: str, size: int) -> str:
    digest = hmac.new(bytes.fromhex(secret), message.encode(), hashlib.sha256).digest()[:size]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def code_for(secret: str, fence_id: int, step: int) -> str:
    return _mac(secret, f"{fence_id}:{step}", CODE_BYTES)


def screen_token(secret: str, fence_id: int) -> str:
    """What the screen link carries: only a screen with it is shown the codes."""
    return _mac(secret, f"screen:{fence_id}", SCREEN_TOKEN_BYTES)


def screen_allowed(secret: str, fence_id: int, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(screen_token(secret, fence_id).encode(), str(token).encode())


def verify(secret: str, fence_id: int, step: int, code: str, *, unix_s: float) -> str:
    """OK for this fence's code of the current or the previous step; EXPIRED for a genuine older
    code (so the page can say "scan again"); INVALID for anything else (forged, another fence's,
    a step from the future)."""
    if not CODE_PATTERN.match(code or ""):
        return INVALID
    if not hmac.compare_digest(code_for(secret, fence_id, step).encode(), code.encode()):
        return INVALID
    now_step = step_at(unix_s)
    if step > now_step:
        return INVALID
    return OK if step >= now_step - 1 else EXPIRED
