"""Account use cases. They flush; the caller (a view or a CLI command) commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.db import db
from core.identity.models import Department, Merchant, MerchantRole, Role, User, UserSession
from core.identity.passwords import hash_password, verify_password
from core.identity.rules import (
    N_,
    AccountSearch,
    BadIdentifier,
    new_sign_in_code,
    normalize_identifier,
    password_problems,
    sign_in_code_hash,
    typed_code,
)
from core.problems import AlreadyRegistered, Conflict, InvalidCredentials, NotFound, Problem, ValidationFailed

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


def _check_membership(role: Role, merchant_id: int | None, merchant_role: MerchantRole | None,
                      department_id: int | None) -> None:
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


def create_account(*, role: Role, identifier: str, password: str, display_name: str,
                   merchant_id: int | None = None, merchant_role: MerchantRole | None = None,
                   department_id: int | None = None, locale: str | None = None,
                   password_hash: str | None = None) -> User:
    """Create any account; the database's constraints keep role and membership consistent."""
    ident = _checked_identifier(identifier)
    if password_hash is None:
        _checked_password(password, ident.value)
        password_hash = hash_password(password)
    _check_membership(role, merchant_id, merchant_role, department_id)
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


def unusable_password_hash() -> str:
    """The hash of a random password nobody is told: the account signs in with a one-time code first."""
    return hash_password(secrets.token_urlsafe(32))


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
    closed = _delete_sessions(user.id, keep=keep)
    user.session_version = User.session_version + 1
    user.revision = User.revision + 1
    db.session.flush()
    db.session.refresh(user, ["session_version", "revision"])
    return closed


def _delete_sessions(user_id: int, *, keep: str | None = None) -> list[str]:
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep:
        stmt = stmt.where(UserSession.id_hash != session_hash(keep))
    # One statement: a session opened meanwhile is either deleted and returned, or not seen at all.
    return list(db.session.scalars(stmt.returning(UserSession.id_hash)))


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


# --- what admins do to accounts ---------------------------------------------------------------

class AccountChanged(Conflict):
    type, title = "/problems/account-changed", "Account changed meanwhile"


class SignInCodeRefused(InvalidCredentials):
    type, title = "/problems/sign-in-code-refused", "Sign-in code refused"


SIGN_IN_CODE_TTL = timedelta(hours=24)


def search_accounts(search: AccountSearch | None, role: Role | None = None) -> Select:
    """Accounts whose name or email holds the text, or whose mobile number holds the digits; newest first."""
    stmt = select(User).order_by(User.id.desc())
    if role is not None:
        stmt = stmt.where(User.role == role)
    if search is not None:
        matches = [User.display_name.icontains(search.text, autoescape=True),
                   User.email.icontains(search.text, autoescape=True)]
        if search.digits:
            matches.append(User.phone.contains(search.digits, autoescape=True))
        stmt = stmt.where(or_(*matches))
    return stmt


def _identifier_value(raw: str | None, kind: str, errors: dict) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        ident = normalize_identifier(text)
    except BadIdentifier as exc:
        errors[kind] = [str(exc)]
        return None
    if ident.kind != kind:
        errors[kind] = [N_("Not a valid email address.") if kind == "email" else N_("Not a valid mobile number.")]
        return None
    return ident.value


def _changed_meanwhile(user_id: int) -> Problem:
    if db.session.scalar(select(User.id).where(User.id == user_id)) is None:
        return NotFound("No such account.")
    message = N_("Someone else changed this account meanwhile; here is the current version.")
    return AccountChanged(message, errors={"revision": [message]})


def _identifier_taken(field: str) -> Conflict:
    return Conflict("Another account has this identifier.", errors={field: [N_("Another account has this.")]})


def _taken_by_other(user_id: int, values: dict) -> Conflict | None:
    """Which uniqueness rule the edit would break, asked of the other accounts' rows."""
    for field, column in (("email", User.email), ("phone", User.phone)):
        if values[field] is not None and db.session.scalar(
                select(User.id).where(column == values[field], User.id != user_id)) is not None:
            return _identifier_taken(field)
    if values["merchant_role"] == MerchantRole.OWNER and db.session.scalar(select(User.id).where(
            User.merchant_id == values["merchant_id"], User.merchant_role == MerchantRole.OWNER,
            User.id != user_id)) is not None:
        return _owner_taken()
    return None


