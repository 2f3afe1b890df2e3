"""HTML forms share the API's validation: one helper turns its refusals into field messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from marshmallow import ValidationError

from core.extensions import db
from core.problems import Problem

T = TypeVar("T")


def attempt(action: Callable[[], T]) -> tuple[T | None, dict]:
    """(result, {}) or (None, {field: [messages]}) for a page to show beside its form.

    A refusal rolls back whatever the action had already written: the page answers normally,
    and the request's commit (core.tx) must find nothing half-done."""
    try:
        return action(), {}
    except ValidationError as exc:
        db.session.rollback()
        return None, exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
    except Problem as problem:
        db.session.rollback()
        return None, problem.errors or {"_": [problem.detail]}


def first_message(errors: dict) -> str:
    """The one sentence a flash message shows for a refused action."""
    for messages in errors.values():
        if isinstance(messages, dict):
            return first_message(messages)
        if messages:
            return str(messages[0])
    return ""
