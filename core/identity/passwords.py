"""Argon2id password hashing (argon2-cffi's RFC 9106 low-memory profile).

The test suite hashes hundreds of passwords: LINLI_PASSWORD_PROFILE=cheapest (set by
tests/conftest.py) makes each hash microseconds instead of tens of milliseconds. Production
refuses it (core.config), and a hash made with it is upgraded at the next sign-in anyway.
"""

from __future__ import annotations

import os
from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

PROFILES = {"rfc9106": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}
_hasher = PasswordHasher.from_parameters(PROFILES[os.environ.get("LINLI_PASSWORD_PROFILE", "rfc9106")])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("linli-dummy-password")


def verify_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, new hash if the stored one uses outdated parameters).

    With no stored hash we still pay for one verification so that the response time
    does not tell whether an account exists.
    """
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False, None
    if stored is None:
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(stored) else None)
