"""Who may call what: sign-in and role checks shared by every domain."""

from __future__ import annotations

from functools import wraps

from flask_login import current_user

from core.extensions import CSRF_SCHEME, SESSION_SCHEME, document_problems, login_manager
from core.identity.models import Role
from core.problems import Forbidden


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
