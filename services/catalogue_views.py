"""Admins manage the service catalogue: categories (who handles them, how fast) and the questions
residents answer for each (Open311 serves them as service definitions)."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import func, select

from core.db import db
from core.identity.access import roles_required
from core.identity.models import Department, Role
from core.problems import NotFound
from services.models import Category, Question, QuestionType

web = Blueprint("catalogue", __name__, url_prefix="/admin/catalogue")
admins = roles_required(Role.ADMIN)
CODE = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{1,39}$", error="2 to 40 lower-case letters, digits, - or _.")


class CategoryForm(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    group = fields.String(load_default="", validate=validate.Length(max=80))
    keywords = fields.String(load_default="", validate=validate.Length(max=500))
    icon = fields.String(load_default="", validate=validate.Length(max=40))
    department_id = fields.Integer(required=True)
    sla_hours = fields.Integer(required=True, validate=validate.Range(1, 24 * 365))
    allow_anonymous = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)

    @validates_schema
    def _department(self, data, **kwargs):
        if "department_id" in data and db.session.get(Department, data["department_id"]) is None:
            raise ValidationError("Choose a department.", "department_id")


class QuestionForm(Schema):
    code = fields.String(required=True, validate=CODE)
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=255))
    datatype = fields.Enum(QuestionType, by_value=True, required=True)
    required = fields.Boolean(load_default=False)
    choices = fields.String(load_default="", validate=validate.Length(max=4000))

    @validates_schema
    def _choices(self, data, **kwargs):
        listed = data.get("datatype") in (QuestionType.SINGLE, QuestionType.MULTI)
        if listed and len(parse_choices(data.get("choices", ""))) < 2:
            raise ValidationError("Give at least two choices, one per line: key|name.", "choices")


def parse_choices(text: str) -> list[dict]:
    """'off|Off at night' per line; a line without '|' is its own key (made code-safe)."""
    choices, seen = [], set()
    for line in text.splitlines():
        if not line.strip():
            continue
        key, _sep, name = line.partition("|")
        key = re.sub(r"[^a-z0-9_-]", "_", key.strip().lower())[:40] or "choice"
        if key not in seen:
            seen.add(key)
            choices.append({"key": key, "name": (name or line).strip()[:120]})
    return choices


def _form_data(form, flags: tuple[str, ...]) -> dict:
    """Checkboxes send nothing when unticked: each flag is read as on or off."""
    data = {k: v for k, v in form.items() if k != "csrf_token"}
    for flag in flags:
        data[flag] = form.get(flag) == "on"
    return data


CATEGORY_FLAGS = ("allow_anonymous", "active")


def _category(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound("No such category.")
    return category


def _departments():
    return db.session.execute(select(Department.id, Department.name).order_by(Department.name)).all()


@web.route("", methods=["GET", "POST"])
@admins
def index():
    errors: dict = {}
    if request.method == "POST":
        try:
            data = CategoryForm().load(_form_data(request.form, CATEGORY_FLAGS))
        except ValidationError as exc:
            errors = exc.messages
        else:
            if db.session.scalar(select(Category.id).where(Category.code == data["code"])) is not None:
                errors = {"code": ["This code is taken."]}
            else:
                data["keywords"] = [k.strip() for k in data["keywords"].split(",") if k.strip()]
                db.session.add(Category(**data))
                flash(_("Category added."))
                return redirect(url_for("catalogue.edit", code=data["code"]))
    counts = dict(db.session.execute(select(Question.category_id, func.count()).group_by(Question.category_id)).all())
    categories = db.session.scalars(select(Category).order_by(Category.group, Category.name)).all()
    return render_template("services/catalogue.html", categories=categories, counts=counts, errors=errors,
                           form=request.form, departments=_departments(),
                           dept_names=dict(_departments())), (422 if errors else 200)


@web.route("/<code>", methods=["GET", "POST"])
@admins
def edit(code: str):
    category = _category(code)
    errors: dict = {}
    if request.method == "POST":
        try:
            data = CategoryForm().load({**_form_data(request.form, CATEGORY_FLAGS), "code": category.code})
        except ValidationError as exc:
            errors = exc.messages
        else:
            data["keywords"] = [k.strip() for k in data["keywords"].split(",") if k.strip()]
            for key, value in data.items():
                setattr(category, key, value)
            flash(_("Saved."))
            return redirect(url_for("catalogue.edit", code=code))
    questions = db.session.scalars(select(Question).where(Question.category_id == category.id)
                                   .order_by(Question.position, Question.id)).all()
    return render_template("services/category.html", c=category, questions=questions, errors=errors,
                           departments=_departments(), types=list(QuestionType), q_errors={},
                           q_form={}), (422 if errors else 200)


@web.post("/<code>/questions")
@admins
def add_question(code: str):
    category = _category(code)
    try:
        data = QuestionForm().load(_form_data(request.form, ("required",)))
    except ValidationError as exc:
        questions = db.session.scalars(select(Question).where(Question.category_id == category.id)
                                       .order_by(Question.position, Question.id)).all()
        return render_template("services/category.html", c=category, questions=questions, errors={},
                               departments=_departments(), types=list(QuestionType), q_errors=exc.messages,
                               q_form=request.form), 422
    if db.session.scalar(select(Question.id).where(Question.category_id == category.id,
                                                   Question.code == data["code"])) is not None:
        flash(_("A question with this code already exists."))
        return redirect(url_for("catalogue.edit", code=code))
    position = db.session.scalar(select(func.coalesce(func.max(Question.position), -1))
                                 .where(Question.category_id == category.id)) + 1
    listed = data["datatype"] in (QuestionType.SINGLE, QuestionType.MULTI)
    db.session.add(Question(category_id=category.id, code=data["code"], prompt=data["prompt"],
                            datatype=data["datatype"], required=data["required"], position=position,
                            choices=parse_choices(data["choices"]) if listed else []))
    flash(_("Question added."))
    return redirect(url_for("catalogue.edit", code=code))


@web.post("/<code>/questions/<id:question_id>/delete")
@admins
def delete_question(code: str, question_id: int):
    category = _category(code)
    question = db.session.get(Question, question_id)
    if question is None or question.category_id != category.id:
        raise NotFound("No such question.")
    db.session.delete(question)
    flash(_("Question removed. Reports already filed keep their answers."))
    return redirect(url_for("catalogue.edit", code=code))
