"""The service catalogue as admins edit it on its pages (checkboxes, numbers typed as text)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, pre_load, validates_schema

from core.db import db
from core.forms import whole
from core.identity.models import Department
from core.schemas import Integer, Length, Range, Regexp, StrictSchema
from services.models import QuestionType
from services.rules import parse_choices

CODE = Regexp(r"^[a-z0-9][a-z0-9_-]{1,39}$", error=_l("Use 2 to 40 lower-case letters, digits, - or _."))
_TEXT = ("code", "name", "description", "group", "keywords", "icon", "prompt", "choices")


def _form(form, flags: tuple[str, ...], numbers: tuple[str, ...] = ()) -> dict:
    """Text as typed, numbers read, and each checkbox on or off (an unticked one sends nothing)."""
    data = {key: form[key].strip() for key in _TEXT if key in form}
    data.update({key: whole(form.get(key)) for key in numbers if whole(form.get(key)) is not None})
    data.update({flag: form.get(flag) == "on" for flag in flags})
    return data


class CategoryForm(StrictSchema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=Length(min=1, max=120))
    description = fields.String(load_default="", validate=Length(max=2000))
    group = fields.String(load_default="", validate=Length(max=80))
    keywords = fields.String(load_default="", validate=Length(max=500))
    icon = fields.String(load_default="", validate=Length(max=40))
    department_id = Integer(required=True)
    sla_hours = Integer(required=True, validate=Range(1, 24 * 365))
    allow_anonymous = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)

    @pre_load
    def _from_form(self, form, **kwargs):
        return _form(form, ("allow_anonymous", "active"), ("department_id", "sla_hours"))

    @validates_schema
    def _department(self, data, **kwargs):
        if "department_id" in data and db.session.get(Department, data["department_id"]) is None:
            raise ValidationError(_l("Choose a department."), "department_id")

    @post_load
    def _keywords(self, data, **kwargs):
        data["keywords"] = [k.strip() for k in data["keywords"].replace("，", ",").split(",") if k.strip()]
        return data


class QuestionForm(StrictSchema):
    code = fields.String(required=True, validate=CODE)
    prompt = fields.String(required=True, validate=Length(min=1, max=255))
    datatype = fields.Enum(QuestionType, by_value=True, required=True)
    required = fields.Boolean(load_default=False)
    choices = fields.String(load_default="", validate=Length(max=4000))

    @pre_load
    def _from_form(self, form, **kwargs):
        return {**_form(form, ("required",)), **({"datatype": form["datatype"]} if form.get("datatype") else {})}

    @validates_schema
    def _choices(self, data, **kwargs):
        listed = data.get("datatype") in (QuestionType.SINGLE, QuestionType.MULTI)
        if listed and len(parse_choices(data.get("choices", ""))) < 2:
            raise ValidationError(_l("Give at least two choices, one per line: key|name."), "choices")

    @post_load
    def _parsed(self, data, **kwargs):
        listed = data["datatype"] in (QuestionType.SINGLE, QuestionType.MULTI)
        data["choices"] = parse_choices(data["choices"]) if listed else []
        return data
