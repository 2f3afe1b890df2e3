"""HTML forms share the API's validation: one helper turns its refusals into field messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from marshmallow import ValidationError

from core.problems import Problem

T = TypeVar("T")


def attempt(action: Callable[[], T]) -> tuple[T | None, dict]:
    """(result, {}) or (None, {field: [messages]}) for a page to show beside its form."""
    try:
        return action(), {}
    except ValidationError as exc:
        return None, exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
    except Problem as problem:
        return None, problem.errors or {"_": [problem.detail]}
