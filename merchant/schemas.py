from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, pre_load, validates, validates_schema

from core.db import utcnow
from core.forms import blank, cents, given, local_datetime, whole
from core.schemas import FILL_IN, Float, Id, Integer, Length, Moment, Money, OneOf, Range, Regexp, StrictSchema
from merchant.models import DiscountKind, EndPolicy
from merchant.rules import DISPLAY_STATUSES, BadWindow, display_status, parse_windows
from merchant.texts import LANGUAGES, texts_of

TAG = fields.String(validate=[Length(min=1, max=30),
                              Regexp(r"^[\w-]+$", error=_l("Tags use only letters, digits, - and _."))])
MAX_INVENTORY = 1_000_000
DAY_S = 24 * 3600
CLOCK = Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error=_l("Please give a time as HH:MM, such as 18:00."))


class WindowSchema(StrictSchema):
    days = fields.List(Integer(validate=Range(0, 6)), required=True,
                       validate=Length(min=1, max=7, error=_l("Choose one to seven days of the week.")))
    start = fields.String(required=True, validate=CLOCK)
    end = fields.String(required=True, validate=CLOCK)




def _zh(field: str, limit: int) -> fields.String:
    return fields.String(validate=Length(max=limit),
                         metadata={"description": f"The {field.replace('_', ' ')} in Chinese: "
                                                  f"residents reading Chinese see it, the others see "
                                                  f"it only when there is no English one"})


class _Texts(StrictSchema):
    """Texts residents read, each given in English (`title`) and/or Chinese (`title_zh`).

    Flat `_zh` fields rather than a nested object: a refusal then names the very box of the form
    (and the API field) it is about. After loading, the data carries `texts` ({field: {lang: text}},
    merchant.texts.apply_texts): a language sent as "" is removed, one not sent is kept."""

    TEXTS: tuple[str, ...] = ()
    # Required in one language at least when creating; a change that would leave a required text
    # with no language is refused by the operation, which knows what is stored.
    REQUIRED: tuple[str, ...] = ()

    # Also when other fields were refused: the owner hears about every box at once.
    @validates_schema(skip_on_field_errors=False)
    def _one_language_at_least(self, data, **kwargs):
        for field in self.REQUIRED:
            if not (data.get(field, "").strip() or data.get(f"{field}_zh", "").strip()):
                # Beside the English box; the hint over both says either language will do.
                raise ValidationError(FILL_IN, self.key(field))

    @post_load
    def _texts(self, data, **kwargs):
        texts = {}
        for field in self.TEXTS:
            changes = {language: data.pop(name).strip() for language, name in
                       (("en", field), ("zh", f"{field}_zh")) if name in data}
            if changes:
                texts[field] = changes
        if texts:
            data["texts"] = texts
        return data


def i18n(field: str):
    """The languages the merchant gave a text in, for API clients: `{"en": ..., "zh": ...}`."""
    return fields.Function(lambda obj: texts_of(obj, field), metadata={
        "description": f"The {field.replace('_', ' ')} in each language it was given in ({', '.join(LANGUAGES)}); "
                       f"show the reader's language, else the other one. `{field}` is the primary text "
                       f"(the English one when given)",
        "type": "object", "additionalProperties": {"type": "string"}})


class _CampaignFields(_Texts):
    TEXTS = ("title", "description")
    title = fields.String(validate=Length(max=120),
                          metadata={"description": "The title in English (or \"\" to keep only a Chinese one)"})
    title_zh = _zh("title", 120)
    description = fields.String(validate=Length(max=2000))
    description_zh = _zh("description", 2000)
    airdrop_windows = fields.List(fields.Nested(WindowSchema), validate=Length(max=14))
    target_fence_ids = fields.List(Id(), validate=Length(max=50))
    tags = fields.List(TAG, validate=Length(max=10))
    ends_at = Moment()

    @validates("airdrop_windows")
    def _windows(self, value, **kwargs):
        if any(not {"days", "start", "end"} <= window.keys() for window in value):
            return  # marshmallow hands on a list's valid part: a window's own fields were refused and say why
        try:
            parse_windows(value)
        except BadWindow as exc:  # the fields are checked already: what is left is an empty window
            raise ValidationError(_l("A drop time must start and end at different times.")) from exc


