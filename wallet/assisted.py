"""The community-centre desk: finding the resident a member of staff is helping, or registering
one who has no account yet (a name and a mobile number, nothing more)."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.identity import operations
from core.identity.models import Role, User
from core.identity.rules import N_, BadIdentifier, normalize_identifier
from core.problems import AlreadyRegistered, Conflict, NotFound, ValidationFailed


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


def unregistered_phone(raw: str) -> str | None:
    """The mobile number (E.164) if it is one and no account at all has it: the desk may register it."""
    try:
        identifier = normalize_identifier(raw)
    except BadIdentifier:
        return None
    if identifier.kind != "phone":
        return None
    taken = db.session.scalar(select(User.id).where(User.phone == identifier.value))
    return None if taken is not None else identifier.value


def register_resident(*, display_name: str, phone: str) -> tuple[User, bool]:
    """A resident account for someone at the desk: (account, whether it is new).

    It gets a random password nobody knows; an admin's one-time code lets its owner choose one
    later. When the number was registered meanwhile (two desks at once), the unique key decides
    and the resident who has it now is the answer."""
    name = " ".join((display_name or "").split())
    errors = {}
    if not name:
        errors["display_name"] = [N_("Write the resident's name.")]
    elif len(name) > 80:
        errors["display_name"] = [N_("Use at most 80 characters.")]
    try:
        identifier = normalize_identifier(phone or "")
    except BadIdentifier as exc:
        errors["phone"] = [str(exc)]
    else:
        if identifier.kind != "phone":
            errors["phone"] = [N_("Not a valid mobile number.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    try:
        return operations.create_account(role=Role.RESIDENT, identifier=identifier.value, password="",
                                         password_hash=operations.unusable_password_hash(),
                                         display_name=name), True
    except AlreadyRegistered:
        try:
            return find_resident(identifier.value), False
        except NotFound as exc:
            raise Conflict("This number belongs to an account that is not a resident's.",
                           errors={"phone": [N_("This mobile number belongs to another kind of account, "
                                                "or to a disabled one: ask an admin.")]}) from exc
