"""Shop names, addresses, opening hours and campaign texts in English and Chinese: each resident
reads the one in their language, and the other when the merchant gave only one."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from core.db import db
from core.identity.models import Merchant, Role
from merchant.models import Campaign
from merchant.texts import given_texts, language_of, localized, merged
from tests.conftest import CENTRE, count
from tests.test_campaigns import campaign_body
from tests.test_form_validation import GOOD_CAMPAIGN, beside

HERE = {"lat": CENTRE[0], "lon": CENTRE[1], "accuracy_m": 10.0}


# --- the pure rule ----------------------------------------------------------------------------

@pytest.mark.parametrize("locale, expected", [("zh", "面馆"), ("zh_Hans_CN", "面馆"), ("zh-Hans", "面馆"),
                                              ("en", "Noodles"), ("en_GB", "Noodles"), (None, "Noodles"),
                                              ("fr", "Noodles")])
def test_the_reader_gets_their_language(locale, expected):
    assert localized("Noodles", {"en": "Noodles", "zh": "面馆"}, locale) == expected


def test_only_one_language_falls_back_to_it():
    assert localized("面馆", {"zh": "面馆"}, "en") == "面馆"
    assert localized("Noodles", {"en": "Noodles"}, "zh") == "Noodles"
    assert localized("Noodles", {"en": "", "zh": ""}, "zh") == "Noodles"  # an empty text is no text
    assert localized("Legacy name", None, "zh") == "Legacy name"  # rows from before two languages
    assert localized(None, None, "zh") == ""


def test_language_of_a_babel_locale():
    from babel import Locale

    assert language_of(Locale.parse("zh_Hans_CN")) == "zh" and language_of(Locale("en")) == "en"


def test_changes_replace_remove_or_keep_a_language():
    assert merged("Noodles", {"en": "Noodles", "zh": "面馆"}, {"en": "Soup"}) == ("Soup", {"en": "Soup", "zh": "面馆"})
    assert merged("Noodles", {"en": "Noodles", "zh": "面馆"}, {"en": ""}) == ("面馆", {"zh": "面馆"})
    assert merged("Noodles", {"en": "Noodles"}, {"zh": "面馆"}) == ("Noodles", {"en": "Noodles", "zh": "面馆"})
    assert merged("Legacy", None, {"zh": "老店"}) == ("Legacy", {"en": "Legacy", "zh": "老店"})
    assert merged(None, None, {"en": "", "zh": ""}) == ("", {})
    assert given_texts("Legacy", {}) == {"en": "Legacy"} and given_texts("", None) == {}


# --- merchants give both, residents read theirs -----------------------------------------------

def _text(html: str, css_class: str) -> list[str]:
    return [unescape(t).strip() for t in re.findall(rf'class="{css_class}"[^>]*>([^<]*)<', html)]


def _fence(app, make_fence) -> int:
    with app.app_context():
        fence_id = make_fence().id
        db.session.commit()
    return fence_id


def _publish_and_collect(owner, campaign_id, signed_in, locale):
    assert owner.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "publish"}).status_code == 200
    resident, _ = signed_in(Role.RESIDENT, locale=locale)
    dropped = resident.post("/api/airdrop/checkins", json=HERE).json
    assert dropped["outcome"] == "dropped"
    return resident, dropped["dropped"][0]


def test_a_campaign_made_in_both_languages_on_the_form_reads_in_each(app, signed_in, make_fence):
    fence_id = _fence(app, make_fence)
    owner, _ = signed_in(Role.MERCHANT)
    made = owner.post("/merchant/campaigns/new", data={
        **GOOD_CAMPAIGN, "title": "¥5 off any bowl", "title_zh": "任意一碗立减5元",
        "description": "Any bowl, any day.", "description_zh": "每天每碗都可用。", "fence": str(fence_id)})
    assert made.status_code == 302
    with app.app_context():
        campaign = db.session.scalar(select(Campaign))
        assert campaign.title == "¥5 off any bowl"
        assert campaign.translations["title"] == {"en": "¥5 off any bowl", "zh": "任意一碗立减5元"}
        campaign_id = campaign.id
    assert "¥5 off any bowl" in owner.get(f"/merchant/campaigns/{campaign_id}").get_data(as_text=True)

    zh, drop = _publish_and_collect(owner, campaign_id, signed_in, "zh")
    assert drop["title_i18n"] == {"en": "¥5 off any bowl", "zh": "任意一碗立减5元"}
    wallet = zh.get("/wallet").get_data(as_text=True)
    assert _text(wallet, "coupon-title") == ["任意一碗立减5元"]
    coupon = zh.get(f"/wallet/coupons/{drop['coupon_id']}").get_data(as_text=True)
    assert "任意一碗立减5元" in coupon and "每天每碗都可用。" in coupon and "¥5 off any bowl" not in coupon

    en, _ = signed_in(Role.RESIDENT, locale="en")
    assert en.post("/api/airdrop/checkins", json=HERE).json["outcome"] == "dropped"
    assert _text(en.get("/wallet").get_data(as_text=True), "coupon-title") == ["¥5 off any bowl"]
    api = en.get("/api/wallet/coupons").json[0]
    assert api["title"] == "¥5 off any bowl"  # the primary text, whatever the reader's language
    assert api["title_i18n"] == {"en": "¥5 off any bowl", "zh": "任意一碗立减5元"}


def test_a_campaign_given_only_in_chinese_through_the_api_falls_back_for_english_readers(
        app, signed_in, make_fence):
    fence_id = _fence(app, make_fence)
    owner, _ = signed_in(Role.MERCHANT)
    body = {k: v for k, v in campaign_body(fence_id).items() if k != "title"}
    created = owner.post("/api/merchant/campaigns", json={**body, "title_zh": "家庭套餐立减8元"})
    assert created.status_code == 201, created.json
    assert created.json["title"] == "家庭套餐立减8元" and created.json["title_i18n"] == {"zh": "家庭套餐立减8元"}
    en, drop = _publish_and_collect(owner, created.json["id"], signed_in, "en")
    assert _text(en.get("/wallet").get_data(as_text=True), "coupon-title") == ["家庭套餐立减8元"]

    # Adding the English later: English readers now get it; the Chinese stays.
    changed = owner.patch(f"/api/merchant/campaigns/{created.json['id']}", json={"title": "¥8 off a family set"})
    assert changed.status_code == 200
    assert changed.json["title_i18n"] == {"en": "¥8 off a family set", "zh": "家庭套餐立减8元"}
    assert _text(en.get("/wallet").get_data(as_text=True), "coupon-title") == ["¥8 off a family set"]


def test_a_title_needs_one_language_and_keeps_the_length_limits(app, signed_in, make_fence):
    fence_id = _fence(app, make_fence)
    owner, _ = signed_in(Role.MERCHANT)
    body = {k: v for k, v in campaign_body(fence_id).items() if k != "title"}
    neither = owner.post("/api/merchant/campaigns", json=body)
    assert neither.status_code == 422 and "title" in neither.json["errors"]
    too_long = owner.post("/api/merchant/campaigns", json={**body, "title": "ok", "title_zh": "长" * 121})
    assert too_long.status_code == 422 and "title_zh" in too_long.json["errors"]
    page = owner.post("/merchant/campaigns/new", data={**GOOD_CAMPAIGN, "title": "", "title_zh": "长" * 121})
    assert page.status_code == 422 and beside(page.get_data(as_text=True), "title_zh")
    assert count(app, Campaign) == 0

    created = owner.post("/api/merchant/campaigns", json={**body, "title": "Deal", "title_zh": "优惠"}).json
    # Removing the English leaves the Chinese as the title; removing both is refused.
    left = owner.patch(f"/api/merchant/campaigns/{created['id']}", json={"title": ""})
    assert left.status_code == 200 and left.json["title"] == "优惠" and left.json["title_i18n"] == {"zh": "优惠"}
    gone = owner.patch(f"/api/merchant/campaigns/{created['id']}", json={"title_zh": ""})
    assert gone.status_code == 422 and "title" in gone.json["errors"]
    assert owner.get(f"/api/merchant/campaigns/{created['id']}").json["title"] == "优惠"


def test_the_new_campaign_form_has_a_box_per_language(app, signed_in):
    owner, _ = signed_in(Role.MERCHANT, locale="zh")
    html = owner.get("/merchant/campaigns/new").get_data(as_text=True)
    assert re.search(r'<input id="title_zh" name="title_zh" lang="zh-Hans"', html)
    assert re.search(r'<input id="title" name="title" lang="en"', html)
    assert "标题（中文）" in html and "标题（英文）" in html
    # The Chinese box is labelled in Chinese on the English page too: whoever types it finds it.
    english, _ = signed_in(Role.MERCHANT, locale="en")
    page = english.get("/merchant/campaigns/new").get_data(as_text=True)
    assert '<label for="title_zh" lang="zh-Hans">标题（中文）</label>' in page and "Title in English" in page


def test_the_shop_page_gives_name_address_and_hours_in_both_languages(app, signed_in, make_fence):
    fence_id = _fence(app, make_fence)
    owner, _ = signed_in(Role.MERCHANT)
    form = owner.get("/merchant/shop").get_data(as_text=True)
    assert 'name="opening_hours_zh" lang="zh-Hans"' in form
    saved = owner.post("/merchant/shop", data={
        "name": "Old Shanghai Noodles", "name_zh": "老上海面馆", "address": "160 Dongming Road",
        "address_zh": "东明路160号", "opening_hours": "Mon-Sun 07:00-21:00",
        "opening_hours_zh": "周一至周日 07:00-21:00"})
    assert saved.status_code == 302
    assert "老上海面馆" in owner.get("/merchant/shop").get_data(as_text=True)  # what was saved shows again
    campaign_id = owner.post("/api/merchant/campaigns", json=campaign_body(fence_id)).json["id"]

    zh, drop = _publish_and_collect(owner, campaign_id, signed_in, "zh")
    assert drop["merchant_name_i18n"]["zh"] == "老上海面馆"
    assert _text(zh.get("/wallet").get_data(as_text=True), "coupon-shop") == ["老上海面馆"]
    coupon = zh.get(f"/wallet/coupons/{drop['coupon_id']}").get_data(as_text=True)
    assert "周一至周日 07:00-21:00" in coupon and "东明路160号" in coupon and "Old Shanghai Noodles" not in coupon
    en, _ = signed_in(Role.RESIDENT, locale="en")
    assert en.post("/api/airdrop/checkins", json=HERE).json["outcome"] == "dropped"
    assert _text(en.get("/wallet").get_data(as_text=True), "coupon-shop") == ["Old Shanghai Noodles"]
    # Opening hours given only in English: Chinese readers read the English ones.
    owner.post("/merchant/shop", data={"name": "Old Shanghai Noodles", "name_zh": "老上海面馆",
                                       "address": "160 Dongming Road", "opening_hours": "Daily 7-21"})
    assert "Daily 7-21" in zh.get(f"/wallet/coupons/{drop['coupon_id']}").get_data(as_text=True)
    profile = owner.get("/api/merchant/profile").json
    assert profile["name_i18n"] == {"en": "Old Shanghai Noodles", "zh": "老上海面馆"}
    assert profile["opening_hours_i18n"] == {"en": "Daily 7-21"} and profile["address_i18n"] == {
        "en": "160 Dongming Road"}


def test_a_shop_name_cannot_be_emptied_in_both_languages(app, signed_in):
    owner, _ = signed_in(Role.MERCHANT)
    page = owner.post("/merchant/shop", data={"name": "", "name_zh": "", "address": "1 Road"})
    assert page.status_code == 422 and beside(page.get_data(as_text=True), "name")
    api = owner.patch("/api/merchant/profile", json={"name": ""})
    assert api.status_code == 422 and "name" in api.json["errors"]
    with app.app_context():
        assert all(m.name for m in db.session.scalars(select(Merchant)))


def test_the_demo_district_ships_both_languages(demo_site, app):
    with app.app_context():
        shops = list(db.session.scalars(select(Merchant)))
        campaigns = list(db.session.scalars(select(Campaign)))
    assert len(shops) == 5 and all(set(m.translations["name"]) == {"en", "zh"} for m in shops)
    assert all(set(m.translations["opening_hours"]) == {"en", "zh"} for m in shops)
    assert all(set(c.translations["title"]) == {"en", "zh"} for c in campaigns)
    assert {localized(m.name, m.translations["name"], "zh") for m in shops} >= {"老上海面馆"}


def test_a_live_campaigns_texts_change_on_its_page_unless_another_phone_changed_it(app, signed_in, make_fence):
    fence_id = _fence(app, make_fence)
    owner, _ = signed_in(Role.MERCHANT)
    campaign_id = owner.post("/api/merchant/campaigns", json=campaign_body(fence_id)).json["id"]
    owner.post(f"/api/merchant/campaigns/{campaign_id}/state", json={"action": "publish"})
    page = owner.get(f"/merchant/campaigns/{campaign_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page)[1]
    assert 'name="title_zh" lang="zh-Hans" value=""' in page

    form = {"version": version, "title": "¥5 off any bowl", "title_zh": "任意一碗立减5元", "description": "",
            "description_zh": ""}
    assert owner.post(f"/merchant/campaigns/{campaign_id}/texts", data=form).status_code == 302
    zh, _ = signed_in(Role.RESIDENT, locale="zh")
    assert zh.post("/api/airdrop/checkins", json=HERE).json["dropped"][0]["title_i18n"]["zh"] == "任意一碗立减5元"
    assert _text(zh.get("/wallet").get_data(as_text=True), "coupon-title") == ["任意一碗立减5元"]

    # The same page sent again (its version is old now): refused, nothing overwritten.
    stale = owner.post(f"/merchant/campaigns/{campaign_id}/texts", data={**form, "title_zh": "旧的"},
                       follow_redirects=True)
    assert "changed on another device" in stale.get_data(as_text=True)
    assert owner.get(f"/api/merchant/campaigns/{campaign_id}").json["title_i18n"]["zh"] == "任意一碗立减5元"

    # Both boxes emptied: refused beside the title, what was typed stays.
    fresh = re.search(r'name="version" value="(\d+)"', owner.get(f"/merchant/campaigns/{campaign_id}")
                      .get_data(as_text=True))[1]
    emptied = owner.post(f"/merchant/campaigns/{campaign_id}/texts",
                         data={**form, "version": fresh, "title": "", "title_zh": "", "description": "Hi"})
    assert emptied.status_code == 422 and beside(emptied.get_data(as_text=True), "title")
    assert owner.get(f"/api/merchant/campaigns/{campaign_id}").json["title"] == "¥5 off any bowl"
