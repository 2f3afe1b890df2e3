"""Extension singletons, bound to an app in linli.app.create_app."""

from __future__ import annotations

import http

from flask.views import MethodView
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from flask_wtf.csrf import CSRFProtect
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request

from core.db import db
from core.input import parsed_json

__all__ = ["Api", "Blueprint", "babel", "csrf", "db", "document_problems", "login_manager", "migrate", "problems"]

SESSION_SCHEME, CSRF_SCHEME = "session", "csrf"
PROBLEM_JSON = "application/problem+json"
BODY_METHODS = ("post", "put", "patch", "delete")

# --- what each operation may answer besides success -----------------------------------------
#
# Every refusal is problem+json (core.errors). The document lists, per operation, each status it
# may really send: 400 and (with a body) 413 for any operation, 401/403 from core.identity.access,
# 404 for a path that names something, 422 from its arguments, 429 from core.ratelimit, and what a
# view declares with @problems(...). There is no `default` response: an undocumented status is a bug
# of the document, and a 5xx a bug of the code.

PROBLEMS = "problems"  # the key, in a view's flask-smorest `_apidoc`, of {status: description | None}

# Reusable responses for the statuses every domain shares: (component name, description).
_SHARED = {
    400: ("BAD_INPUT", "The request could not be read: malformed JSON, text that cannot be stored (NUL, "
                       "unpaired surrogates) or, with the session cookie, a missing or wrong X-CSRFToken"),
    401: ("SIGN_IN_REQUIRED", "Not signed in, or the session has ended"),
    403: ("NOT_ALLOWED", "Signed in, but this account may not do this"),
    404: ("NO_SUCH_RESOURCE", "Nothing by this id or reference (or nothing this account may see)"),
    413: ("BODY_TOO_LARGE", "The request body is larger than the API accepts"),
    429: ("RATE_LIMITED", "Too many requests: try again after Retry-After seconds"),
}


def document_problems(apidoc: dict, statuses: dict[int, str | None]) -> dict:
    """`apidoc` (a view's `_apidoc`, or flask-smorest's stored copy of it) with these statuses added
    to what the operation may answer; a description given first is kept."""
    known = dict(apidoc.get(PROBLEMS, {}))
    for status, description in statuses.items():
        if known.get(status) is None:
            known[status] = description
    apidoc[PROBLEMS] = known
    return apidoc


def problems(*statuses: int | tuple[int, str]):
    """Document refusals a view raises itself: @problems(404, (409, "Already voided"))."""
    wanted = dict(s if isinstance(s, tuple) else (s, None) for s in statuses)

    def decorator(view):
        # Copied, not updated: functools.wraps shares the wrapped view's dict.
        view._apidoc = document_problems(dict(getattr(view, "_apidoc", {})), wanted)
        return view

    return decorator


class _ParsedOnce(FlaskParser):
    """webargs, reading the JSON body core.input has already decoded and checked."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return webargs_core.missing
        found = parsed_json(req.environ, webargs_core.missing)
        return super()._raw_load_json(req) if found is webargs_core.missing else found


class Blueprint(_Blueprint):
    """flask-smorest's Blueprint, documenting every operation's refusals (see PROBLEMS above).

    A MethodView's class-level `decorators` wrap the view, not its methods, so flask-smorest never
    sees them; a decorator with a `document(apidoc, method)` attribute (roles_required, rate_limit)
    is asked to document each method of the class here."""

    ARGUMENTS_PARSER = _ParsedOnce()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_problems_doc)

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)
        endpoint = self._endpoints[-1]  # as flask-smorest named it (made unique)
        class_decorators = view_func.decorators if isinstance(view_func, type(MethodView)) else ()
        for method, apidoc in self._docs[endpoint].items():
            if method == "parameters":
                continue
            for decorator in class_decorators:
                if hasattr(decorator, "document"):
                    decorator.document(apidoc, method)
            if "<" in rule:
                document_problems(apidoc, {404: None})

    @staticmethod
    def _prepare_problems_doc(doc, doc_info, *, api, method, **kwargs):
        wanted = {400: None, **({413: None} if method in BODY_METHODS else {}), **doc_info.get(PROBLEMS, {})}
        responses = doc.setdefault("responses", {})
        documented = {int(status) for status in responses}
        for status, description in sorted(wanted.items()):
            if status in documented:
                continue
            if description is None:
                responses[status] = _SHARED[status][0] if status in _SHARED else http.HTTPStatus(status).name
            else:
                responses[status] = {"description": description,
                                     "content": {PROBLEM_JSON: {"schema": api.ERROR_SCHEMA}}}
        for status, response in responses.items():
            if int(status) >= 400 and isinstance(response, dict):
                _as_problem(response, api.ERROR_SCHEMA)
        _body_optional_without_required_fields(doc)
        return doc


def _as_problem(response: dict, schema) -> None:
    """A refusal is sent as problem+json, with the Problem schema unless another one was given."""
    content = response.setdefault("content", {})
    if "application/json" in content:
        content[PROBLEM_JSON] = content.pop("application/json")
    content.setdefault(PROBLEM_JSON, {}).setdefault("schema", schema)


def _body_optional_without_required_fields(doc: dict) -> None:
    """A JSON body none of whose fields is required (a PATCH's) may be left out: the view gets {}."""
    body = doc.get("requestBody")
    if not body:
        return
    for media in body.get("content", {}).values():
        schema = media.get("schema")
        declared = getattr(schema, "fields", None) or getattr(schema, "_declared_fields", None)
        if declared is None or any(field.required for field in declared.values()):
            return
    body["required"] = False


class Api(_Api):
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own refusals (Blueprint above)

    def __init__(self, *args, **kwargs):
        from core.schemas import ProblemSchema

        self.ERROR_SCHEMA = ProblemSchema
        super().__init__(*args, **kwargs)

    def _register_responses(self):
        # The documented error responses are what handle_http_exception sends: problem+json.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_JSON
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE
        content = {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}
        for status, (name, description) in _SHARED.items():
            response = {"description": description, "content": content}
            if status == 429:
                response["headers"] = {"Retry-After": {"description": "Seconds to wait", "required": True,
                                                       "schema": {"type": "integer", "minimum": 1}}}
            self.spec.components.response(name, response, lazy=True)

    def _register_pagination_header(self):
        # X-Pagination is sent as a JSON string: OpenAPI says so with `content`, not `schema`.
        from flask_smorest.pagination import PaginationMetadataSchema

        self.spec.components.header("PAGINATION", {
            "description": "Pagination metadata, as a JSON string",
            "content": {"application/json": {"schema": PaginationMetadataSchema}}}, lazy=True)

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        # How the API authenticates (core.identity.access.roles_required marks each protected operation).
        self.spec.components.security_scheme(
            SESSION_SCHEME, {"type": "apiKey", "in": "cookie", "name": "linli_session",
                             "description": "The session cookie set by POST /api/auth/login or /api/auth/signup"})
        self.spec.components.security_scheme(
            CSRF_SCHEME, {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                          "description": "Required with the session cookie on every state-changing request: "
                                         "GET /api/auth/csrf, or the X-CSRFToken header of the sign-in answer"})

    def handle_http_exception(self, error):
        # flask-smorest registers its own JSON handler; route it to our problem format.
        from core.errors import handle_http_exception

        return handle_http_exception(error)


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
