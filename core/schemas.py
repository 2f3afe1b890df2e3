"""Strict marshmallow building blocks: no silent coercion of "3" or 2.5 into an integer."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


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
