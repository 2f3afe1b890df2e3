"""The community-centre desk: finding the resident a member of staff is helping."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.identity.models import Role, User
from core.identity.rules import N_, BadIdentifier, normalize_identifier
from core.problems import NotFound


def find_resident(raw: str) -> User:
    try:
        identifier = normalize_identifier(raw)
    except BadIdentifier as exc:
        raise NotFound(N_("Enter the resident's mobile number or email address.")) from exc
    column = User.email if identifier.kind == "email" else User.phone
    resident = db.session.scalar(select(User).where(column == identifier.value, User.role == Role.RESIDENT,
                                                    User.active.is_(True)))
    if resident is None:
        raise NotFound(N_("No resident with this mobile number or email address."))
    return resident
