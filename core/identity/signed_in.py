"""Who is signed in: an immutable snapshot of the account, cached per process for a few seconds.

Loading the account row on every request would be the most expensive step of a simple read.
The snapshot stays correct because the session names what it must match:
- `session_version` (in the Flask-Login id) changes with the password, so a stale snapshot
  never outlives a password change by more than the TTL on other processes, and not at all here;
- `revision` (session key "uv") changes whenever this session edits the account, so the device
  that changed its language or large-text setting sees it on its very next request, whichever
  worker answers.
Other devices of the same person see an edit within IDENTITY_CACHE_TTL_S.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

from flask import current_app, session

from core.db import db
from core.identity.models import AccountMixin, MerchantRole, Role, User
from core.tx import after_commit

REVISION_KEY = "uv"
EXTENSION = "linli_identity_cache"


@dataclass(frozen=True, slots=True)
class Identity(AccountMixin):
    id: int
    role: Role
    display_name: str
    email: str | None
    phone: str | None
    merchant_id: int | None
    merchant_role: MerchantRole | None
    department_id: int | None
    locale: str | None
    large_text: bool
    active: bool
    session_version: int
    revision: int
    created_at: object

    # Flask-Login's user interface.
    is_authenticated = True
    is_anonymous = False

    @classmethod
    def of(cls, user: User) -> Identity:
        return cls(**{f.name: getattr(user, f.name) for f in fields(cls)})


def _cache() -> dict[int, tuple[Identity, float]]:
    return current_app.extensions.setdefault(EXTENSION, {})


def load(session_id: str) -> Identity | None:
    """Flask-Login's user loader."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user_id, version = int(user_id), int(version)
    cache = _cache()
    hit = cache.get(user_id)
    if (hit is not None and hit[1] > time.monotonic() and hit[0].session_version == version
            and hit[0].revision >= session.get(REVISION_KEY, 0)):
        return hit[0]
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version:
        cache.pop(user_id, None)
        return None
    identity = Identity.of(user)
    cache[user_id] = (identity, time.monotonic() + current_app.config["IDENTITY_CACHE_TTL_S"])
    return identity


def account(identity: Identity) -> User:
    """The account row behind a snapshot, for use cases that change it."""
    return db.session.get(User, identity.id)


def changed(user: User) -> Identity:
    """After this session changed its own account: remember the revision, refresh the snapshot
    once the change is committed (until then other requests keep the old one)."""
    session[REVISION_KEY] = user.revision
    identity = Identity.of(user)
    cache, ttl_s = _cache(), current_app.config["IDENTITY_CACHE_TTL_S"]
    after_commit(lambda: cache.__setitem__(user.id, (identity, time.monotonic() + ttl_s)))
    return identity
