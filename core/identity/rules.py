"""Pure identity rules: how people name their account and what a password must be."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import phonenumbers

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8  # the messages below quote these numbers
MAX_PASSWORD = 128
# The district is in mainland China: a bare mobile number is read as +86.
DEFAULT_REGION = "CN"


def N_(message: str) -> str:
    """Marks a message for translation; pages translate it when they show it."""
    return message


@dataclass(frozen=True)
class Identifier:
    kind: str  # "email" or "phone"
    value: str


class BadIdentifier(ValueError):
    pass


def normalize_identifier(raw: str) -> Identifier:
    """An email address (case-folded) or a mobile number in E.164 form."""
    text = raw.strip()
    if "@" in text:
        if len(text) > 254 or not EMAIL_RE.match(text):
            raise BadIdentifier(N_("Not a valid email address."))
        local, domain = text.rsplit("@", 1)
        return Identifier("email", f"{local}@{domain.lower()}".lower())
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise BadIdentifier(N_("Enter an email address or a mobile number.")) from exc
    mobile_types = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in mobile_types:
        raise BadIdentifier(N_("Not a valid mobile number."))
    return Identifier("phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def password_problems(password: str, identifier: str = "") -> list[str]:
    """NIST 800-63B style: length matters, composition rules do not."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(N_("Use at least 8 characters."))
    if len(password) > MAX_PASSWORD:
        problems.append(N_("Use at most 128 characters."))
    if identifier and password.strip().lower() == identifier.strip().lower():
        problems.append(N_("The password must not be your account name."))
    if password and len(set(password)) == 1:
        problems.append(N_("The password must not repeat one character."))
    return problems


# One-time sign-in codes are read aloud at a desk and typed by someone unused to phones: no 0/O,
# 1/I/L, 8 characters from 31 (about 40 bits), in two groups of four.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_CODE_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_sign_in_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def typed_code(raw: str) -> str | None:
    """The code as typed (any case, spaces or dashes between), or None if it cannot be one."""
    code = _CODE_SEPARATORS.sub("", raw or "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def sign_in_code_hash(code: str, key: bytes) -> str:
    """Keyed, so a copy of the table cannot be searched for codes offline (8 characters are few)."""
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


_PHONE_QUERY = re.compile(r"^[\d\s\-+().]+$")


@dataclass(frozen=True)
class AccountSearch:
    text: str  # matched against names and email addresses
    digits: str | None  # matched against mobile numbers, when the query reads as (part of) one


def account_search(raw: str) -> AccountSearch | None:
    """What an admin typed in the accounts search box; None when it is blank."""
    text = " ".join((raw or "").split())[:120]
    if not text:
        return None
    digits = re.sub(r"\D", "", text) if _PHONE_QUERY.match(text) else ""
    return AccountSearch(text=text, digits=digits or None)


HOME_BY_ROLE = {
    "resident": "core.home_resident",
    "merchant": "core.home_merchant",
    "staff": "core.home_staff",
    "admin": "core.home_admin",
}


def home_endpoint(role: str) -> str:
    return HOME_BY_ROLE[role]


def sign_in_code_key(secret: str) -> bytes:
    """The key of sign-in code hashes, kept apart from every other use of the app's secret."""
    return hashlib.sha256(b"linli-sign-in-code:" + secret.encode()).digest()
