"""Who may call what: sign-in and role checks shared by every domain."""

from __future__ import annotations

from functools import wraps

from flask import current_app, request
from flask_login import current_user

from core.extensions import CSRF_SCHEME, SESSION_SCHEME, document_problems, login_manager
from core.identity.models import Role
from core.problems import Forbidden

SIGN_IN_REQUIRED = "linli_sign_in_required"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def roles_required(*roles: Role):
    """401 for a stranger, 403 for a signed-in person in the wrong role."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                # Pages redirect to sign-in, the API answers 401 (see init_login_manager).
                return login_manager.unauthorized()
            if allowed and current_user.role not in allowed:
                raise Forbidden("Your account cannot do this.")
            return view(*args, **kwargs)

        # Copied, not updated: wraps() shared the wrapped view's dict.
        wrapper._apidoc = _document(dict(getattr(wrapper, "_apidoc", {})), wrapper.__name__, bool(allowed))
        setattr(wrapper, SIGN_IN_REQUIRED, True)
        return wrapper

    # In a MethodView's `decorators`, core.extensions.Blueprint asks for each method's documentation.
    decorator.document = lambda apidoc, method: _document(apidoc, method, bool(allowed))
    return decorator


def _document(apidoc: dict, method: str, by_role: bool) -> dict:
    """Tell the OpenAPI document (flask-smorest reads `_apidoc`) that this operation needs a session,
    and the CSRF header too when it changes something; and that it answers 401 (and 403)."""
    changes = method in ("post", "put", "patch", "delete")
    requirement = {SESSION_SCHEME: [], CSRF_SCHEME: []} if changes else {SESSION_SCHEME: []}
    manual = dict(apidoc.get("manual_doc", {}))
    manual["security"] = [requirement]
    apidoc["manual_doc"] = manual
    return document_problems(apidoc, {401: None, **({403: None} if by_role else {})})


authenticated = roles_required()


def _needs_sign_in(view, method: str) -> bool:
    if getattr(view, SIGN_IN_REQUIRED, False):
        return True
    handler = getattr(getattr(view, "view_class", None), method.lower(), None)  # a MethodView's method
    return bool(getattr(handler, SIGN_IN_REQUIRED, False))


def sign_in_before_csrf():
    """before_request, registered ahead of CSRFProtect: a stranger's POST to a route that needs an
    account gets that route's 401 (or the sign-in page), not a CSRF 400 that would send a client
    looking for a token it could not use anyway. Routes open to strangers keep their CSRF check."""
    if request.method not in UNSAFE_METHODS or current_user.is_authenticated:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and _needs_sign_in(view, request.method):
        return login_manager.unauthorized()
    return None
