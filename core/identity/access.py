"""Who may call what: sign-in and role checks shared by every domain."""

from __future__ import annotations

from functools import wraps

from flask_login import current_user

from core.extensions import login_manager
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

        return wrapper

    return decorator


authenticated = roles_required()
