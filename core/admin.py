"""Admin pages: the district creates merchant, staff and admin accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from core.db import db
from core.forms import attempt, load_form
from core.identity import operations
from core.identity.access import roles_required
from core.identity.models import Department, Merchant, MerchantRole, Role, User
from core.identity.schemas import AccountForm

web = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 25


def _merchant_choices() -> list[tuple[int, str]]:
    return [tuple(row) for row in db.session.execute(select(Merchant.id, Merchant.name).order_by(Merchant.name))]


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@web.get("/accounts")
@roles_required(Role.ADMIN)
def accounts():
    page = min(max(_int_or_none(request.args.get("page")) or 1, 1), 100_000)
    total = db.session.scalar(select(func.count(User.id)))
    users = db.session.scalars(select(User).order_by(User.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return render_template("admin/accounts.html", users=list(users), page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))


@web.route("/accounts/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_account():
    errors: dict[str, list[str]] = {}
    form = request.form
    if request.method == "POST":
        user, errors = attempt(lambda: operations.create_account(**load_form(AccountForm())))
        if user is not None:
            flash(_("Account created for %(name)s.", name=user.display_name))
            return redirect(url_for("admin.accounts"))
    departments = db.session.scalars(select(Department).order_by(Department.name))
    return render_template("admin/new_account.html", errors=errors, form=form, roles=list(Role),
                           merchants=_merchant_choices(), departments=list(departments),
                           merchant_roles=list(MerchantRole)), (422 if errors else 200)
