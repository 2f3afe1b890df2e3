"""One error format: RFC 9457 problem+json for the API, HTML pages for the PWA's pages."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from core.extensions import db
from core.idempotency import Replayed
from core.problems import Conflict, Forbidden, NotFound, Problem, Unauthorized, ValidationFailed

PROBLEM_JSON = "application/problem+json"

_TYPES = {
    400: "/problems/bad-request",
    401: "/problems/unauthorized",
    403: "/problems/forbidden",
    404: "/problems/not-found",
    405: "/problems/method-not-allowed",
    409: "/problems/conflict",
    413: "/problems/too-large",
    415: "/problems/unsupported-media-type",
    422: "/problems/validation",
    429: "/problems/rate-limited",
    503: "/problems/busy",
    500: "/problems/internal",
}


# One title per problem type, whether a domain error or Werkzeug raised it.
_TITLES = {cls.status: cls.title for cls in (Unauthorized, Forbidden, NotFound, Conflict, ValidationFailed)}


def wants_problem_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_JSON])
    return best in ("application/json", PROBLEM_JSON)


def problem_response(body: dict, headers: dict | None = None):
    response = jsonify(body)
    response.status_code = body["status"]
    response.mimetype = PROBLEM_JSON
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _string_keys(value):
    # marshmallow keys list items by index (0, 1, ...) beside "_schema": JSON wants strings only.
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


MAX_FIELD_ERRORS = 20


def _field_errors(messages) -> dict | None:
    """webargs nests messages by location ({"json": {...}}); clients want the fields."""
    if not isinstance(messages, dict):
        return None
    messages = _string_keys(messages)
    if len(messages) == 1:
        (only,) = messages.values()
        messages = only if isinstance(only, dict) else {"_body": only}
    return _at_most(messages, MAX_FIELD_ERRORS)


def _at_most(errors: dict, n: int) -> dict:
    """A body of ten thousand unknown keys gets an answer of twenty, not ten thousand, lines."""
    if len(errors) <= n:
        return errors
    kept = dict(list(errors.items())[:n])
    kept["_more"] = [f"{len(errors) - n} more fields were refused."]
    return kept


def http_problem(error: HTTPException) -> dict:
    status = error.code or 500
    body = {
        "type": _TYPES.get(status, f"/problems/http-{status}"),
        "title": _TITLES.get(status, error.name),
        "status": status,
        "detail": error.description if status < 500 else "An unexpected error occurred.",
    }
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or _field_errors(data.get("messages"))
    if errors:
        body["errors"] = errors
        if status == 400 and errors == {"_body": ["Invalid JSON body."]}:
            body["detail"] = "The request body is not valid JSON."
        elif status == 422:
            body["detail"] = "Some fields are invalid; see errors."
    return body


def _extra_headers(error: HTTPException) -> dict:
    # Keep Allow (405), Retry-After (429) and similar; the body type is ours.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update((getattr(error, "data", None) or {}).get("headers") or {})
    return headers


def handle_http_exception(error: HTTPException):
    db.session.rollback()  # a request that raised keeps nothing, handled or not (core.tx)
    if isinstance(error, CSRFError):
        body = {
            "type": "/problems/csrf",
            "title": "Security check failed",
            "status": 400,
            "detail": error.description,
        }
        if wants_problem_json():
            return problem_response(body)
        return render_template("errors/error.html", status=400,
                               message=_("This page expired. Please go back, reload and try again.")), 400
    body = http_problem(error)
    if wants_problem_json():
        return problem_response(body, _extra_headers(error))
    return render_template("errors/error.html", status=body["status"], message=None), body["status"], \
        _extra_headers(error)


def handle_problem(error: Problem):
    db.session.rollback()
    if wants_problem_json():
        return problem_response(error.to_dict(), error.headers)
    return (render_template("errors/error.html", status=error.status, message=error.detail), error.status,
            error.headers)


def handle_unexpected(error: Exception):
    # Logged with the trace for us; the client sees nothing of it.
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_exception(InternalServerError())


BUSY_RETRY_AFTER_S = 2


def handle_pool_timeout(_error: PoolTimeout):
    """Every database connection of this worker stayed taken for LINLI_DB_POOL_TIMEOUT seconds: a
    crowd, or a hot lock. Say so at once and ask to come back, rather than hold the worker."""
    from flask import current_app

    current_app.logger.warning("database pool exhausted on %s %s", request.method, request.path)
    db.session.rollback()
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_S)}
    if wants_problem_json():
        return problem_response({"type": _TYPES[503], "title": "Busy", "status": 503,
                                 "detail": "The service is busy. Please try again in a moment."}, headers)
    return render_template("errors/error.html", status=503,
                           message=_("We are very busy right now. Please try again in a moment.")), 503, headers


def handle_replay(replay: Replayed):
    db.session.rollback()  # this request's own attempt is discarded; the first answer stands
    response = jsonify(replay.body)
    response.status_code = replay.status
    if replay.status >= 400:
        response.mimetype = PROBLEM_JSON
    response.headers["Idempotent-Replayed"] = "true"
    return response


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Problem, handle_problem)
    app.register_error_handler(Replayed, handle_replay)
    app.register_error_handler(PoolTimeout, handle_pool_timeout)
    app.register_error_handler(Exception, handle_unexpected)
