"""Admins manage the service catalogue: categories (who handles them, how fast) and the questions
residents answer for each (Open311 serves them as service definitions)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from core.db import db
from core.forms import attempt, load_form
from core.identity.access import roles_required
from core.identity.models import Department, Role
from services import catalogue
from services.models import Category, Question, QuestionType
from services.schemas import CategoryForm, QuestionForm

web = Blueprint("catalogue", __name__, url_prefix="/admin/catalogue")
admins = roles_required(Role.ADMIN)


def _departments():
    return db.session.execute(select(Department.id, Department.name).order_by(Department.name)).all()


@web.route("", methods=["GET", "POST"])
@admins
def index():
    errors: dict = {}
    if request.method == "POST":
        added, errors = attempt(lambda: catalogue.add_category(load_form(CategoryForm())))
        if added is not None:
            flash(_("Category added."))
            return redirect(url_for("catalogue.edit", code=added.code))
    counts = dict(db.session.execute(select(Question.category_id, func.count()).group_by(Question.category_id)).all())
    categories = db.session.scalars(select(Category).order_by(Category.group, Category.name)).all()
    return render_template("services/catalogue.html", categories=categories, counts=counts, errors=errors,
                           form=request.form, departments=_departments(),
                           dept_names=dict(_departments())), (422 if errors else 200)


def _category_page(category: Category, *, errors=None, form=None, q_errors=None, q_form=None, status=200):
    questions = db.session.scalars(select(Question).where(Question.category_id == category.id)
                                   .order_by(Question.position, Question.id)).all()
    return render_template("services/category.html", c=category, questions=questions, errors=errors or {},
                           form=form or {}, departments=_departments(), types=list(QuestionType),
                           q_errors=q_errors or {}, q_form=q_form or {}), status


@web.route("/<code>", methods=["GET", "POST"])
@admins
def edit(code: str):
    category = catalogue.category(code)
    if request.method == "GET":
        return _category_page(category)
    _saved, errors = attempt(lambda: catalogue.update_category(category, load_form(CategoryForm(exclude=("code",)))))
    if errors:
        return _category_page(catalogue.category(code), errors=errors, form=request.form, status=422)
    flash(_("Saved."))
    return redirect(url_for("catalogue.edit", code=code))


@web.post("/<code>/questions")
@admins
def add_question(code: str):
    category = catalogue.category(code)
    _added, errors = attempt(lambda: catalogue.add_question(category, load_form(QuestionForm())))
    if errors:
        return _category_page(catalogue.category(code), q_errors=errors, q_form=request.form, status=422)
    flash(_("Question added."))
    return redirect(url_for("catalogue.edit", code=code))


@web.post("/<code>/questions/<id:question_id>/delete")
@admins
def delete_question(code: str, question_id: int):
    catalogue.remove_question(catalogue.category(code), question_id)
    flash(_("Question removed. Reports already filed keep their answers."))
    return redirect(url_for("catalogue.edit", code=code))
