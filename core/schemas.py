"""Strict marshmallow building blocks: no silent coercion of "3" or 2.5 into an integer."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate
from werkzeug.routing import IntegerConverter

# Every primary key is a 32-bit integer column: a larger id can name nothing, and PostgreSQL and
# SQLite would raise on it rather than find nothing.
MAX_ID = 2**31 - 1


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error of the API is answered."""

    type = fields.String(metadata={"example": "/problems/validation"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Messages per field, for invalid input"})


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
    return Integer(validate=validate.Range(1, MAX_ID), **kwargs)


class IdConverter(IntegerConverter):
    """`<id:name>` in routes: a positive 32-bit integer, anything else is 404."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


def id_parameter_schema(_converter) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
