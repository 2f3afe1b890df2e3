"""One validation path: pages read their forms with the API's schemas, and every refusal is a sentence
for people, in their language, beside the field it is about."""

import re

import pytest
from flask_babel import force_locale
from marshmallow import ValidationError, class_registry, validate

from core.db import db
from core.identity.models import Role
from core.schemas import Length, OneOf, Range, Regexp, StrictSchema, YuanRange
from geofence.models import Fence
from merchant.models import Campaign
from tests.conftest import count

GOOD_CAMPAIGN = {
    "title": "¥5 off", "discount_kind": "amount", "amount_off_yuan": "5", "min_spend_yuan": "20",
    "starts_at": "2026-01-01T08:00", "ends_at": "2030-01-01T08:00", "valid_days": "7", "inventory_total": "50",
    "per_resident_limit": "1", "window": "any"}


def beside(html: str, field: str) -> list[str]:
    """The sentences the page shows right under one input (the partial marks the first with an id)."""
    first = r'<p class="error" id="' + re.escape(field) + r'-error">([^<]*)</p>'
    found = re.search(first + r'((?:<p class="error">[^<]*</p>)*)', html)
    return [found[1], *re.findall(r'<p class="error">([^<]*)</p>', found[2])] if found else []


def test_every_schema_speaks_in_our_sentences(app):
    """No field of any input schema is left with one of marshmallow's developer messages, and no
    validator is marshmallow's own (whose messages would be "Length must be between 1 and 120.")."""
    ours = (Length, Range, OneOf, Regexp)
    checked = 0
    for name, classes in class_registry._registry.items():
        if "." not in name:
            continue
        for cls in classes:
            if not issubclass(cls, StrictSchema):
                continue
            schema = cls()
            for field_name, field in schema.fields.items():
                for inner in (field, getattr(field, "inner", None), getattr(field, "key_field", None)):
                    if inner is None:
                        continue
                    plain = {k: m for k, m in inner.error_messages.items() if isinstance(m, str)}
                    assert not plain, f"{name}.{field_name} keeps marshmallow's messages: {plain}"
                    for validator in inner.validators:
                        if isinstance(validator, validate.Validator):
                            assert isinstance(validator, ours), f"{name}.{field_name}: {validator!r}"
                checked += 1
    assert checked > 100


def test_numbers_are_put_into_the_sentence_after_it_is_translated(app):
    with app.test_request_context():
        for locale, expected in (("en", "Please enter a number from 1 to 50,000."),
                                 ("zh", "请输入 1 到 50,000 之间的数。")):
            with force_locale(locale), pytest.raises(ValidationError) as refused:
                Range(1, 50_000)(0)
            assert refused.value.messages == [expected]
        with force_locale("zh"), pytest.raises(ValidationError) as refused:
            YuanRange(1, 1_000_000)(0)
        assert refused.value.messages == ["请输入 ¥0.01 到 ¥10,000 之间的金额。"]
        with force_locale("en"), pytest.raises(ValidationError) as refused:
            Length(min=1, max=120)("")
        assert refused.value.messages == ["Please fill this in."]


