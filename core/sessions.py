"""Signed-cookie sessions that are re-signed at most once a day.

Flask re-signs a permanent session on every request to slide its expiry; for a read-heavy PWA
that is an HMAC and a Set-Cookie per request for nothing. Sliding once a day keeps residents
signed in for 30 days after their last visit at a fraction of the cost.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask.sessions import SecureCookieSessionInterface

DAY_KEY = "_day"


class DailyRefreshSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app):
        # Flask builds a new serializer for every request; the keys do not change while we run.
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = app.extensions.get("linli_session_serializer")
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            app.extensions["linli_session_serializer"] = cached
        return cached[1]

    def _stale(self, app, session) -> bool:
        return (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
                and session.get(DAY_KEY) != _today())

    def save_session(self, app, session, response) -> None:
        # Stamp the day here, before the cookie is written, so that should_set_cookie stays a question.
        if session and (session.modified or self._stale(app, session)):
            session[DAY_KEY] = _today()
        super().save_session(app, session, response)

    def should_set_cookie(self, app, session) -> bool:
        return session.modified or self._stale(app, session)


def _today() -> str:
    return datetime.now(UTC).strftime("%Y%m%d")
