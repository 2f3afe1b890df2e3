"""Rate limits for the few endpoints that need one (sign-in, sign-up), on the `limits` library.

Only decorated views pay for a check: a before-request hook on every request (Flask-Limiter's
design) would tax every read of the app for the sake of two endpoints. Counters live in Redis
when REDIS_URL is set, so every worker on every machine shares them; in memory otherwise.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps

from flask import current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from core.extensions import document_problems
from core.problems import RateLimited

EXTENSION = "linli_ratelimit"


class RateLimiter:
    def __init__(self, uri: str):
        self.storage: Storage = storage_from_string(uri)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.fallback: MovingWindowRateLimiter | None = None

    def _active(self) -> MovingWindowRateLimiter:
        return self.fallback or self.strategy

    def hit(self, item: RateLimitItem, *identifiers: str) -> float | None:
        """Count one hit; None if allowed, else seconds until the next one would be."""
        try:
            allowed = self._active().hit(item, *identifiers)
        except Exception:  # noqa: BLE001 - a dead Redis must not take sign-in down with it
            current_app.logger.warning("rate-limit storage unreachable; limiting per process", exc_info=True)
            self.fallback = MovingWindowRateLimiter(MemoryStorage())
            allowed = self.fallback.hit(item, *identifiers)
        if allowed:
            return None
        reset_at = self._active().get_window_stats(item, *identifiers).reset_time
        return max(reset_at - time.time(), 1.0)


def init_rate_limits(app) -> None:
    app.extensions[EXTENSION] = RateLimiter(app.config["RATELIMIT_STORAGE_URI"])


def remote_address() -> str:
    return request.remote_addr or "unknown"


def rate_limit(limit: Callable[[], str], *, key: Callable[[], str] = remote_address, scope: str,
               methods: tuple[str, ...] = ("POST",)):
    """Refuse with 429 (and Retry-After) once `key()` has used up `limit()` in this scope."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method in methods and current_app.config["RATELIMIT_ENABLED"]:
                limiter: RateLimiter = current_app.extensions[EXTENSION]
                for item in parse_many(limit()):
                    wait_s = limiter.hit(item, scope, key())
                    if wait_s is not None:
                        raise RateLimited("Too many attempts. Please wait and try again.",
                                          headers={"Retry-After": str(math.ceil(wait_s))})
            return view(*args, **kwargs)

        wrapper._apidoc = document(dict(getattr(wrapper, "_apidoc", {})), wrapper.__name__)
        return wrapper

    def document(apidoc: dict, method: str) -> dict:
        # The OpenAPI document says so (also in a MethodView's `decorators`: core.extensions.Blueprint).
        return document_problems(apidoc, {429: None}) if method.upper() in methods else apidoc

    decorator.document = document
    return decorator
