"""Pure identity rules: how people name their account and what a password must be."""

from __future__ import annotations

import re
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


HOME_BY_ROLE = {
    "resident": "core.home_resident",
    "merchant": "core.home_merchant",
    "staff": "core.home_staff",
    "admin": "core.home_admin",
}


def home_endpoint(role: str) -> str:
    return HOME_BY_ROLE[role]
