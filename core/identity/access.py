"""Who may call what: sign-in and role checks shared by every domain."""

from __future__ import annotations

from functools import wraps

from flask_login import current_user

from core.extensions import CSRF_SCHEME, SESSION_SCHEME, login_manager
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

        _document_security(wrapper)
        return wrapper

    return decorator


def _document_security(wrapper) -> None:
    """Tell the OpenAPI document (flask-smorest reads `_apidoc`) that this operation needs a session,
    and the CSRF header too when it changes something."""
    changes = wrapper.__name__ in ("post", "put", "patch", "delete")
    requirement = {SESSION_SCHEME: [], CSRF_SCHEME: []} if changes else {SESSION_SCHEME: []}
    apidoc = dict(getattr(wrapper, "_apidoc", {}))  # wraps() shared the wrapped view's dict: copy it
    manual = dict(apidoc.get("manual_doc", {}))
    manual["security"] = [requirement]
    apidoc["manual_doc"] = manual
    wrapper._apidoc = apidoc


authenticated = roles_required()
