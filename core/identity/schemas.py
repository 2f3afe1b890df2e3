from __future__ import annotations

from marshmallow import fields, pre_load

from core.forms import given, whole
from core.identity.models import MerchantRole, Role
from core.schemas import Boolean, Id, Integer, Length, OneOf, StrictSchema


class SignUpIn(StrictSchema):
    identifier = fields.String(required=True, validate=Length(min=3, max=254),
                               metadata={"description": "Email address or mobile number"})
    password = fields.String(required=True, load_only=True, validate=Length(max=128))
    display_name = fields.String(required=True, validate=Length(min=1, max=80))
    locale = fields.String(validate=OneOf(["en", "zh"]))


class SignUpOut(StrictSchema):
    detail = fields.String(metadata={"description": "What to do next: sign in"})


class LoginIn(StrictSchema):
    identifier = fields.String(required=True, validate=Length(min=3, max=254))
    password = fields.String(required=True, load_only=True, validate=Length(max=128))
    remember = Boolean(load_default=True)


class PreferencesIn(StrictSchema):
    display_name = fields.String(validate=Length(min=1, max=80))
    locale = fields.String(validate=OneOf(["en", "zh"]))
    large_text = Boolean()


class PasswordChangeIn(StrictSchema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, validate=Length(max=128))


class UserOut(StrictSchema):
    id = Integer(dump_only=True)
    display_name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    role = fields.Enum(Role, by_value=True)
    merchant_id = Integer(allow_none=True)
    merchant_role = fields.Enum(MerchantRole, by_value=True, allow_none=True)
    department_id = Integer(allow_none=True)
    locale = fields.String(allow_none=True)
    large_text = fields.Boolean()
    created_at = fields.AwareDateTime()


class AccountIn(StrictSchema):
    """What an admin gives to create a merchant, staff or admin account."""

    role = fields.Enum(Role, by_value=True, required=True)
    identifier = fields.String(required=True, validate=Length(min=3, max=254))
    password = fields.String(required=True, load_only=True, validate=Length(max=128))
    display_name = fields.String(required=True, validate=Length(min=1, max=80))
    merchant_id = Id()
    merchant_role = fields.Enum(MerchantRole, by_value=True)
    department_id = Id()


class AccountForm(AccountIn):
    """The admins' new-account page: blank choices are no choice, the name defaults to the identifier."""

    @pre_load
    def _from_form(self, form, **kwargs):
        identifier = (form.get("identifier") or "").strip()
        return given(role=form.get("role") or None, identifier=identifier, password=form.get("password") or None,
                     display_name=(form.get("display_name") or "").strip() or identifier,
                     merchant_id=whole(form.get("merchant_id")), merchant_role=form.get("merchant_role") or None,
                     department_id=whole(form.get("department_id")))


class AccountQuery(StrictSchema):
    role = fields.Enum(Role, by_value=True)


class CsrfOut(StrictSchema):
    csrf_token = fields.String()


class DepartmentOut(StrictSchema):
    id = Integer()
    name = fields.String()


class AccountEditForm(StrictSchema):
    """An admin's edit of an account, at the revision their page showed."""

    revision = Integer(required=True, load_only=True)
    display_name = fields.String(required=True, validate=Length(min=1, max=80))
    email = fields.String(validate=Length(max=254))
    phone = fields.String(validate=Length(max=40))
    role = fields.Enum(Role, by_value=True, required=True)
    merchant_id = Id()
    merchant_role = fields.Enum(MerchantRole, by_value=True)
    department_id = Id()

    @pre_load
    def _from_form(self, form, **kwargs):
        return given(revision=whole(form.get("revision")), display_name=(form.get("display_name") or "").strip(),
                     email=(form.get("email") or "").strip() or None, phone=(form.get("phone") or "").strip() or None,
                     role=form.get("role") or None, merchant_id=whole(form.get("merchant_id")),
                     merchant_role=form.get("merchant_role") or None, department_id=whole(form.get("department_id")))


class CodeSignInForm(StrictSchema):
    """A one-time code from an admin, and the new password it sets."""

    identifier = fields.String(required=True, validate=Length(min=3, max=254))
    code = fields.String(required=True, validate=Length(min=1, max=40))
    new_password = fields.String(required=True, load_only=True, validate=Length(max=128))

    @pre_load
    def _from_form(self, form, **kwargs):
        return given(identifier=(form.get("identifier") or "").strip() or None,
                     code=(form.get("code") or "").strip() or None, new_password=form.get("new_password") or None)


class DepartmentForm(StrictSchema):
    name = fields.String(required=True, validate=Length(min=1, max=120))

    @pre_load
    def _from_form(self, form, **kwargs):
        return given(name=" ".join((form.get("name") or "").split()) or None)
