"""Who is signed in: an immutable snapshot of the account, cached per process for a few seconds.

Loading the account row on every request would be the most expensive step of a simple read.
The snapshot stays correct because the session names what it must match:
- `session_version` (in the Flask-Login id) changes with the password, so a stale snapshot
  never outlives a password change by more than the TTL on other processes, and not at all here;
- `revision` (session key "uv") changes whenever this session edits the account, so the device
  that changed its language or large-text setting sees it on its very next request, whichever
  worker answers.
Other devices of the same person see an edit within IDENTITY_CACHE_TTL_S.

Each signed-in device also has a row in `user_session`, named by the session key "sid" (only a
hash is stored). Signing out deletes it: a copy of the cookie then stops working at once on the
worker that answered the sign-out and within IDENTITY_CACHE_TTL_S on the others, which trust
their cache of open sessions that long. "Sign out everywhere" also moves `session_version`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

from flask import current_app, session

from core.db import db, utcnow
from core.identity import operations
from core.identity.models import AccountMixin, MerchantRole, Role, User
from core.tx import after_commit

REVISION_KEY = "uv"
SESSION_KEY = "sid"
EXTENSION = "linli_identity_cache"
SESSIONS = "linli_open_sessions"


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


def _open_sessions() -> dict[str, tuple[int, float]]:
    return current_app.extensions.setdefault(SESSIONS, {})


def _session_open(user_id: int) -> bool:
    session_id = session.get(SESSION_KEY)
    if not isinstance(session_id, str) or not session_id:
        return False  # signed in before sessions were kept on the server, or forged
    id_hash = operations.session_hash(session_id)
    cache = _open_sessions()
    hit = cache.get(id_hash)
    if hit is not None and hit[0] == user_id and hit[1] > time.monotonic():
        return True
    if not operations.session_is_open(session_id, user_id, now=utcnow()):
        cache.pop(id_hash, None)
        return False
    cache[id_hash] = (user_id, time.monotonic() + current_app.config["IDENTITY_CACHE_TTL_S"])
    return True


def load(session_id: str) -> Identity | None:
    """Flask-Login's user loader."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user_id, version = int(user_id), int(version)
    if not _session_open(user_id):
        return None
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


def sign_in(user: User) -> Identity:
    """Open a server-side session for this device; the caller logs the snapshot in."""
    session_id = operations.open_session(user, now=utcnow())
    session[SESSION_KEY] = session_id
    id_hash, ttl_s = operations.session_hash(session_id), current_app.config["IDENTITY_CACHE_TTL_S"]
    sessions = _open_sessions()
    after_commit(lambda: sessions.__setitem__(id_hash, (user.id, time.monotonic() + ttl_s)))
    return changed(user)


def sign_out() -> None:
    """End this device's session on the server (every copy of its cookie with it)."""
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str) and session_id:
        operations.close_session(session_id)
        forget_sessions([operations.session_hash(session_id)])


def current_session_id() -> str | None:
    return session.get(SESSION_KEY)


def forget_sessions(id_hashes: list[str]) -> None:
    """Once committed, this worker stops trusting these sessions at once."""
    sessions = _open_sessions()
    after_commit(lambda: [sessions.pop(h, None) for h in id_hashes])


def signed_out_elsewhere(user: User, closed: list[str]) -> Identity:
    """After close_other_sessions/change_password: forget the closed sessions here, refresh the snapshot."""
    forget_sessions(closed)
    return changed(user)
