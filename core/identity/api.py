"""/api/auth and /api/me: sign-up, sign-in, preferences."""

from __future__ import annotations

import hashlib
import secrets

from flask import after_this_request, current_app, request, session
from flask.views import MethodView
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from core.db import utcnow
from core.extensions import Blueprint, document_problems, problems
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
    SignUpOut,
    UserOut,
)
from core.pagination import SelectPage
from core.ratelimit import failed, rate_limit

blp = Blueprint("auth", __name__, url_prefix="/api", description="Accounts, sign-in and preferences")


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def identifier_key() -> str:
    # Per account, so one attacker rotating addresses still hits a wall; normalised, so
    # "+86 138 0013 8000" and "13800138000" share it; hashed, so Redis holds no address book.
    body = request.get_json(silent=True) if request.is_json else request.form
    raw = str(body.get("identifier") or "") if hasattr(body, "get") else ""
    try:
        value = normalize_identifier(raw).value
    except BadIdentifier:
        value = raw.strip().lower()[:254]
    return "ident:" + hashlib.sha256(value.encode()).hexdigest()[:32]


# A browser that has signed in to an account before carries this signed cookie naming it, so
# that strangers' failed attempts never lock its owner out on it (see LOGIN_RATE_LIMIT in README).
DEVICE_COOKIE = "linli_device"
DEVICE_MAX_AGE_S = 365 * 24 * 3600


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="linli-known-device")


def _known_device() -> str | None:
    """The device's own id if this browser has signed in to the account now being tried."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        device_id, account_key = _device_serializer().loads(raw, max_age=DEVICE_MAX_AGE_S)
    except (BadSignature, ValueError, TypeError):
        return None
    return device_id if account_key == identifier_key() else None


def is_known_device() -> bool:
    return _known_device() is not None


def is_unknown_device() -> bool:
    return _known_device() is None


def device_key() -> str:
    return f"device:{_known_device()}"


def _remember_device(user: User) -> None:
    account_key = "ident:" + hashlib.sha256(user.identifier.encode()).hexdigest()[:32]
    value = _device_serializer().dumps([secrets.token_urlsafe(16), account_key])

    @after_this_request
    def set_cookie(response):
        response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_MAX_AGE_S, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
        return response


def sign_in_limits(view):
    """Slow the attacker, not the owner:
    - per address, every attempt (LOGIN_RATE_LIMIT): one address is stopped quickly;
    - per account, failed attempts only, from every address (LOGIN_ACCOUNT_RATE_LIMIT, set well above
      the per-address one, so no single address can fill it): addresses rotated against one account
      hit a wall, and the owner signing in from elsewhere is not locked out by one attacker;
    - a browser that signed in to this account before is exempt from both and limited on its own
      failures instead: even many addresses together cannot lock the owner out of their own phone."""
    for limit in (rate_limit(login_limit, scope="login", exempt_when=is_known_device),
                  rate_limit(login_account_limit, key=identifier_key, scope="login-account", deduct_when=failed,
                             exempt_when=is_known_device),
                  rate_limit(login_limit, key=device_key, scope="login-device", deduct_when=failed,
                             exempt_when=is_unknown_device)):
        view = limit(view)
    return view


# In a MethodView's `decorators`: the OpenAPI document lists the 429 these limits answer.
sign_in_limits.document = lambda apidoc, method: document_problems(apidoc, {429: None})


SIGNED_UP = ("Your account is ready, unless this email address or mobile number was already registered. "
             "Please sign in.")


# Sign-in starts a fresh session, so the client gets its new CSRF token in this header.
CSRF_HEADER = "X-CSRFToken"
CSRF_HEADER_DOC = {CSRF_HEADER: {"description": "The new session's CSRF token", "required": True,
                                 "schema": {"type": "string"}}}


def start_session(user: User, remember: bool = True) -> None:
    session.clear()  # no pre-login state (or fixated token) survives sign-in
    session.permanent = remember
    login_user(signed_in.sign_in(user), remember=False)
    _remember_device(user)


def end_session() -> None:
    """Sign this device out, on the server too: a copy of the cookie stops working."""
    signed_in.sign_out()
    logout_user()
    session.clear()


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
    @blp.response(202, SignUpOut)
    def post(self, data):
        """Create a resident account, then sign in with it

        The answer is the same whether or not the email address or mobile number was already
        registered (sign-up does not tell who has an account): sign in next.
        """
        operations.sign_up_resident(**data)
        return {"detail": SIGNED_UP}


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [sign_in_limits]

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
        """Sign out of this device (a copy of its session cookie stops working too)"""
        end_session()


@blp.route("/auth/logout/everywhere")
class LogoutEverywhere(MethodView):
    decorators = [authenticated]

    @blp.response(204)
    def post(self):
        """Sign out of every device, this one included"""
        user = signed_in.account(current_user)
        signed_in.signed_out_elsewhere(user, operations.close_other_sessions(user))
        end_session()


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


def _account() -> str:
    return f"user:{current_user.id}"


@blp.route("/me/password")
class MyPassword(MethodView):
    # Only wrong current passwords count: someone holding an unlocked phone cannot guess at leisure.
    decorators = [rate_limit(login_limit, key=_account, scope="password-check", deduct_when=failed), authenticated]

    @blp.arguments(PasswordChangeIn())
    @blp.response(204)
    @problems((401, "Not signed in, or the current password is wrong"))
    def post(self, data):
        """Change my password; other devices are signed out"""
        user = signed_in.account(current_user)
        closed = operations.change_password(user, current=data["current_password"], new=data["new_password"],
                                            keep_session=signed_in.current_session_id())
        login_user(signed_in.signed_out_elsewhere(user, closed))


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
