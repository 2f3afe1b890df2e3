"""Admin pages: the district finds and manages accounts and departments, and gives one-time sign-in
codes in person; the page where such a code sets a new password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from core.db import db, utcnow
from core.forms import attempt, attempt_with_status, load_form
from core.identity import operations, signed_in
from core.identity.access import roles_required
from core.identity.api import identifier_key, login_account_limit, login_limit, start_session
from core.identity.models import Department, Merchant, MerchantRole, Role, User
from core.identity.rules import account_search, grouped_code, sign_in_code_key
from core.identity.schemas import AccountEditForm, AccountForm, CodeSignInForm, DepartmentForm
from core.problems import NotFound
from core.ratelimit import failed, rate_limit

web = Blueprint("admin", __name__, url_prefix="/admin")
codes = Blueprint("sign_in_code", __name__)
PAGE_SIZE = 25
NO_STORE = {"Cache-Control": "no-store"}


def _merchant_choices() -> list[tuple[int, str]]:
    return [tuple(row) for row in db.session.execute(select(Merchant.id, Merchant.name).order_by(Merchant.name))]


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _role_or_none(raw: str | None) -> Role | None:
    return Role(raw) if raw in {r.value for r in Role} else None


def _choices() -> dict:
    departments = db.session.scalars(select(Department).order_by(Department.name))
    return {"roles": list(Role), "merchants": _merchant_choices(), "departments": list(departments),
            "merchant_roles": list(MerchantRole)}


@web.get("/accounts")
@roles_required(Role.ADMIN)
def accounts():
    q, role = request.args.get("q", ""), _role_or_none(request.args.get("role"))
    stmt = operations.search_accounts(account_search(q), role)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(_int_or_none(request.args.get("page")) or 1, 1), pages)
    users = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return render_template("admin/accounts.html", users=list(users), page=page, pages=pages, total=total,
                           q=q.strip(), role=role, roles=list(Role))


@web.route("/accounts/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_account():
    errors: dict[str, list[str]] = {}
    form = request.form
    if request.method == "POST":
        user, errors = attempt(lambda: operations.create_account(**load_form(AccountForm())))
        if user is not None:
            flash(_("Account created for %(name)s.", name=user.display_name))
            return redirect(url_for("admin.account", user_id=user.id))
    return render_template("admin/new_account.html", errors=errors, form=form,
                           **_choices()), (422 if errors else 200)


def _as_form(user: User) -> dict:
    return {"display_name": user.display_name, "email": user.email or "", "phone": user.phone or "",
            "role": user.role.value, "merchant_id": str(user.merchant_id or ""),
            "merchant_role": user.merchant_role.value if user.merchant_role else "",
            "department_id": str(user.department_id or ""), "revision": str(user.revision)}


def _account_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id, populate_existing=True)
    if user is None:
        raise NotFound("No such account.")
    return user


def _account_page(user_id: int, *, errors: dict | None = None, form: dict | None = None, code: str | None = None,
                  status: int = 200):
    """The account as it is now; after a refusal, the form as the admin sent it (with their revision),
    except when someone else changed the account first: then the current version replaces it."""
    user = _account_or_404(user_id)
    errors = errors or {}
    changed_meanwhile = status == 409 and "revision" in errors
    shown = _as_form(user) if form is None or changed_meanwhile else form
    return render_template("admin/account.html", user=user, form=shown, errors=errors, code=code,
                           changed_meanwhile=changed_meanwhile, is_self=user.id == current_user.id,
                           code_url=url_for("sign_in_code.use", _external=True), **_choices()), status, NO_STORE


def _ended(closed: list[str]) -> None:
    # The same as "sign out everywhere": this worker stops trusting the sessions once committed.
    signed_in.forget_sessions(closed)




@web.route("/accounts/<id:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def account(user_id: int):
    if request.method == "GET":
        return _account_page(user_id)

    result, errors, status = attempt_with_status(lambda: operations.update_account(
        user_id, actor_id=current_user.id, **load_form(AccountEditForm())))
    if errors:
        return _account_page(user_id, errors=errors, form=request.form.to_dict(), status=status)
    user, closed = result
    _ended(closed)
    flash(_("Saved the account of %(name)s.", name=user.display_name)
          + (" " + _("They were signed out everywhere: their role changed.") if closed else ""))
    return redirect(url_for("admin.account", user_id=user_id))


@web.post("/accounts/<id:user_id>/active")
@roles_required(Role.ADMIN)
def set_active(user_id: int):
    active = request.form.get("active") == "on"
    revision = _int_or_none(request.form.get("revision")) or 0
    result, errors, status = attempt_with_status(lambda: operations.set_account_active(
        user_id, revision=revision, actor_id=current_user.id, active=active))
    if errors:
        return _account_page(user_id, errors=errors, status=status)
    user, closed = result
    _ended(closed)
    if active:
        flash(_("%(name)s can sign in again.", name=user.display_name))
    else:
        flash(_("%(name)s is disabled and signed out on every device.", name=user.display_name))
    return redirect(url_for("admin.account", user_id=user_id))


@web.post("/accounts/<id:user_id>/code")
@roles_required(Role.ADMIN)
def give_code(user_id: int):
    code, errors, status = attempt_with_status(lambda: operations.issue_sign_in_code(
        user_id, now=utcnow(), key=sign_in_code_key(current_app.config["SECRET_KEY"])))
    if errors:
        return _account_page(user_id, errors=errors, status=status)
    # Shown in this answer only (no redirect: the session cookie is signed, not encrypted).
    return _account_page(user_id, code=grouped_code(code), status=201)


# --- departments ------------------------------------------------------------------------------

def _departments_page(*, errors: dict | None = None, form: dict | None = None, editing: int | None = None,
                      status: int = 200):
    return render_template("admin/departments.html", rows=operations.departments_with_staff(), errors=errors or {},
                           form=form or {}, editing=editing), status


@web.route("/departments", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def departments():
    if request.method == "GET":
        return _departments_page()
    department, errors, status = attempt_with_status(
        lambda: operations.create_department(**load_form(DepartmentForm())))
    if errors:
        return _departments_page(errors=errors, form=request.form, status=status)
    flash(_("Department %(name)s created.", name=department.name))
    return redirect(url_for("admin.departments"))


@web.post("/departments/<id:department_id>")
@roles_required(Role.ADMIN)
def rename_department(department_id: int):
    department, errors, status = attempt_with_status(lambda: operations.rename_department(department_id,
                                                                              **load_form(DepartmentForm())))
    if errors:
        return _departments_page(errors=errors, form=request.form, editing=department_id, status=status)
    flash(_("Department renamed to %(name)s.", name=department.name))
    return redirect(url_for("admin.departments"))


# --- the one-time code, used ----------------------------------------------------------------------

@codes.route("/login/code", methods=["GET", "POST"])
@rate_limit(login_limit, scope="sign-in-code")
@rate_limit(login_account_limit, key=identifier_key, scope="sign-in-code-account", deduct_when=failed)
def use():
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        result, errors, status = attempt_with_status(lambda: operations.sign_in_with_code(
            **load_form(CodeSignInForm()), now=utcnow(), key=sign_in_code_key(current_app.config["SECRET_KEY"])))
        if not errors:
            user, closed = result
            _ended(closed)
            start_session(user, remember=True)
            flash(_("Your new password is set and you are signed in."))
            return redirect(url_for("core.home"))
    form = {"identifier": request.form.get("identifier", ""), "code": request.form.get("code", "")}
    return render_template("admin/code_sign_in.html", errors=errors, form=form), status, NO_STORE
