"""What a coupon looks like at the till: the rotating QR, the typed short code, the printed code.

Pure functions, no Flask. The phone holds the coupon's own TOTP secret (RFC 6238, 30-second
steps, 6 digits) and draws `LL1:<coupon id>:<step>:<code>` without a network; the server
accepts the current step and one either side for clock skew, so a screenshot stops working
within about a minute. The same code, typed as `<coupon id>-<code>`, is the cashier's fallback.
Residents without a smartphone get a printed one-time code: 11 random digits and a Verhoeff
check digit, so a mistyped digit or swapped pair is caught before the server is asked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import pyotp
from stdnum import verhoeff

STEP_S = 30
DIGITS = 6
SKEW_STEPS = 1
PREFIX = "LL1"
PRINTED_PREFIX = "LL1P"
PRINTED_LENGTH = 12

# Why a code was not accepted; the till shows each in words.
MALFORMED = "malformed"
NOT_GENUINE = "not_genuine"
CODE_EXPIRED = "code_expired"


@dataclass(frozen=True)
class RotatingCode:
    coupon_id: int
    code: str
    step: int | None  # None when typed: the cashier's clock decides which step is meant


@dataclass(frozen=True)
class PrintedCode:
    digits: str


def new_secret() -> str:
    """160 random bits in base32, the form authenticator apps and the otpauth library take."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def step_at(unix_time: float) -> int:
    return int(unix_time // STEP_S)


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).generate_otp(step)


def qr_payload(coupon_id: int, secret: str, unix_time: float) -> str:
    """What the phone draws (the server never needs to; tests and benchmarks do)."""
    step = step_at(unix_time)
    return f"{PREFIX}:{coupon_id}:{step}:{code_at(secret, step)}"


def typed_code(coupon_id: int, secret: str, unix_time: float) -> str:
    return f"{coupon_id}-{code_at(secret, step_at(unix_time))}"


# re.ASCII: other scripts' digits are not a code (and would not compare in constant time).
_QR = re.compile(rf"^{PREFIX}:(\d{{1,10}}):(\d{{1,12}}):(\d{{{DIGITS}}})$", re.ASCII)
_PRINTED_QR = re.compile(rf"^{PRINTED_PREFIX}:(\d{{{PRINTED_LENGTH}}})$", re.ASCII)
_TYPED = re.compile(rf"^(\d{{1,10}})-(\d{{{DIGITS}}})$", re.ASCII)


def parse(text: str) -> RotatingCode | PrintedCode | None:
    """A scanned payload or a typed code; None when it is neither."""
    text = (text or "").strip()
    if match := _QR.match(text):
        return RotatingCode(int(match[1]), match[3], int(match[2]))
    if match := _PRINTED_QR.match(text):
        return PrintedCode(match[1]) if verhoeff.is_valid(match[1]) else None
    # Typed: people add spaces, and some keyboards give an en dash.
    compact = re.sub(r"\s+", "", text).replace("–", "-").replace("—", "-")
    if compact.isascii() and compact.isdigit() and len(compact) == PRINTED_LENGTH and verhoeff.is_valid(compact):
        return PrintedCode(compact)
    if match := _TYPED.match(compact):
        return RotatingCode(int(match[1]), match[2], None)
    return None


def check_rotating(code: RotatingCode, secret: str, unix_time: float) -> str | None:
    """None if genuine and current; otherwise why not."""
    now_step = step_at(unix_time)
    if code.step is not None:
        if not hmac.compare_digest(code_at(secret, code.step), code.code):
            return NOT_GENUINE
        return None if abs(code.step - now_step) <= SKEW_STEPS else CODE_EXPIRED
    for step in range(now_step - SKEW_STEPS, now_step + SKEW_STEPS + 1):
        if hmac.compare_digest(code_at(secret, step), code.code):
            return None
    return NOT_GENUINE


def new_printed_code() -> str:
    body = f"{secrets.randbelow(10 ** (PRINTED_LENGTH - 1)):0{PRINTED_LENGTH - 1}d}"
    return body + verhoeff.calc_check_digit(body)


def printed_qr_payload(digits: str) -> str:
    return f"{PRINTED_PREFIX}:{digits}"


def printed_key(app_secret: str) -> bytes:
    """The key printed codes are hashed with, derived from the app's secret for this purpose only."""
    return hashlib.sha256(b"linli printed code\0" + app_secret.encode()).digest()


def printed_code_hash(digits: str, key: bytes) -> str:
    """Printed codes are stored keyed-hashed: a copy of the database cannot redeem them."""
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()


def group_digits(digits: str, size: int = 4) -> str:
    return " ".join(digits[i:i + size] for i in range(0, len(digits), size))
