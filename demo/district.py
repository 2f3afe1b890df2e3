"""The demo district: Dongming Road's community centre, five food businesses, every role."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from core.config import district_tz
from core.db import db
from core.identity.models import Department, Merchant, MerchantRole, Role, User
from core.identity.operations import create_account
from core.identity.passwords import hash_password
from core.identity.rules import N_
from demo.history import load_history
from demo.reports import load_reports
from geofence.models import FenceKind
from geofence.operations import create_fence
from merchant.claims import claim
from merchant.models import Campaign, CampaignStatus, CampaignTarget, DiscountKind
from services.models import Category, Question, QuestionType

DEMO_PASSWORD = "neighbour-2026"
CENTRE = (31.1600, 121.5010)  # lat, lon of the demo community centre

DEMO_ACCOUNTS = [
    ("resident@linli.demo", Role.RESIDENT, "Li Wei"),
    ("13800138000", Role.RESIDENT, "Wang Fang"),
    ("owner@noodles.linli.demo", Role.MERCHANT, "Chen Jun"),
    ("cashier@noodles.linli.demo", Role.MERCHANT, "Zhao Min"),
    ("staff@linli.demo", Role.STAFF, "Sun Lei"),
    ("admin@linli.demo", Role.ADMIN, "Zhou Hui"),
]

DEPARTMENTS = [N_("Roads and Lighting"), N_("Water and Drainage"), N_("Sanitation"), N_("Parks and Greenery")]

CATEGORIES = [
    ("streetlight", N_("Broken streetlight"), N_("Streets"), "Roads and Lighting", 48, "lamp",
     ["light", "dark", "lamp"]),
    ("pothole", N_("Pothole or broken pavement"), N_("Streets"), "Roads and Lighting", 72, "road",
     ["road", "pavement"]),
    ("drain", N_("Blocked drain"), N_("Water"), "Water and Drainage", 24, "drop", ["water", "flood", "drain"]),
    ("litter", N_("Litter or overflowing bin"), N_("Cleanliness"), "Sanitation", 24, "bin", ["rubbish", "bin"]),
    ("tree", N_("Fallen tree or branch"), N_("Green spaces"), "Parks and Greenery", 48, "tree", ["tree", "branch"]),
]

# Per-category questions (Open311 attributes): code, prompt, type, required, choices.
QUESTIONS = {
    "streetlight": [("lamp", N_("What is the lamp doing?"), QuestionType.SINGLE, True,
                     [("off", N_("Off at night")), ("flickering", N_("Flickering")),
                      ("day", N_("On in the daytime"))]),
                    ("pole_number", N_("Number on the pole, if you can see one"), QuestionType.STRING, False, [])],
    "drain": [("flooding", N_("Is water collecting on the street?"), QuestionType.SINGLE, True,
               [("yes", N_("Yes")), ("no", N_("No"))]),
              ("smell", N_("Is there a bad smell?"), QuestionType.SINGLE, False,
               [("yes", N_("Yes")), ("no", N_("No"))])],
    "pothole": [("size", N_("About how wide is it?"), QuestionType.SINGLE, False,
                 [("small", N_("Smaller than a hand")), ("medium", N_("Like a plate")),
                  ("large", N_("Wider than a bicycle wheel"))])],
}


def _translated_names() -> frozenset[str]:
    """Every name above that pages show in the reader's language (core.formatting.known_names)."""
    names = set(DEPARTMENTS)
    for _code, name, group, *_rest in CATEGORIES:
        names.update((name, group))
    for questions in QUESTIONS.values():
        for _code, prompt, _type, _required, choices in questions:
            names.add(prompt)
            names.update(name for _key, name in choices)
    return frozenset(names)


TRANSLATED_NAMES = _translated_names()

EVENINGS = [{"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "21:00"},
            {"days": [5, 6], "start": "10:00", "end": "21:00"}]
LATE = [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "20:00", "end": "02:00"}]

# name, tags, offset north/east of the centre in metres, campaign title, discount, min spend, airdrop windows
# (two campaigns drop at any time, so that the demo always has something to show)
MERCHANTS = [
    ("Old Shanghai Noodles", ["noodles", "breakfast"], (60, -40), "¥5 off any bowl", ("amount", 500), 2000, []),
    ("Dongming Tea House", ["tea", "dessert"], (-80, 30), "20% off tea, up to ¥10", ("percent", 20, 1000), 0, []),
    ("Golden Crust Bakery", ["bakery", "breakfast"], (120, 90), "¥3 off fresh bread", ("amount", 300), 1000,
     EVENINGS),
    ("Auntie Xu's Dumplings", ["dumplings", "noodles"], (-40, -110), "¥8 off a family set", ("amount", 800), 5000,
     EVENINGS),
    ("Night Market Skewers", ["bbq", "late-night"], (150, -150), "15% off after work, up to ¥15",
     ("percent", 15, 1500), 3000, LATE),
]
# What each shop gave in Chinese, as a merchant types it: data, stored beside the English
# (merchant/texts.py), never looked up in the message catalogue.
CHINESE = {
    "Old Shanghai Noodles": ("老上海面馆", "任意一碗立减5元"),
    "Dongming Tea House": ("东明茶馆", "茶饮八折，最多减10元"),
    "Golden Crust Bakery": ("金脆面包坊", "新鲜面包立减3元"),
    "Auntie Xu's Dumplings": ("徐阿姨饺子馆", "家庭套餐立减8元"),
    "Night Market Skewers": ("夜市烤串", "下班后八五折，最多减15元"),
}
HOURS = ("Mon-Sun 07:00-21:00", "周一至周日 07:00-21:00")


