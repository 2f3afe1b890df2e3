"""Strict marshmallow building blocks: no silent coercion of "3" or 2.5 into an integer, and every
refusal a sentence for people, in their language.

marshmallow's own messages ("Not a valid number.", "Length must be between 1 and 120.") are written
for developers. Every schema here derives from `StrictSchema`, which gives each field our sentences
when it is bound, and the validators below replace marshmallow's; the sentences are lazy gettext
templates, translated when a refusal is made and only then formatted with the numbers, so data never
goes through gettext. The API (problem+json `errors`) and the pages (beside the field) say the same.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from werkzeug.routing import IntegerConverter

# Every primary key is a 32-bit integer column: a larger id can name nothing, and PostgreSQL and
# SQLite would raise on it rather than find nothing.
MAX_ID = 2**31 - 1

FILL_IN = _l("Please fill this in.")
NOT_ACCEPTED = _l("This value is not accepted.")
WHOLE_NUMBER = _l("Please enter a whole number.")
NUMBER = _l("Please enter a number.")
DATETIME = _l("Please enter a date and time.")

# The sentence for each of marshmallow's error keys, by field type (most specific first).
_FIELD_SENTENCES: list[tuple[type[fields.Field], dict]] = [
    (fields.Integer, {"invalid": WHOLE_NUMBER, "too_large": _l("This number is too large.")}),
    (fields.Float, {"invalid": NUMBER, "special": NUMBER, "too_large": _l("This number is too large.")}),
    (fields.Number, {"invalid": NUMBER, "too_large": _l("This number is too large.")}),
    (fields.Boolean, {"invalid": _l("Please choose yes or no.")}),
    (fields.Enum, {"unknown": _l("Please choose one of the options.")}),
    (fields.NaiveDateTime, {"invalid": DATETIME}),
    (fields.AwareDateTime, {"invalid": DATETIME, "invalid_awareness": _l("Please give a date and time with its "
                                                                         "time zone.")}),
    (fields.DateTime, {"invalid": DATETIME}),
    (fields.Date, {"invalid": _l("Please enter a date.")}),
    (fields.Time, {"invalid": _l("Please enter a time of day.")}),
    (fields.String, {"invalid": _l("Please enter text."), "invalid_utf8": _l("Please enter text.")}),
    (fields.List, {"invalid": _l("Please give a list.")}),
    (fields.Mapping, {"invalid": _l("This is not in the expected form.")}),
    (fields.Nested, {"type": _l("This is not in the expected form.")}),
]
_ANY_FIELD = {"required": FILL_IN, "null": FILL_IN, "validator_failed": NOT_ACCEPTED}


def _defaults(field: fields.Field) -> dict:
    messages: dict = {}
    for cls in reversed(type(field).__mro__):
        messages.update(getattr(cls, "default_error_messages", {}))
    return messages


def humanise(field: fields.Field) -> None:
    """Give a field (and the fields inside a list or mapping) our sentences for every message
    marshmallow would have written; a message a schema chose itself is kept."""
    sentences = dict(_ANY_FIELD)
    for cls, messages in reversed(_FIELD_SENTENCES):
        if isinstance(field, cls):
            sentences.update(messages)
    defaults = _defaults(field)
    field.error_messages = {
        key: sentences.get(key, NOT_ACCEPTED) if isinstance(message, str) and message == defaults.get(key) else message
        for key, message in field.error_messages.items()}
    for inner in (getattr(field, "inner", None), getattr(field, "key_field", None),
                  getattr(field, "value_field", None), *getattr(field, "tuple_fields", ())):
        if isinstance(inner, fields.Field):
            humanise(inner)


def _plain(messages, *, item: bool = False):
    """Lazy sentences become text in the request's language as the refusal is made (and a lone
    one, which marshmallow stores as it is, a list of one like every other field's messages)."""
    if isinstance(messages, dict):
        return {key: _plain(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [_plain(value, item=True) for value in messages]
    text = messages if isinstance(messages, str) else str(messages)
    return text if item else [text]


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": _l("This field is not accepted here."),
                      "type": _l("This is not in the expected form.")}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        humanise(field_obj)

    def handle_error(self, error: ValidationError, data, *, many: bool, **kwargs) -> None:
        plain = _plain(error.messages)
        if isinstance(error.messages, dict):
            error.messages.clear()
            error.messages.update(plain)
        else:
            error.messages[:] = plain

    def key(self, name: str) -> str:
        """The name a field is sent under (its data_key), for errors raised by a schema validator."""
        field = self.fields.get(name)
        return field.data_key or name if field is not None else name


# --- validators: marshmallow's checks, our sentences -------------------------------------------

def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,g}"


