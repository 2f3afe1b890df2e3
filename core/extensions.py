"""Extension singletons, bound to an app in linli.app.create_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api as _Api
from flask_wtf.csrf import CSRFProtect

from core.db import db

__all__ = ["Api", "babel", "csrf", "db", "login_manager", "migrate"]

SESSION_SCHEME, CSRF_SCHEME = "session", "csrf"


class Api(_Api):
    def __init__(self, *args, **kwargs):
        from core.schemas import ProblemSchema

        self.ERROR_SCHEMA = ProblemSchema
        super().__init__(*args, **kwargs)

    def _register_responses(self):
        # The documented error responses are what handle_http_exception sends: problem+json.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = "application/problem+json"
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE

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