def _both(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    # Small offsets only: a flat-earth step is exact enough for 200 m around the centre.
    from math import cos, radians

    return lat + north_m / 111_320, lon + east_m / (111_320 * cos(radians(lat)))


def load_demo(*, now: datetime) -> dict[str, int] | None:
    """Create the district; None if it is already there."""
    if db.session.scalar(select(User.id).where(User.email == "admin@linli.demo")) is not None:
        return None
    departments = {name: Department(name=name) for name in DEPARTMENTS}
    db.session.add_all(departments.values())
    db.session.flush()

    for code, name, group, dept, sla, icon, keywords in CATEGORIES:
        category = Category(code=code, name=name, group=group, department_id=departments[dept].id,
                            sla_hours=sla, icon=icon, keywords=keywords,
                            description=f"Report a {name.lower()} in the district.",
                            allow_anonymous=code == "litter")
        db.session.add(category)
        db.session.flush()
        for position, (q_code, prompt, datatype, required, choices) in enumerate(QUESTIONS.get(code, [])):
            db.session.add(Question(category_id=category.id, code=q_code, prompt=prompt, datatype=datatype,
                                    required=required, position=position,
                                    choices=[{"key": k, "name": n} for k, n in choices]))

    fence = create_fence({"name": "Dongming Community Centre", "kind": FenceKind.CIRCLE,
                          "center_lat": CENTRE[0], "center_lon": CENTRE[1], "radius_m": 300})

    merchants = []
    for name, tags, (north, east), title, discount, min_spend, windows in MERCHANTS:
        lat, lon = _offset(*CENTRE, north, east)
        name_zh, title_zh = CHINESE[name]
        number = abs(north) + 100
        address = f"{number} Dongming Road"
        merchant = Merchant(name=name, tags=tags, lat=lat, lon=lon, address=address, opening_hours=HOURS[0],
                            translations={"name": _both(name, name_zh),
                                          "address": _both(address, f"东明路{number}号"),
                                          "opening_hours": _both(*HOURS)})
        db.session.add(merchant)
        db.session.flush()
        merchants.append(merchant)
        kind = DiscountKind(discount[0])
        description = f"Welcome, neighbour! {title} at {name}."
        campaign = Campaign(
            merchant_id=merchant.id, title=title, description=description,
            translations={"title": _both(title, title_zh),
                          "description": _both(description, f"欢迎您，邻居！{name_zh}：{title_zh}。")},
            discount_kind=kind,
            amount_off_cents=discount[1] if kind is DiscountKind.AMOUNT else None,
            percent_off=discount[1] if kind is DiscountKind.PERCENT else None,
            percent_cap_cents=discount[2] if kind is DiscountKind.PERCENT else None,
            min_spend_cents=min_spend, starts_at=now - timedelta(days=30), ends_at=now + timedelta(days=60),
            coupon_valid_s=7 * 24 * 3600, inventory_total=200, remaining=200, per_resident_limit=1,
            status=CampaignStatus.PUBLISHED, tags=tags, airdrop_windows=windows)
        db.session.add(campaign)
        db.session.flush()
        db.session.add(CampaignTarget(campaign_id=campaign.id, fence_id=fence.id))

    password_hash = hash_password(DEMO_PASSWORD)
    noodles = merchants[0].id
    extra = {
        "owner@noodles.linli.demo": {"merchant_id": noodles, "merchant_role": MerchantRole.OWNER},
        "cashier@noodles.linli.demo": {"merchant_id": noodles, "merchant_role": MerchantRole.CASHIER},
        "staff@linli.demo": {"department_id": departments["Roads and Lighting"].id},
    }
    for identifier, role, name in DEMO_ACCOUNTS:
        create_account(role=role, identifier=identifier, password=DEMO_PASSWORD, display_name=name,
                       password_hash=password_hash, locale="zh" if identifier.isdigit() else None,
                       **extra.get(identifier, {}))
    db.session.flush()

    # Four weeks of trade at the noodle shop, and one coupon in Wang Fang's wallet to show at its till.
    tz = district_tz()
    noodle_deal = db.session.scalar(select(Campaign).where(Campaign.merchant_id == noodles))
    cashier = db.session.scalar(select(User.id).where(User.email == "cashier@noodles.linli.demo"))
    history = load_history(campaign=noodle_deal, cashier_id=cashier, password_hash=password_hash, now=now, tz=tz)
    wang = db.session.scalar(select(User.id).where(User.phone == "+8613800138000"))
    claim(resident_id=wang, campaign=noodle_deal, fence_id=fence.id, now=now, local_day=now.astimezone(tz).date(),
          daily_budget=current_app.config["AIRDROP_DAILY_BUDGET"], tz=tz)
    neighbours = list(db.session.scalars(select(User.id).where(User.email.like("neighbour%@linli.demo"))
                                         .order_by(User.id).limit(30)))
    reports = load_reports(now=now, centre=CENTRE, residents=neighbours)
    return {"ledger entries of past trade": history, "reports of the past month": reports,
            "departments": len(DEPARTMENTS), "service categories": len(CATEGORIES), "geofences": 1,
            "merchants": len(MERCHANTS), "live campaigns": len(MERCHANTS), "accounts": len(DEMO_ACCOUNTS)}
