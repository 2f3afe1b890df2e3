"""Domain errors, rendered as RFC 9457 problem documents by core.errors.

No Flask here: operations raise these and stay testable without a request.
"""

from __future__ import annotations


class Problem(Exception):
    status = 400
    type = "/problems/bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None, *, errors: dict | None = None,
                 headers: dict[str, str] | None = None, **extra):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    def to_dict(self) -> dict:
        body = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class Unauthorized(Problem):
    status, type, title = 401, "/problems/unauthorized", "Sign-in required"


class Forbidden(Problem):
    status, type, title = 403, "/problems/forbidden", "Not allowed"


class NotFound(Problem):
    status, type, title = 404, "/problems/not-found", "Not found"


class Conflict(Problem):
    status, type, title = 409, "/problems/conflict", "Conflict"


class ValidationFailed(Problem):
    status, type, title = 422, "/problems/validation", "Invalid input"


class RateLimited(Problem):
    status, type, title = 429, "/problems/rate-limited", "Too many requests"


class InvalidCredentials(Unauthorized):
    type, title = "/problems/invalid-credentials", "Wrong account or password"


class AlreadyRegistered(Conflict):
    type, title = "/problems/already-registered", "Already registered"