def _conditional_update(user_id: int, revision: int, values: dict) -> None:
    """One statement decides: the row as the admin saw it (its revision), or nothing and a 409."""
    stmt = (update(User).where(User.id == user_id, User.revision == revision)
            .values(**values, revision=User.revision + 1).returning(User.id)
            .execution_options(synchronize_session=False))
    try:
        with db.session.begin_nested():
            changed = db.session.execute(stmt).scalar_one_or_none()
    except IntegrityError as exc:
        name = _constraint_name(exc)
        if name == _ONE_OWNER:
            refusal = _owner_taken()
        elif name in _IDENTIFIERS:
            refusal = _identifier_taken("email" if name.endswith("email") else "phone")
        else:  # SQLite names no constraint: ask the rows
            refusal = _taken_by_other(user_id, values) if "email" in values else None
        if refusal is None:
            raise
        raise refusal from exc
    if changed is None:
        raise _changed_meanwhile(user_id)


def _fresh(user_id: int) -> User:
    return db.session.get(User, user_id, populate_existing=True)


def update_account(user_id: int, *, revision: int, actor_id: int, display_name: str, email: str | None = None,
                   phone: str | None = None, role: Role, merchant_id: int | None = None,
                   merchant_role: MerchantRole | None = None,
                   department_id: int | None = None) -> tuple[User, list[str]]:
    """An admin's edit of the account as they saw it at `revision`. A new role signs the account out
    everywhere (its pages and rights change); returns the account and the closed sessions' hashes."""
    errors: dict[str, list[str]] = {}
    values = {"display_name": display_name.strip(), "email": _identifier_value(email, "email", errors),
              "phone": _identifier_value(phone, "phone", errors), "role": role}
    if not errors and values["email"] is None and values["phone"] is None:
        errors["email"] = [N_("Give an email address or a mobile number.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    if user_id == actor_id and role is not Role.ADMIN:
        raise ValidationFailed("You cannot take away your own admin role.",
                               errors={"role": [N_("You cannot take away your own admin role: ask another admin.")]})
    _check_membership(role, merchant_id, merchant_role, department_id)
    values.update(merchant_id=merchant_id if role is Role.MERCHANT else None,
                  merchant_role=merchant_role if role is Role.MERCHANT else None,
                  department_id=department_id if role is Role.STAFF else None)
    before = db.session.execute(select(User.role, User.merchant_id, User.merchant_role, User.department_id)
                                .where(User.id == user_id)).one_or_none()
    if before is None:
        raise NotFound("No such account.")
    refusal = _taken_by_other(user_id, values)
    if refusal is not None:
        raise refusal
    moved = tuple(before) != (role, values["merchant_id"], values["merchant_role"], values["department_id"])
    if moved:
        values["session_version"] = User.session_version + 1
    _conditional_update(user_id, revision, values)
    return _fresh(user_id), (_delete_sessions(user_id) if moved else [])


def set_account_active(user_id: int, *, revision: int, actor_id: int, active: bool) -> tuple[User, list[str]]:
    """Enable or disable an account; disabling signs it out everywhere at once. Returns the account
    and the closed sessions' hashes."""
    if user_id == actor_id and not active:
        raise ValidationFailed("You cannot disable your own account.",
                               errors={"_": [N_("You cannot disable your own account: ask another admin.")]})
    values: dict = {"active": active}
    if not active:  # a code given before must not work again once the account is enabled
        values.update(session_version=User.session_version + 1, sign_in_code_hash=None, sign_in_code_expires_at=None)
    _conditional_update(user_id, revision, values)
    return _fresh(user_id), ([] if active else _delete_sessions(user_id))


def issue_sign_in_code(user_id: int, *, now: datetime, key: bytes) -> str:
    """A new one-time code for an enabled account (any earlier one stops working); only its hash is kept."""
    code = new_sign_in_code()
    issued = db.session.execute(
        update(User).where(User.id == user_id, User.active.is_(True))
        .values(sign_in_code_hash=sign_in_code_hash(code, key), sign_in_code_expires_at=now + SIGN_IN_CODE_TTL)
        .returning(User.id).execution_options(synchronize_session=False)).scalar_one_or_none()
    if issued is None:
        if db.session.scalar(select(User.id).where(User.id == user_id)) is None:
            raise NotFound("No such account.")
        raise Conflict("A disabled account cannot get a code.",
                       errors={"_": [N_("This account is disabled: enable it first, then give a code.")]})
    return code


_CODE_REFUSED = N_("This code does not work: it is wrong or has been used. Ask an admin for a new one.")
_CODE_EXPIRED = N_("This code has expired: a code works for 24 hours. Ask an admin for a new one.")


def sign_in_with_code(identifier: str, code: str, new_password: str, *, now: datetime,
                      key: bytes) -> tuple[User, list[str]]:
    """Use a one-time code to set a new password. The code works once: one conditional UPDATE
    takes it away. Every other session ends. Returns the account and the closed sessions' hashes."""
    try:
        ident = normalize_identifier(identifier)
    except BadIdentifier as exc:
        raise ValidationFailed(str(exc), errors={"identifier": [str(exc)]}) from exc
    _checked_password(new_password, ident.value)
    new_hash = hash_password(new_password)  # before the lookup: the time taken does not tell who has an account
    typed = typed_code(code)
    user_id = db.session.scalar(select(User.id).where(
        (User.email if ident.kind == "email" else User.phone) == ident.value))
    if typed is None or user_id is None:
        raise SignInCodeRefused(_CODE_REFUSED, errors={"code": [_CODE_REFUSED]})
    code_hash = sign_in_code_hash(typed, key)
    used = db.session.execute(
        update(User).where(User.id == user_id, User.sign_in_code_hash == code_hash,
                           User.sign_in_code_expires_at > now, User.active.is_(True))
        .values(password_hash=new_hash, sign_in_code_hash=None, sign_in_code_expires_at=None,
                session_version=User.session_version + 1, revision=User.revision + 1)
        .returning(User.id).execution_options(synchronize_session=False)).scalar_one_or_none()
    if used is None:
        expired = db.session.scalar(select(User.id).where(
            User.id == user_id, User.sign_in_code_hash == code_hash, User.sign_in_code_expires_at <= now))
        message = _CODE_EXPIRED if expired is not None else _CODE_REFUSED
        raise SignInCodeRefused(message, errors={"code": [message]})
    return _fresh(user_id), _delete_sessions(user_id)


# --- departments --------------------------------------------------------------------------------

def departments_with_staff() -> list:
    """(department, staff count) rows, by name."""
    return db.session.execute(
        select(Department, func.count(User.id).label("staff"))
        .outerjoin(User, (User.department_id == Department.id) & (User.role == Role.STAFF))
        .group_by(Department.id).order_by(Department.name)).all()


def _department_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationFailed("Name the department.", errors={"name": [N_("Name the department.")]})
    if len(name) > 120:
        raise ValidationFailed("At most 120 characters.", errors={"name": [N_("Use at most 120 characters.")]})
    return name


def _name_taken() -> Conflict:
    return Conflict("A department with this name already exists.",
                    errors={"name": [N_("A department with this name already exists.")]})


def _save_department(write) -> None:
    """The unique index on the name has the last word when two admins pick the same name at once."""
    try:
        with db.session.begin_nested():
            write()
    except IntegrityError as exc:
        raise _name_taken() from exc


def create_department(name: str) -> Department:
    department = Department(name=_department_name(name))
    if db.session.scalar(select(Department.id).where(Department.name == department.name)) is not None:
        raise _name_taken()
    _save_department(lambda: db.session.add(department))
    return department


def rename_department(department_id: int, name: str) -> Department:
    new_name = _department_name(name)
    if db.session.scalar(select(Department.id).where(Department.name == new_name,
                                                     Department.id != department_id)) is not None:
        raise _name_taken()
    renamed = []
    _save_department(lambda: renamed.extend(db.session.scalars(
        update(Department).where(Department.id == department_id).values(name=new_name)
        .returning(Department.id).execution_options(synchronize_session=False))))
    if not renamed:
        raise NotFound("No such department.")
    return db.session.get(Department, department_id, populate_existing=True)