def test_campaign_page_says_what_is_wrong_with_a_yuan_amount_beside_it(app, signed_in):
    owner, _ = signed_in(Role.MERCHANT)
    page = owner.post("/merchant/campaigns/new", data={**GOOD_CAMPAIGN, "amount_off_yuan": "5.555"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and count(app, Campaign) == 0
    assert beside(html, "amount_off_yuan") == ["Please enter an amount in yuan, such as 12.50."]
    assert "amount_off_cents" not in html and "Not a valid" not in html
    assert 'value="5.555"' in html  # what was typed stays in the form

    too_much = owner.post("/merchant/campaigns/new", data={**GOOD_CAMPAIGN, "amount_off_yuan": "20000"})
    assert beside(too_much.get_data(as_text=True), "amount_off_yuan") == [
        "Please enter an amount from ¥0.01 to ¥10,000."]


def test_campaign_page_in_chinese(app, signed_in):
    owner, _ = signed_in(Role.MERCHANT, locale="zh")
    page = owner.post("/merchant/campaigns/new", data={**GOOD_CAMPAIGN, "amount_off_yuan": "abc", "title": "",
                                                       "valid_days": "400"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and count(app, Campaign) == 0
    assert beside(html, "amount_off_yuan") == ["请以元为单位填写金额，例如 12.50。"]
    assert beside(html, "title") == ["请填写此项。"]
    assert beside(html, "valid_days") == ["请输入 1 到 366 天。"]
    assert "草稿未保存。请检查下面标出的各项。" in html


def test_campaign_page_refuses_what_the_api_refuses_beside_the_right_inputs(app, signed_in, make_fence):
    with app.app_context():
        fence_id = make_fence().id
        db.session.commit()
    owner, _ = signed_in(Role.MERCHANT)
    page = owner.post("/merchant/campaigns/new", data={
        **GOOD_CAMPAIGN, "ends_at": "2025-01-01T08:00", "window": "times", "window_start": "18:00",
        "window_end": "18:00", "day": "2", "fence": str(fence_id), "tags": "two words"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and count(app, Campaign) == 0
    assert beside(html, "tags") == ["Tags use only letters, digits, - and _."]
    # The terms are checked once the fields are: fix the tag, then the dates and the window speak.
    page = owner.post("/merchant/campaigns/new", data={
        **GOOD_CAMPAIGN, "ends_at": "2025-01-01T08:00", "window": "times", "window_start": "18:00",
        "window_end": "18:00", "day": "2", "fence": str(fence_id)})
    html = page.get_data(as_text=True)
    assert beside(html, "window") == ["A drop time must start and end at different times."]
    no_day = owner.post("/merchant/campaigns/new", data={**GOOD_CAMPAIGN, "window": "times",
                                                         "window_start": "18:00", "window_end": "21:00"})
    assert beside(no_day.get_data(as_text=True), "window") == ["Choose one to seven days of the week."]
    late = owner.post("/merchant/campaigns/new", data={**GOOD_CAMPAIGN, "ends_at": "2025-01-01T08:00"})
    assert beside(late.get_data(as_text=True), "ends_at") == ["The end must be after the start."]
    assert count(app, Campaign) == 0


def test_the_api_says_the_same_sentence_under_its_own_field_names(app, signed_in):
    owner, _ = signed_in(Role.MERCHANT)
    body = {"title": "x", "discount_kind": "amount", "amount_off_cents": 0, "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2030-01-01T00:00:00Z", "inventory_total": "5"}
    response = owner.post("/api/merchant/campaigns", json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.json["errors"] == {"amount_off_cents": ["Please enter an amount from ¥0.01 to ¥10,000."],
                                       "inventory_total": ["Please enter a whole number."]}
    chinese = owner.post("/api/merchant/campaigns", json={**body, "colour": "red"},
                         headers={"Accept-Language": "zh-CN"})
    assert chinese.json["errors"]["colour"] == ["此处不接受这一项。"]
    assert chinese.json["errors"]["amount_off_cents"] == ["请输入 ¥0.01 到 ¥10,000 之间的金额。"]


def test_fence_page_with_a_latitude_that_is_not_a_number(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    form = {"name": "Market", "kind": "circle", "center_lat": "north", "center_lon": "121.5", "radius_m": "300"}
    page = admin.post("/admin/fences", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and count(app, Fence) == 0
    assert beside(html, "center_lat") == ["Please enter a number."]
    assert "center_lat:" not in html and "Not a valid" not in html and 'value="north"' in html

    chinese = admin
    chinese.set_cookie("linli_lang", "zh")
    page = chinese.post("/admin/fences", data={**form, "center_lat": "91"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and beside(html, "center_lat") == ["请输入 -90 到 90 之间的数。"]
    polygon = chinese.post("/admin/fences", data={"name": "Bad", "kind": "polygon", "polygon": "{not json"})
    assert beside(polygon.get_data(as_text=True), "polygon") == ["这不是有效的 GeoJSON。"]
    assert count(app, Fence) == 0


def test_admin_new_account_form_speaks_in_sentences(app, signed_in):
    admin, _ = signed_in(Role.ADMIN)
    page = admin.post("/admin/accounts/new", data={"role": "wizard", "identifier": "", "password": "x" * 129})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert beside(html, "role") == ["Please choose one of the options."]
    assert beside(html, "identifier") == ["Please fill this in."]
    assert beside(html, "password") == ["Please use at most 128 characters."]
