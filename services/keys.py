"""Open311 API keys: issued by admins, shown once, stored only as a hash.

A key is 256 random bits, so a plain SHA-256 is enough to store it: salting and slow hashing
protect guessable passwords, and nobody guesses 256 bits. Being unsalted, the hash is also the
lookup: one indexed equality per request, no scan over every key. The first 8 characters stay
in clear so that an admin can tell keys apart on the page and match one a partner quotes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select

from core.db import db
from core.problems import NotFound, ValidationFailed
from services.models import ApiKey

PREFIX_LENGTH = 8
MAX_NAME = 120
# Anything longer is not one of ours: refuse it before hashing a client's megabyte.
MAX_KEY_LENGTH = 128


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(32)


def issue(name: str, admin_id: int | None, now: datetime) -> tuple[str, ApiKey]:
    """(plaintext, key): the plaintext exists only in this return value."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Name the client this key is for.", errors={"name": ["Required."]})
    if len(name) > MAX_NAME:
        raise ValidationFailed("The name is too long.", errors={"name": [f"At most {MAX_NAME} characters."]})
    plaintext = new_key()
    key = ApiKey(name=name, prefix=plaintext[:PREFIX_LENGTH], key_hash=hash_key(plaintext), created_by=admin_id,
                 created_at=now)
    db.session.add(key)
    db.session.flush()
    return plaintext, key


def revoke(key_id: int, now: datetime) -> ApiKey:
    """Revoking twice keeps the first time: the record says when the key stopped working."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = now
        db.session.flush()
    return key


def verify(plaintext: str | None) -> ApiKey | None:
    """The live key with this plaintext, or None (unknown, revoked, or not a key at all)."""
    if not plaintext or len(plaintext) > MAX_KEY_LENGTH:
        return None
    return db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext),
                                                  ApiKey.revoked_at.is_(None)))


def listing() -> list[ApiKey]:
    """Live keys first, newest first."""
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(),
                                                           ApiKey.id.desc())))
