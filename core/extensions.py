"""Extension singletons, bound to an app in linli.app.create_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api as _Api
from flask_wtf.csrf import CSRFProtect

from core.db import db

__all__ = ["Api", "babel", "csrf", "db", "login_manager", "migrate"]


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

    def handle_http_exception(self, error):
        # flask-smorest registers its own JSON handler; route it to our problem format.
        from core.errors import handle_http_exception

        return handle_http_exception(error)


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
