"""Account use cases. They flush; the caller (a view or a CLI command) commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.identity.models import Department, Merchant, MerchantRole, Role, User, UserSession
from core.identity.passwords import hash_password, verify_password
from core.identity.rules import N_, BadIdentifier, normalize_identifier, password_problems
from core.problems import AlreadyRegistered, Conflict, InvalidCredentials, ValidationFailed

SUPPORTED_LOCALES = ("en", "zh")


def _checked_identifier(raw: str):
    try:
        return normalize_identifier(raw)
    except BadIdentifier as exc:
        raise ValidationFailed(str(exc), errors={"identifier": [str(exc)]}) from exc


def _checked_password(password: str, identifier: str) -> None:
    problems = password_problems(password, identifier)
    if problems:
        raise ValidationFailed(problems[0], errors={"password": problems})


def _merchant_exists(merchant_id: int) -> bool:
    return db.session.scalar(select(Merchant.id).where(Merchant.id == merchant_id)) is not None


def find_by_identifier(raw: str) -> User | None:
    try:
        ident = normalize_identifier(raw)
    except BadIdentifier:
        return None
    column = User.email if ident.kind == "email" else User.phone
    return db.session.scalar(select(User).where(column == ident.value))


def create_account(*, role: Role, identifier: str, password: str, display_name: str,
                   merchant_id: int | None = None, merchant_role: MerchantRole | None = None,
                   department_id: int | None = None, locale: str | None = None,
                   password_hash: str | None = None) -> User:
    """Create any account; the database's constraints keep role and membership consistent."""
    ident = _checked_identifier(identifier)
    if password_hash is None:
        _checked_password(password, ident.value)
        password_hash = hash_password(password)
    if role is Role.MERCHANT and (merchant_id is None or merchant_role is None):
        raise ValidationFailed("A merchant account needs a business and a role in it.",
                               errors={"merchant_id": [N_("Required for merchant accounts.")]})
    if role is Role.STAFF and department_id is None:
        raise ValidationFailed("A staff account needs a department.",
                               errors={"department_id": [N_("Required for staff accounts.")]})
    if role is Role.MERCHANT and not _merchant_exists(merchant_id):
        raise ValidationFailed("No such business.", errors={"merchant_id": [N_("No such business.")]})
    if role is Role.STAFF and db.session.get(Department, department_id) is None:
        raise ValidationFailed("No such department.", errors={"department_id": [N_("No such department.")]})
    user = User(
        role=role, display_name=display_name.strip(), password_hash=password_hash,
        email=ident.value if ident.kind == "email" else None,
        phone=ident.value if ident.kind == "phone" else None,
        merchant_id=merchant_id if role is Role.MERCHANT else None,
        merchant_role=merchant_role if role is Role.MERCHANT else None,
        department_id=department_id if role is Role.STAFF else None,
        locale=locale if locale in SUPPORTED_LOCALES else None,
    )
    refusal = _taken(user)
    if refusal is not None:
        raise refusal
    # A savepoint: a duplicate must not poison the caller's transaction. The unique indexes have
    # the final word when another request took the identifier or the ownership meanwhile.
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        refusal = _by_constraint(_constraint_name(exc), user) or _taken(user)
        if refusal is None:
            raise
        raise refusal from exc
    return user


def _owner_taken() -> Conflict:
    return Conflict("This business already has an owner.",
                    errors={"merchant_role": [N_("This business already has an owner.")]})


def _registered(user: User) -> AlreadyRegistered:
    return AlreadyRegistered(f"An account with this {'email' if user.email else 'mobile number'} already exists.",
                             errors={"identifier": [N_("Already registered.")]})


def _taken(user: User) -> Conflict | None:
    """Which uniqueness rule this new account would break, asked of the database's rows."""
    if user.merchant_role == MerchantRole.OWNER and db.session.scalar(select(User.id).where(
            User.merchant_id == user.merchant_id, User.merchant_role == MerchantRole.OWNER)) is not None:
        return _owner_taken()
    column, value = (User.email, user.email) if user.email else (User.phone, user.phone)
    if db.session.scalar(select(User.id).where(column == value)) is not None:
        return _registered(user)
    return None


