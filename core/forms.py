"""HTML forms share the API's validation.

A page reads its form with the API's schema (or a subclass whose `pre_load` turns what a browser
sends - "12.50" yuan, days, a datetime-local, ticked boxes - into what the API takes, keyed by the
form's input names), through `load_form`; `attempt` turns a refusal into field messages for the
page to show beside each input, as sentences in the reader's language (core.schemas).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from flask import request
from flask_babel import gettext
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from core.config import district_tz
from core.extensions import db
from core.problems import Problem

T = TypeVar("T")
_WHOLE = re.compile(r"^[+-]?\d{1,18}$")


def load_form(schema: Schema, form: MultiDict | None = None) -> dict:
    """The request's form (or `form`) through `schema`; a refusal raises ValidationError."""
    data = MultiDict(request.form if form is None else form)
    data.pop("csrf_token", None)
    return schema.load(data)


def attempt(action: Callable[[], T]) -> tuple[T | None, dict]:
    """(result, {}) or (None, {field: [messages]}) for a page to show beside its form.

    A refusal rolls back whatever the action had already written: the page answers normally,
    and the request's commit (core.tx) must find nothing half-done. Schema messages arrive as
    sentences in the reader's language; an operation's are fixed English strings marked with N_,
    translated here."""
    try:
        return action(), {}
    except ValidationError as exc:
        db.session.rollback()
        return None, exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
    except Problem as problem:
        db.session.rollback()
        return None, _translated(problem.errors or {"_": [problem.detail]})


def _translated(messages):
    if isinstance(messages, dict):
        return {key: _translated(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_translated(value) for value in messages]
    return gettext(messages) if isinstance(messages, str) else messages


def messages_of(errors: Mapping | None, field: str) -> list[str]:
    """Every sentence about one input, nested ones (a list's items, a fieldset's parts) included."""
    return list(_flatten((errors or {}).get(field, [])))


def _flatten(messages) -> Iterator[str]:
    if isinstance(messages, Mapping):
        for value in messages.values():
            yield from _flatten(value)
    elif isinstance(messages, list | tuple):
        for value in messages:
            yield from _flatten(value)
    elif messages:
        yield str(messages)


def first_message(errors: dict) -> str:
    """The one sentence a flash message shows for a refused action."""
    for messages in errors.values():
        found = list(_flatten(messages))
        if found:
            return found[0]
    return ""


# --- what a browser sends, read for a schema's pre_load ----------------------------------------
# Each returns the value the API would take, or the text as typed for the schema to refuse with
# its sentence; a blank input is None (the caller leaves the field out, so "required" can speak).

def blank(raw: str | None) -> bool:
    return raw is None or not raw.strip()


def whole(raw: str | None):
    if blank(raw):
        return None
    return int(raw) if _WHOLE.match(raw.strip()) else raw


def number(raw: str | None):
    if blank(raw):
        return None
    try:
        value = float(raw)
    except ValueError:
        return raw
    return value if math.isfinite(value) else raw


def cents(raw: str | None):
    """'5', '5.5' or '5.50' yuan to integer cents."""
    if blank(raw):
        return None
    try:
        value = Decimal(raw.strip().lstrip("¥￥"))
    except InvalidOperation:
        return raw
    if not value.is_finite():
        return raw
    scaled = value * 100
    return int(scaled) if scaled == scaled.to_integral_value() else raw


def local_datetime(raw: str | None):
    """A datetime-local input, read in the district's time zone, as ISO 8601 with its offset."""
    if blank(raw):
        return None
    try:
        naive = datetime.fromisoformat(raw.strip())
    except ValueError:
        return raw
    return (naive if naive.tzinfo else naive.replace(tzinfo=district_tz())).isoformat()


def given(**values) -> dict:
    """The values that were filled in."""
    return {key: value for key, value in values.items() if value is not None}


def attempt_with_status(action: Callable[[], T]) -> tuple[T | None, dict, int]:
    """attempt(), and the status a page answers with: 200, the refusal's own (404, 409), else 422."""
    status = 422

    def run():
        nonlocal status
        try:
            return action()
        except Problem as problem:
            status = problem.status
            raise

    result, errors = attempt(run)
    return result, errors, (status if errors else 200)
