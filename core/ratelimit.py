"""Rate limits for the few endpoints that need one, on Flask-Limiter (and so the `limits` library).

Counters live in Redis when REDIS_URL is set, so every worker on every machine shares them; in
memory otherwise. When Redis fails, Flask-Limiter counts in memory for a while and keeps asking
Redis again (after 1, 2, 4 ... 32 s, then from 1 s again), so the limits are shared again as soon
as it is back: a blip no longer leaves each worker with a limit of its own for good.

Each app gets a Limiter of its own (the extension keeps its storage on the instance, and the tests
build many apps in one process); `rate_limit` records what a view needs and applies it to the
limiter of the app that serves the request. Only decorated views pay for a check: the extension's
before-request hook, which would evaluate every request of the app for the sake of a few
endpoints, is taken off again (decorated limits do not need it).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits.storage import MemoryStorage

from core.extensions import document_problems
from core.problems import RateLimited

EXTENSION = "linli_limiter"
MESSAGE = "Too many attempts. Please wait and try again."


def remote_address() -> str:
    return request.remote_addr or "unknown"


def account_or_address() -> str:
    """The signed-in account, or the address of a stranger."""
    from flask_login import current_user

    return f"user:{current_user.id}" if current_user.is_authenticated else f"addr:{remote_address()}"


def failed(response: Response) -> bool:
    """deduct_when for limits that count only refused attempts (a wrong password: 401)."""
    return response.status_code == 401


class _SweptMemoryStorage(MemoryStorage):
    """limits' in-memory counters, swept inline at most once a second.

    The library's own storage starts a timer thread after almost every hit (one lives 10 ms) to
    drop expired entries: on a busy till that was a thread, or a greenlet, per request. Expired
    entries never count (every check compares timestamps), so sweeping later only keeps memory
    bounded - once a second is plenty."""

    STORAGE_SCHEME = ["linli-memory"]
    SWEEP_EVERY_S = 1.0
    _next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the library's (name-mangled) hook
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY_S
            self._MemoryStorage__expire_events()


def _storage_uri(uri: str) -> str:
    return "linli-memory://" if uri.startswith("memory://") else uri


@dataclass(frozen=True)
class _Limit:
    limit: Callable[[], str]
    key: Callable[[], str]
    scope: str
    methods: tuple[str, ...]
    deduct_when: Callable[[Response], bool] | None
    exempt_when: Callable[[], bool] | None


class _AppLimiter:
    """One app's Flask-Limiter and the views it has wrapped."""

    def __init__(self, app):
        options = {}
        uri = app.config["RATELIMIT_STORAGE_URI"]
        if uri.startswith(("redis://", "rediss://")):
            # A hung Redis must cost a request a second at most before the fallback takes over.
            options = {"socket_timeout": 1, "socket_connect_timeout": 1}
        self.limiter = Limiter(remote_address, storage_uri=_storage_uri(uri), storage_options=options,
                               strategy="moving-window", in_memory_fallback_enabled=True, swallow_errors=True,
                               key_prefix="linli")
        self.limiter.init_app(app)
        if self.limiter._check_request_limit in app.before_request_funcs.get(None, []):
            app.before_request_funcs[None].remove(self.limiter._check_request_limit)
        self._guarded: dict[int, Callable] = {}
        self._lock = threading.Lock()

    def guarded(self, wrapper, view, limits: list[_Limit]) -> Callable:
        found = self._guarded.get(id(wrapper))
        if found is not None:
            return found
        with self._lock:  # built once per app and view: a second build would count every hit twice
            found = self._guarded.get(id(wrapper))
            if found is None:
                def target(*args, **kwargs):
                    return view(*args, **kwargs)

                # Flask-Limiter files limits under the function's name; MethodViews' names repeat.
                target.__name__ = target.__qualname__ = f"limited_{id(wrapper)}"
                found = target
                for spec in limits:
                    found = self.limiter.shared_limit(
                        spec.limit, spec.scope, key_func=spec.key, methods=list(spec.methods),
                        deduct_when=spec.deduct_when, exempt_when=spec.exempt_when, error_message=MESSAGE,
                    )(found)
                self._guarded[id(wrapper)] = found
        return found

    def retry_after_s(self) -> int:
        try:
            breached = self.limiter.current_limit
            return max(1, math.ceil(breached.reset_at - time.time()))
        except Exception:  # noqa: BLE001 - the storage may be gone by now; any wait will do
            return 60


def init_rate_limits(app) -> None:
    app.extensions[EXTENSION] = _AppLimiter(app) if app.config["RATELIMIT_ENABLED"] else None


def rate_limit(limit: Callable[[], str], *, key: Callable[[], str] = remote_address, scope: str,
               methods: tuple[str, ...] = ("POST",), deduct_when: Callable[[Response], bool] | None = None,
               exempt_when: Callable[[], bool] | None = None):
    """Refuse with 429 (and Retry-After) once `key()` has used up `limit()` in this scope.

    The scope names one bucket across every view that uses it (the sign-in page and API share
    "login"). With `deduct_when`, only responses it accepts count (e.g. `failed`); `exempt_when`
    skips the limit for a request. Stacked decorators add limits to one check."""
    spec = _Limit(limit, key, scope, tuple(m.upper() for m in methods), deduct_when, exempt_when)

    def decorator(view):
        existing = getattr(view, "_linli_limits", None)
        if existing is not None:
            existing.append(spec)
            return view
        limits = [spec]

        @wraps(view)
        def wrapper(*args, **kwargs):
            state: _AppLimiter | None = current_app.extensions.get(EXTENSION)
            if state is None or not current_app.config["RATELIMIT_ENABLED"]:
                return view(*args, **kwargs)
            try:
                return state.guarded(wrapper, view, limits)(*args, **kwargs)
            except RateLimitExceeded:
                raise RateLimited(MESSAGE, headers={"Retry-After": str(state.retry_after_s())}) from None

        wrapper._linli_limits = limits
        wrapper._apidoc = document(dict(getattr(wrapper, "_apidoc", {})), wrapper.__name__)
        return wrapper

    def document(apidoc: dict, method: str) -> dict:
        # The OpenAPI document says so (also in a MethodView's `decorators`: core.extensions.Blueprint).
        return document_problems(apidoc, {429: None}) if method.upper() in methods else apidoc

    decorator.document = document
    return decorator
