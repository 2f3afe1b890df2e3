"""/api/auth and /api/me: sign-up, sign-in, preferences."""

from __future__ import annotations

from flask import current_app, request, session
from flask.views import MethodView
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from core.db import utcnow
from core.extensions import Blueprint, problems
from core.identity import operations, signed_in
from core.identity.access import authenticated, roles_required
from core.identity.models import Department, Role, User
from core.identity.rules import BadIdentifier, normalize_identifier
from core.identity.schemas import (
    AccountIn,
    AccountQuery,
    CsrfOut,
    DepartmentOut,
    LoginIn,
    PasswordChangeIn,
    PreferencesIn,
    SignUpIn,
    UserOut,
)
from core.pagination import SelectPage
from core.ratelimit import rate_limit

blp = Blueprint("auth", __name__, url_prefix="/api", description="Accounts, sign-in and preferences")


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def identifier_key() -> str:
    # A second bucket per account, so one attacker rotating IPs still hits a wall; normalised,
    # so "+86 138 0013 8000" and "13800138000" share it.
    body = request.get_json(silent=True) if request.is_json else request.form
    raw = str(body.get("identifier") or "") if hasattr(body, "get") else ""
    try:
        return f"ident:{normalize_identifier(raw).value}"
    except BadIdentifier:
        return f"ident:{raw.strip().lower()[:254]}"


# Sign-in starts a fresh session, so the client gets its new CSRF token in this header.
CSRF_HEADER = "X-CSRFToken"
CSRF_HEADER_DOC = {CSRF_HEADER: {"description": "The new session's CSRF token", "required": True,
                                 "schema": {"type": "string"}}}


def start_session(user: User, remember: bool = True) -> None:
    session.clear()  # no pre-login state (or fixated token) survives sign-in
    session.permanent = remember
    login_user(signed_in.changed(user), remember=False)


@blp.route("/auth/csrf")
class Csrf(MethodView):
    @blp.response(200, CsrfOut)
    def get(self):
        """A CSRF token for this session, to send as the X-CSRFToken header"""
        return {"csrf_token": generate_csrf()}


@blp.route("/auth/signup")
class SignUp(MethodView):
    decorators = [rate_limit(login_limit, scope="signup")]

    @blp.arguments(SignUpIn())
    @blp.response(201, UserOut, headers=CSRF_HEADER_DOC)
    @problems((409, "An account with this email address or mobile number exists"))
    def post(self, data):
        """Create a resident account and sign in"""
        user = operations.sign_up_resident(**data)
        start_session(user)
        return user, 201, {CSRF_HEADER: generate_csrf()}


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [rate_limit(login_limit, scope="login"),
                  rate_limit(login_limit, key=identifier_key, scope="login-account")]

    @blp.arguments(LoginIn())
    @blp.response(200, UserOut, headers=CSRF_HEADER_DOC)
    @problems((401, "Wrong account or password"))
    def post(self, data):
        """Sign in with an email address or mobile number"""
        user = operations.authenticate(data["identifier"], data["password"], now=utcnow())
        start_session(user, data["remember"])
        return user, 200, {CSRF_HEADER: generate_csrf()}


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Sign out of this device"""
        logout_user()
        session.clear()


@blp.route("/me")
class Me(MethodView):
    decorators = [authenticated]

    @blp.response(200, UserOut)
    def get(self):
        """My account"""
        return current_user._get_current_object()  # the proxy would cost a lookup per field

    @blp.arguments(PreferencesIn())
    @blp.response(200, UserOut)
    def patch(self, data):
        """Change my name, language or large-text mode"""
        user = operations.update_preferences(signed_in.account(current_user), **data)
        return signed_in.changed(user)


@blp.route("/me/password")
class MyPassword(MethodView):
    decorators = [authenticated]

    @blp.arguments(PasswordChangeIn())
    @blp.response(204)
    @problems((401, "Not signed in, or the current password is wrong"))
    def post(self, data):
        """Change my password; other devices are signed out"""
        user = operations.change_password(signed_in.account(current_user), current=data["current_password"],
                                          new=data["new_password"])
        login_user(signed_in.changed(user))


@blp.route("/admin/accounts")
class Accounts(MethodView):
    decorators = [roles_required(Role.ADMIN)]

    @blp.arguments(AccountQuery(), location="query")
    @blp.response(200, UserOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, query):
        """List accounts, newest first"""
        stmt = select(User).order_by(User.id.desc())
        if "role" in query:
            stmt = stmt.where(User.role == query["role"])
        return stmt

    @blp.arguments(AccountIn())
    @blp.response(201, UserOut)
    @problems((409, "The email address or mobile number is taken, or the business already has an owner"))
    def post(self, data):
        """Create a merchant, staff, admin or resident account"""
        user = operations.create_account(**data)
        return user


@blp.route("/departments")
class Departments(MethodView):
    decorators = [authenticated]

    @blp.response(200, DepartmentOut(many=True))
    @blp.paginate(SelectPage)
    def get(self):
        """The district's departments"""
        return select(Department).order_by(Department.name)
