"""Use cases for the service catalogue: admins add and change categories and their questions.

They flush, never commit. A code is unique by the database's constraint, not by a look first: the
row is inserted in a savepoint and a duplicate key comes back as a Conflict with the field's
message, so two admins adding the same code at once get one category and one clear refusal."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db import db, is_unique_violation
from core.identity.rules import N_
from core.problems import Conflict, NotFound
from services.models import Category, Question


class CodeTaken(Conflict):
    type, title = "/problems/code-taken", "Code taken"


def category(code: str) -> Category:
    found = db.session.scalar(select(Category).where(Category.code == code))
    if found is None:
        raise NotFound("No such category.")
    return found


def _insert(row, taken: CodeTaken):
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise taken from exc
        raise
    return row


def add_category(data: dict) -> Category:
    return _insert(Category(**data), CodeTaken("A category with this code exists.",
                                                errors={"code": [N_("This code is taken.")]}))


def update_category(found: Category, data: dict) -> Category:
    for key, value in data.items():
        setattr(found, key, value)
    db.session.flush()
    return found


def add_question(found: Category, data: dict) -> Question:
    position = db.session.scalar(select(func.coalesce(func.max(Question.position), -1))
                                 .where(Question.category_id == found.id)) + 1
    question = Question(category_id=found.id, position=position, **data)
    return _insert(question, CodeTaken("This category already has a question with this code.",
                                       errors={"code": [N_("This category already has a question with this "
                                                           "code.")]}))


def remove_question(found: Category, question_id: int) -> None:
    question = db.session.get(Question, question_id)
    if question is None or question.category_id != found.id:
        raise NotFound("No such question.")
    db.session.delete(question)
    db.session.flush()