class Length(validate.Length):
    """Characters for text, items for lists; an empty required text is simply "fill this in"."""

    def __call__(self, value):
        n = len(value)
        short = (self.equal is not None and n < self.equal) or (self.min is not None and n < self.min)
        long = (self.equal is not None and n > self.equal) or (self.max is not None and n > self.max)
        if short or long:
            raise ValidationError(self._sentence(value, short))
        return value

    def _sentence(self, value, short: bool) -> str:
        bound = self.equal if self.equal is not None else (self.min if short else self.max)
        if self.error:
            return str(self.error).format(min=self.min, max=self.max, equal=self.equal)
        if isinstance(value, str):
            if short and not value:
                return str(FILL_IN)
            template = _l("Please use at least {n} characters.") if short else \
                _l("Please use at most {n} characters.")
        else:
            template = _l("Please choose at least {n}.") if short else _l("Please give at most {n}.")
        return str(template).format(n=_number(bound))


class Range(validate.Range):
    def __call__(self, value):
        try:
            return super().__call__(value)
        except ValidationError:
            raise ValidationError(self._sentence()) from None

    def _bounds(self) -> dict:
        return {"min": _number(self.min) if self.min is not None else "",
                "max": _number(self.max) if self.max is not None else ""}

    def _sentence(self) -> str:
        if self.error:
            return str(self.error).format(**self._bounds())
        if self.max is None:
            template = _l("Please enter {min} or more.") if self.min_inclusive else \
                _l("Please enter a number above {min}.")
        elif self.min is None:
            template = _l("Please enter {max} or less.")
        elif not self.min_inclusive:
            template = _l("Please enter a number above {min} and at most {max}.")
        else:
            template = _l("Please enter a number from {min} to {max}.")
        return str(template).format(**self._bounds())


def yuan(cents: int) -> str:
    """12.50, or 10,000 for whole yuan: amounts as people write them."""
    return f"{cents // 100:,}" if cents % 100 == 0 else f"{cents / 100:,.2f}"


class YuanRange(Range):
    """A range of integer cents, said in yuan: the API sends cents, a page types yuan."""

    def _bounds(self) -> dict:
        return {"min": yuan(self.min) if self.min is not None else "",
                "max": yuan(self.max) if self.max is not None else ""}

    def _sentence(self) -> str:
        if self.error:
            return str(self.error).format(**self._bounds())
        return str(_l("Please enter an amount from ¥{min} to ¥{max}.")).format(**self._bounds())


class OneOf(validate.OneOf):
    def __call__(self, value):
        if value not in self.choices:
            template = self.error if self.error is not self.default_message else \
                _l("Please choose one of: {choices}.")
            raise ValidationError(str(template).format(choices=self.choices_text))
        return value


class Regexp(validate.Regexp):
    def __call__(self, value):
        if self.regex.match(value) is None:
            template = self.error if self.error is not self.default_message else \
                _l("This is not in the expected format.")
            raise ValidationError(str(template))
        return value


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error of the API is answered."""

    type = fields.String(metadata={"example": "/problems/validation"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Messages per field, for invalid input"})
    # Extension members (RFC 9457 section 3.2) that some problems carry (core.problems.Problem extra).
    reason = fields.String(metadata={"description": "A machine-readable reason, where one problem type has "
                                                    "several (e.g. not_an_image, no_code)"})
    unknown = fields.List(fields.Integer(), metadata={"description": "The ids that named nothing (e.g. unknown "
                                                                     "geofences)"})
    void_until = fields.String(metadata={"description": "When a redemption could last be voided (ISO 8601)"})


class Integer(fields.Integer):
    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)


class Boolean(fields.Boolean):
    """Only JSON true and false; marshmallow would also take "yes", 1 and "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Float(fields.Float):
    """Only JSON numbers: no "3.5" strings, no booleans, no NaN or infinity."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_nan", False)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


def Id(**kwargs) -> Integer:  # noqa: N802 - reads like a field class at the call site
    """An object id in a JSON body or query: a positive 32-bit integer."""
    return Integer(validate=Range(1, MAX_ID), **kwargs)


# Moments anyone may give: far beyond any campaign or report, and far from where converting to
# local time or adding days would leave the calendar (a 500 at year 9999).
FIRST_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
LAST_MOMENT = datetime(2199, 12, 31, tzinfo=UTC)


def within_calendar(value: datetime) -> None:
    if not FIRST_MOMENT <= value <= LAST_MOMENT:
        raise ValidationError(_l("Please give a date between the years 2000 and 2199."))


def Moment(**kwargs) -> fields.AwareDateTime:  # noqa: N802 - reads like a field class at the call site
    """An aware date and time within the calendar we serve."""
    return fields.AwareDateTime(validate=within_calendar, **kwargs)


def Money(**kwargs) -> Integer:  # noqa: N802 - reads like a field class at the call site
    """Integer cents from 1 (or `low`) to `high`, refused in yuan."""
    low, high = kwargs.pop("low", 1), kwargs.pop("high", 1_000_000)
    return Integer(validate=YuanRange(low, high), **kwargs)


class IdConverter(IntegerConverter):
    """`<id:name>` in routes: a positive 32-bit integer, anything else is 404."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


def id_parameter_schema(_converter) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