class CampaignIn(_CampaignFields):
    REQUIRED = ("title",)
    discount_kind = fields.Enum(DiscountKind, by_value=True, required=True)
    amount_off_cents = Money()
    percent_off = Integer(validate=Range(1, 99))
    percent_cap_cents = Money()
    min_spend_cents = Money(load_default=0, low=0, high=100_000_000)
    starts_at = Moment(required=True)
    ends_at = Moment(required=True)
    coupon_valid_s = Integer(load_default=7 * 24 * 3600, validate=Range(600, 366 * 24 * 3600))
    inventory_total = Integer(required=True, validate=Range(1, MAX_INVENTORY))
    per_resident_limit = Integer(load_default=1, validate=Range(1, 100))

    @validates_schema
    def _terms(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError(_l("The end must be after the start."), self.key("ends_at"))
        if data["discount_kind"] is DiscountKind.AMOUNT:
            if "amount_off_cents" not in data:
                raise ValidationError(_l("Please enter the amount off."), self.key("amount_off_cents"))
            if "percent_off" in data or "percent_cap_cents" in data:
                raise ValidationError(_l("Leave this empty for a fixed-amount discount."), self.key("percent_off"))
        else:
            if "percent_off" not in data:
                raise ValidationError(_l("Please enter the percentage off."), self.key("percent_off"))
            if "amount_off_cents" in data:
                raise ValidationError(_l("Leave this empty for a percentage discount."),
                                      self.key("amount_off_cents"))


YUAN = _l("Please enter an amount in yuan, such as 12.50.")


class CampaignForm(CampaignIn):
    """The owner's new-campaign page: CampaignIn, read from the form a browser sends.

    Fields carry the inputs' names (data_key), so every refusal lands beside its input; amounts
    are typed in yuan, the coupon's validity in days, times in the district's time zone."""

    amount_off_cents = Money(data_key="amount_off_yuan", error_messages={"invalid": YUAN})
    percent_cap_cents = Money(data_key="percent_cap_yuan", error_messages={"invalid": YUAN})
    min_spend_cents = Money(load_default=0, low=0, high=100_000_000, data_key="min_spend_yuan",
                            error_messages={"invalid": YUAN})
    coupon_valid_s = Integer(load_default=7 * DAY_S, data_key="valid_days",
                             validate=Range(DAY_S, 366 * DAY_S, error=_l("Please enter from 1 to 366 days.")))
    airdrop_windows = fields.List(fields.Nested(WindowSchema), data_key="window", validate=Length(max=14))
    target_fence_ids = fields.List(Id(), data_key="fence", validate=Length(max=50))

    @pre_load
    def _from_form(self, form, **kwargs):
        kind = form.get("discount_kind") or "amount"
        days = whole(form.get("valid_days"))
        # An empty box is a language not given (a new campaign has nothing to remove).
        texts = {name: (form.get(name) or "").strip() for name in ("title", "title_zh", "description",
                                                                   "description_zh")}
        data = given(
            **{name: text for name, text in texts.items() if text},
            discount_kind=kind, min_spend_yuan=cents(form.get("min_spend_yuan")),
            starts_at=local_datetime(form.get("starts_at")), ends_at=local_datetime(form.get("ends_at")),
            valid_days=days * DAY_S if isinstance(days, int) else days,
            inventory_total=whole(form.get("inventory_total")),
            per_resident_limit=whole(form.get("per_resident_limit")),
            fence=[whole(i) for i in form.getlist("fence") if not blank(i)],
            tags=[t.strip().lower() for t in (form.get("tags") or "").replace("，", ",").split(",") if t.strip()])
        if kind == "amount":
            data.update(given(amount_off_yuan=cents(form.get("amount_off_yuan"))))
        elif kind == "percent":
            data.update(given(percent_off=whole(form.get("percent_off")),
                              percent_cap_yuan=cents(form.get("percent_cap_yuan"))))
        times = form.get("window") == "times"
        data["window"] = [{"days": [whole(d) for d in form.getlist("day") if not blank(d)],
                           "start": form.get("window_start", ""), "end": form.get("window_end", "")}] if times else []
        return data


class CampaignPatch(_CampaignFields):
    """What can change after publishing; the terms residents collected under cannot."""


class CampaignTextsForm(CampaignPatch):
    """The campaign page's texts form: the title and description in both languages, every box
    sent (an emptied box removes that language), and the version the page showed."""

    version = Integer(required=True, validate=Range(1, 2**31 - 1))

    @pre_load
    def _from_form(self, form, **kwargs):
        return {**{name: (form.get(name) or "").strip() for text in _CampaignFields.TEXTS
                   for name in (text, f"{text}_zh")}, **given(version=whole(form.get("version")))}


class TransitionIn(StrictSchema):
    action = fields.String(required=True, validate=OneOf(["publish", "pause", "resume", "end"]))
    end_policy = fields.Enum(EndPolicy, by_value=True, metadata={"description": "Required to end a campaign"})


class InventoryIn(StrictSchema):
    inventory_total = Integer(required=True, validate=Range(1, MAX_INVENTORY))


class InventoryForm(InventoryIn):
    @pre_load
    def _from_form(self, form, **kwargs):
        return given(inventory_total=whole(form.get("inventory_total")))


class CampaignOut(StrictSchema):
    id = Integer()
    merchant_id = Integer()
    title = fields.String()
    title_i18n = i18n("title")
    description = fields.String()
    description_i18n = i18n("description")
    discount_kind = fields.Enum(DiscountKind, by_value=True)
    amount_off_cents = Integer(allow_none=True)
    percent_off = Integer(allow_none=True)
    percent_cap_cents = Integer(allow_none=True)
    min_spend_cents = Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    coupon_valid_s = Integer()
    inventory_total = Integer()
    remaining = Integer()
    collected = Integer()
    per_resident_limit = Integer()
    status = fields.Function(lambda c: display_status(c.status.value, c.starts_at, c.ends_at, utcnow()),
                             metadata={"description": "draft, scheduled, live, paused or ended"})
    end_policy = fields.Enum(EndPolicy, by_value=True, allow_none=True)
    airdrop_windows = fields.List(fields.Nested(WindowSchema))
    target_fence_ids = fields.List(Integer())
    tags = fields.List(fields.String())


class TermsOut(StrictSchema):
    """A campaign's terms and its shop, as residents see them (offers and wallet coupons)."""

    campaign_id = Integer()
    title = fields.String()
    title_i18n = i18n("title")
    description = fields.String()
    description_i18n = i18n("description")
    merchant_id = Integer()
    merchant_name = fields.String()
    merchant_name_i18n = i18n("merchant_name")
    merchant_address = fields.String()
    merchant_address_i18n = i18n("merchant_address")
    merchant_lat = fields.Float()
    merchant_lon = fields.Float()
    discount_kind = fields.String()
    amount_off_cents = Integer(allow_none=True)
    percent_off = Integer(allow_none=True)
    percent_cap_cents = Integer(allow_none=True)
    min_spend_cents = Integer()


class MerchantOut(StrictSchema):
    id = Integer()
    name = fields.String()
    name_i18n = i18n("name")
    address = fields.String()
    address_i18n = i18n("address")
    lat = fields.Float()
    lon = fields.Float()
    opening_hours = fields.String()
    opening_hours_i18n = i18n("opening_hours")
    tags = fields.List(fields.String())


class MerchantPatch(_Texts):
    TEXTS = ("name", "address", "opening_hours")
    name = fields.String(validate=Length(max=120),
                         metadata={"description": "The name in English (or \"\" to keep only a Chinese one)"})
    name_zh = _zh("name", 120)
    address = fields.String(validate=Length(max=255))
    address_zh = _zh("address", 255)
    lat = Float(validate=Range(-90, 90))
    lon = Float(validate=Range(-180, 180))
    opening_hours = fields.String(validate=Length(max=255))
    opening_hours_zh = _zh("opening_hours", 255)
    tags = fields.List(TAG, validate=Length(max=10))

    @validates_schema
    def _both_coordinates(self, data, **kwargs):
        if ("lat" in data) != ("lon" in data):
            raise ValidationError(_l("Please give the latitude and the longitude together."), "lat")


class ShopForm(MerchantPatch):
    """The owner's shop page: the name, address and opening hours, each in English and Chinese.

    Every box is sent: an emptied box removes that language (a required text left with neither is
    refused by the operation, beside its box)."""

    @pre_load
    def _from_form(self, form, **kwargs):
        return {name: (form.get(name) or "").strip() for text in MerchantPatch.TEXTS
                for name in (text, f"{text}_zh")}


class StatusQuery(StrictSchema):
    status = fields.String(validate=OneOf(DISPLAY_STATUSES))