# The unique indexes of user_account, by the names core.db's naming convention gives them.
_ONE_OWNER, _IDENTIFIERS = "uq_user_account_one_owner", ("uq_user_account_email", "uq_user_account_phone")


def _constraint_name(exc: IntegrityError) -> str | None:
    """PostgreSQL names the violated constraint in the error's diagnostics; SQLite names none."""
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None)


def _by_constraint(name: str | None, user: User) -> Conflict | None:
    if name == _ONE_OWNER:
        return _owner_taken()
    if name in _IDENTIFIERS:
        return _registered(user)
    return None
    return user


def sign_up_resident(*, identifier: str, password: str, display_name: str,
                     locale: str | None = None) -> User | None:
    """A new resident account, or None if the identifier is taken (by anyone, staff and admins too).

    The caller must answer both the same way: sign-up must not tell who has an account. The password
    is hashed either way, so the time taken does not tell either."""
    try:
        return create_account(role=Role.RESIDENT, identifier=identifier, password=password,
                              display_name=display_name, locale=locale)
    except AlreadyRegistered:
        return None


def authenticate(identifier: str, password: str, *, now: datetime) -> User:
    user = find_by_identifier(identifier)
    ok, new_hash = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        raise InvalidCredentials("The account or the password is wrong.")
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = now
    return user


def update_preferences(user: User, *, display_name: str | None = None, locale: str | None = None,
                       large_text: bool | None = None) -> User:
    if display_name is not None:
        user.display_name = display_name.strip()
    if locale is not None:
        if locale not in SUPPORTED_LOCALES:
            raise ValidationFailed("Unsupported language.", errors={"locale": [N_("Unsupported language.")]})
        user.locale = locale
    if large_text is not None:
        user.large_text = large_text
    # In SQL, not Python: two devices changing settings at once must both count.
    user.revision = User.revision + 1
    db.session.flush()
    return user


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(user: User, *, now: datetime) -> str:
    """A new signed-in device: returns the id its session cookie carries."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(UserSession(id_hash=session_hash(session_id), user_id=user.id, created_at=now, seen_at=now))
    db.session.flush()
    return session_id


def close_session(session_id: str) -> None:
    """Sign one device out: its cookie, and every copy of it, stops working."""
    db.session.execute(delete(UserSession).where(UserSession.id_hash == session_hash(session_id)))


def close_other_sessions(user: User, *, keep: str | None = None) -> list[str]:
    """Sign the account out on every device (but `keep`); returns the closed sessions' hashes.

    The session version moves too, so a cookie made before this table existed is refused as well."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        stmt = stmt.where(UserSession.id_hash != session_hash(keep))
    # One statement: a session opened meanwhile is either deleted and returned, or not seen at all.
    closed = list(db.session.scalars(stmt.returning(UserSession.id_hash)))
    user.session_version = User.session_version + 1
    user.revision = User.revision + 1
    db.session.flush()
    db.session.refresh(user, ["session_version", "revision"])
    return closed


def session_is_open(session_id: str, user_id: int, *, now: datetime) -> bool:
    """Whether this device is still signed in; notes that it was seen (at most once a day)."""
    id_hash = session_hash(session_id)
    seen_at = db.session.scalar(select(UserSession.seen_at)
                                .where(UserSession.id_hash == id_hash, UserSession.user_id == user_id))
    if seen_at is None:
        return False
    if now - seen_at > timedelta(days=1):
        db.session.execute(update(UserSession).where(UserSession.id_hash == id_hash).values(seen_at=now))
    return True


def forget_idle_sessions(*, now: datetime, idle: timedelta) -> int:
    """Delete sessions not seen for `idle` (their cookies have expired anyway)."""
    return db.session.execute(delete(UserSession).where(UserSession.seen_at < now - idle)).rowcount or 0


def change_password(user: User, *, current: str, new: str, keep_session: str | None = None) -> list[str]:
    """Set a new password; every other device is signed out. Returns the closed sessions' hashes."""
    ok, _ = verify_password(user.password_hash, current)
    if not ok:
        raise InvalidCredentials("The current password is wrong.", errors={"current_password": [N_("Wrong password.")]})
    _checked_password(new, user.identifier)
    user.password_hash = hash_password(new)
    return close_other_sessions(user, keep=keep_session)
