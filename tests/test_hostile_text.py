"""Hostile text: data is never passed through gettext, markup is refused in free text, and every
page escapes every field.

The payload is what a resident, a merchant or an admin could type: an attribute break, a script,
a refresh to another site, an image with a handler, template syntax and a %-format directive, and a
tag left unterminated at the end of the field (the browser finishes it with the page's next ">").
"""

from __future__ import annotations

import ast
import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

from core.db import db, utcnow
from core.identity.models import Department, Merchant, MerchantRole, Role
from core.problems import ValidationFailed
from services import operations, rules
from services.models import (
    ApiKey,
    Category,
    Channel,
    Event,
    Notification,
    Question,
    QuestionType,
    Resolution,
    ServiceRequest,
    Status,
    Verdict,
)
from tests.conftest import CENTRE, login

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = '"><script>alert(1)</script>'
REFRESH = "<meta http-equiv=refresh content=0;url=//evil.example>"
IMAGE = "<img src=x onerror=alert(1)>"
TEMPLATE = "{{7*7}}%(x)s"
UNTERMINATED = '<meta http-equiv="refresh" content="0;url=//evil.example"'
HOSTILE = SCRIPT + REFRESH + IMAGE + TEMPLATE + UNTERMINATED
# Shorter columns get as much of it as fits (PostgreSQL enforces varchar lengths).
HOSTILE_120 = SCRIPT + IMAGE + TEMPLATE + "<meta http-equiv=refresh content=0;url=//e.x>"
HOSTILE_80 = SCRIPT + IMAGE + TEMPLATE
HOSTILE_40 = "<script>alert(1)</script>{{7*7}}"
# What must never reach a page unescaped; "49" is {{7*7}} evaluated.
RAW_MARKERS = ("<script>alert(1)", "<meta http-equiv=refresh", '<meta http-equiv="refresh"',
               "<img src=x onerror=alert", "49%(x)s", "&gt;49")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def hostile(tag: str, limit: int = 10_000) -> str:
    """The payload behind a tag naming the field, so a page can be shown to carry that field."""
    room = limit - len(tag) - 1
    return f"{tag}:" + next(p for p in (HOSTILE, HOSTILE_120, HOSTILE_80, HOSTILE_40) if len(p) <= room)


def shows(tag: str, html: str) -> bool:
    """The tagged payload is on the page, escaped."""
    return f"{tag}:&#34;&gt;&lt;script&gt;alert(1)" in html or f"{tag}:&lt;script&gt;alert(1)" in html


GETTEXT = {"_", "gettext", "ngettext", "lazy_gettext", "lazy_ngettext", "pgettext", "npgettext", "_l"}


def raw_markers(html: str) -> list[str]:
    return [marker for marker in RAW_MARKERS if marker in html]


# --- 1. data is never passed through gettext ------------------------------------------------

def test_templates_never_pass_data_through_gettext():
    """In a template `_(x)` returns Markup (unescaped) and %-formats x: only literals may go in."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.is_dir():
            continue
        for call in env.parse(path.read_text(encoding="utf-8")).find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name in GETTEXT:
                first = call.args[0] if call.args else None
                if not (isinstance(first, nodes.Const) and isinstance(first.value, str)):
                    found.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not found, f"gettext on data (use |known for a name, or show it as data): {found}"


# Python calls whose argument is not a literal, each looking up literals marked with N_ (never data).
PYTHON_LOOKUPS = {
    ("core/formatting.py", "_(literal)"),        # known_names: the demo district's N_ names, by key
    ("core/forms.py", "gettext(messages)"),       # an operation's refusal: fixed N_ sentences
    ("wallet/assisted_views.py", "_(exc.detail)"),  # wallet.assisted's N_ sentences
    ("wallet/assisted_views.py", "_(REASONS[refused.reason])"),  # a dict of N_ literals, by key
}


def test_python_never_passes_data_through_gettext():
    found = set()
    for top in ("core", "linli", "merchant", "wallet", "geofence", "airdrop", "services", "demo"):
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in GETTEXT and not (node.args and isinstance(node.args[0], ast.Constant)):
                    found.add((str(path.relative_to(ROOT)), ast.unparse(node)))
    assert found <= PYTHON_LOOKUPS, f"gettext on something that is not a literal: {sorted(found - PYTHON_LOOKUPS)}"


def test_known_names_are_translated_and_other_text_is_shown_as_typed(app):
    from flask import render_template_string

    with app.test_request_context(headers={"Accept-Language": "zh"}):
        html = render_template_string("{{ a|known }}|{{ b|known }}", a="Broken streetlight", b=HOSTILE)
    translated, shown = html.split("|", 1)
    assert translated and translated != "Broken streetlight"
    assert not raw_markers(shown) and ESCAPED in shown and TEMPLATE in shown


# --- 2. free text refuses markup, finished or not -------------------------------------------

@pytest.mark.parametrize("text", [UNTERMINATED, "<a", "x <b", "</p", "<!--", "<!doctype html", "<?php", REFRESH,
                                  "<svg/onload=alert(1)>", "hello <Meta http-equiv=refresh"])
def test_markup_is_refused_even_unterminated(text):
    with pytest.raises(rules.RuleError):
        rules.clean_description(text)
    spec = rules.QuestionSpec("q", "Prompt", "string", True)
    assert rules.clean_answers([spec], {"q": text})[1] == {"q": [rules.NO_HTML]}
    with pytest.raises(rules.RuleError):
        rules.clean_location(None, None, text)


@pytest.mark.parametrize("text", ["a < b", "3<5 m", "I <3 this street", "< 10 m from the gate", "x<=y", "<",
                                  "＜script＞", "&lt;b&gt;", "<1 hour", "<ä"])
def test_text_with_a_lone_angle_bracket_is_plain_text(text):
    assert rules.clean_description(text) == text.strip()


@pytest.fixture
def work(app, make_user):
    """A department with a category, its staff, a resident and an open report of theirs (ids)."""
    with app.app_context():
        department = Department(name="Free text")
        db.session.add(department)
        db.session.flush()
        db.session.add(Category(code="freetext", name="Free text", department_id=department.id, sla_hours=24))
        db.session.add(Category(code="freetext2", name="Free text 2", department_id=department.id, sla_hours=24))
        db.session.flush()
        category = db.session.query(Category).filter_by(code="freetext2").one()
        db.session.add(Question(category_id=category.id, code="what", prompt="What?",
                                datatype=QuestionType.TEXT, required=False))
        staff = make_user(Role.STAFF, department_id=department.id)
        resident = make_user(Role.RESIDENT)
        report = operations.file_report(operations.NewReport("freetext", "Dark lamp", address="Gate 3",
                                                             reporter_id=resident.id), now=utcnow())
        db.session.commit()
        return {"staff": staff.id, "resident": resident.identifier, "resident_id": resident.id, "ref": report.ref}


def _refused(action) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        action()
    db.session.rollback()
    return refused.value.errors


def test_every_free_text_refuses_markup(app, work):
    from core.identity.models import User

    now = utcnow()
    with app.app_context():
        staff = db.session.get(User, work["staff"])
        report = operations.by_ref(work["ref"])
        new = dict(category_code="freetext2", description="Dark lamp", address="Gate 3",
                   reporter_id=work["resident_id"])
        assert "description" in _refused(lambda: operations.file_report(
            operations.NewReport(**{**new, "description": UNTERMINATED}), now=now))
        assert "address" in _refused(lambda: operations.file_report(
            operations.NewReport(**{**new, "address": "<b"}), now=now))
        assert "attribute[what]" in _refused(lambda: operations.file_report(
            operations.NewReport(**new, answers={"what": UNTERMINATED}), now=now))
        assert "name" in _refused(lambda: operations.file_report(
            operations.NewReport(**new, channel=Channel.PHONE, filed_by_id=staff.id, contact={"name": "<i"}),
            now=now))
        report = operations.by_ref(work["ref"])
        assert "note" in _refused(lambda: operations.add_note(report, staff, UNTERMINATED, True, now))
        report = operations.by_ref(work["ref"])
        assert "note" in _refused(lambda: operations.change_status(report, staff, Status.IN_PROGRESS, "<!--", True,
                                                                   now))
        report = operations.by_ref(work["ref"])
        errors = _refused(lambda: operations.close(report, staff, resolution=Resolution.NOT_OURS, note=UNTERMINATED,
                                                   after_photos=[], duplicate_of=None, referral="<a href=//x",
                                                   now=now))
        assert errors["note"] == [rules.NO_HTML] and errors["referral"] == [rules.NO_HTML]
        # Nothing was written; a plain note with a lone "<" is fine.
        report = operations.by_ref(work["ref"])
        assert [e.kind for e in operations.timeline(report, public_only=False)] == ["received"]
        operations.add_note(report, staff, "Lamp < 2 m from the gate", True, now)
        db.session.commit()


def test_a_dispute_refuses_markup_in_its_comment(app, work):
    now = utcnow()
    with app.app_context():
        report = operations.by_ref(work["ref"])
        report.status, report.resolution, report.closed_at = Status.RESOLVED, Resolution.FIXED, now
        db.session.commit()
        report = operations.by_ref(work["ref"])
        assert "comment" in _refused(lambda: operations.judge(report, work["resident_id"], confirmed=False,
                                                              comment=UNTERMINATED, now=now))


def test_pages_refuse_an_unterminated_tag_in_a_description(app, work):
    client = login(app, work["resident"])
    page = client.post("/report/freetext", data={"description": UNTERMINATED, "address": "Gate 3"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and not raw_markers(html) and "&lt;meta http-equiv=&#34;refresh&#34;" in html


# --- 3. admin-entered prompts and choices are escaped where residents and staff read them ------

def test_admin_entered_prompts_and_choices_render_escaped(app, signed_in, make_department):
    with app.app_context():
        department_id = make_department(HOSTILE_120).id
        db.session.commit()
    admin, _admin_id = signed_in(Role.ADMIN)
    made = admin.post("/admin/catalogue", data={"code": "odd", "name": HOSTILE_120, "group": HOSTILE_80,
                                                "description": HOSTILE, "department_id": str(department_id),
                                                "sla_hours": "24", "active": "on", "allow_anonymous": "on"})
    assert made.status_code == 302, made.get_data(as_text=True)
    for code, datatype, choices in (("pick", "singlevaluelist", f"a|{HOSTILE_120}\nb|{TEMPLATE}"),
                                    ("many", "multivaluelist", f"a|{HOSTILE_120}\nb|{TEMPLATE}"),
                                    ("say", "string", "")):
        added = admin.post("/admin/catalogue/odd/questions", data={"code": code, "prompt": HOSTILE,
                                                                   "datatype": datatype, "choices": choices})
        assert added.status_code == 302, added.get_data(as_text=True)
    staff, _staff_id = signed_in(Role.STAFF, department_id=department_id)
    resident, _resident_id = signed_in(Role.RESIDENT)

    form = resident.get("/report/odd")
    filed = resident.post("/report/odd", data={"description": "Odd", "address": "Gate 3", "attribute[pick]": "a",
                                               "attribute[many][]": ["a", "b"], "attribute[say]": "plain"})
    assert filed.status_code == 302, filed.get_data(as_text=True)
    track_url = filed.headers["Location"]
    ref = track_url.rsplit("/", 1)[1]
    pages = {"report form": form, "catalogue": admin.get("/admin/catalogue"),
             "category": admin.get("/admin/catalogue/odd"), "choose": resident.get("/report"),
             "work order": staff.get(f"/staff/requests/{ref}"), "queue": staff.get("/staff/queue"),
             "track": resident.get(track_url), "public track": app.test_client().get(track_url),
             "my reports": resident.get("/my/reports")}
    for name, page in pages.items():
        html = page.get_data(as_text=True)
        assert page.status_code == 200, (name, page.status_code)
        assert not raw_markers(html), (name, raw_markers(html))
    for name in ("report form", "work order", "category"):
        html = pages[name].get_data(as_text=True)
        assert html.count(ESCAPED) >= 2 and TEMPLATE in html, name  # the prompt and a choice, escaped
    assert ESCAPED in pages["public track"].get_data(as_text=True)  # the category's name


# --- 4. every page, every role, hostile text in every field -----------------------------------

def _hostile_district(app, make_user, make_fence) -> dict:
    """The demo district, plus a department, category, shop, campaign, fence, key, accounts and
    two reports whose every text field holds the payload (written straight to the database, as
    data from before a rule, an import or another client would be)."""
    from core.config import district_tz
    from demo.district import load_demo
    from merchant.claims import claim
    from merchant.models import Campaign, CampaignStatus, CampaignTarget, DiscountKind

    now = utcnow()
    with app.app_context():
        load_demo(now=now)
        department = Department(name=hostile("department", 120))
        merchant = Merchant(name=hostile("merchant", 120), address=hostile("shop address", 255),
                            opening_hours=hostile("opening hours", 255), tags=[hostile("shop tag")],
                            lat=CENTRE[0], lon=CENTRE[1])
        db.session.add_all([department, merchant])
        db.session.flush()
        fence = make_fence(name=hostile("fence", 120))
        category = Category(code="hostile", name=hostile("category", 120), group=hostile("group", 80),
                            description=hostile("category description"), keywords=[hostile("keyword")],
                            icon=hostile("icon", 40), department_id=department.id, sla_hours=24,
                            allow_anonymous=True)
        db.session.add(category)
        db.session.flush()
        choices = [{"key": "a", "name": hostile("choice", 120)}, {"key": IMAGE, "name": TEMPLATE}]
        for position, (code, datatype) in enumerate((("say", QuestionType.STRING), ("tell", QuestionType.TEXT),
                                                     ("pick", QuestionType.SINGLE), ("many", QuestionType.MULTI))):
            db.session.add(Question(category_id=category.id, code=code, prompt=hostile("prompt", 255),
                                    datatype=datatype, position=position,
                                    choices=choices if datatype in (QuestionType.SINGLE, QuestionType.MULTI) else []))
        people = {
            "resident": make_user(Role.RESIDENT, display_name=hostile("person", 80)),
            "owner": make_user(Role.MERCHANT, merchant_id=merchant.id, display_name=hostile("person", 80)),
            "cashier": make_user(Role.MERCHANT, merchant_id=merchant.id, merchant_role=MerchantRole.CASHIER,
                                 display_name=hostile("person", 80)),
            "staff": make_user(Role.STAFF, department_id=department.id, display_name=hostile("person", 80)),
            "admin": make_user(Role.ADMIN, display_name=hostile("person", 80)),
        }
        resident, staff = people["resident"], people["staff"]
        campaign = Campaign(merchant_id=merchant.id, title=hostile("campaign", 120),
                            description=hostile("campaign description"),
                            discount_kind=DiscountKind.AMOUNT, amount_off_cents=500, min_spend_cents=0,
                            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
                            coupon_valid_s=7 * 24 * 3600, inventory_total=50, remaining=50, per_resident_limit=1,
                            status=CampaignStatus.PUBLISHED, tags=[hostile("campaign tag")], airdrop_windows=[])
        db.session.add(campaign)
        db.session.flush()
        db.session.add(CampaignTarget(campaign_id=campaign.id, fence_id=fence.id))
        tz = district_tz()
        coupon = claim(resident_id=resident.id, campaign=campaign, fence_id=fence.id, now=now,
                       local_day=now.astimezone(tz).date(), daily_budget=5, tz=tz)
        db.session.add(ApiKey(name=hostile("key", 120), prefix="hostile1", key_hash="0" * 64, created_at=now))

        answers = {"say": hostile("answer"), "tell": hostile("answer"), "pick": IMAGE,
                   "many": ["a", IMAGE, hostile("stale choice")]}
        reports = []
        for resolved in (False, True):
            report = ServiceRequest(
                ref=rules.new_ref(), category_id=category.id, department_id=department.id,
                description=hostile("description"),
                lat=CENTRE[0], lon=CENTRE[1], address=hostile("address", 255), area_fence_id=fence.id,
                answers=answers, channel=Channel.PHONE, reporter_id=resident.id,
                contact={"name": hostile("contact"), "phone": hostile("phone")}, filed_by_id=staff.id,
                assignee_id=staff.id, status=Status.RESOLVED if resolved else Status.IN_PROGRESS,
                resolution=Resolution.NOT_OURS if resolved else None,
                resolution_note=hostile("resolution note") if resolved else "",
                referral=hostile("referral", 255) if resolved else "", created_at=now - timedelta(days=2),
                expected_at=now - timedelta(days=1), acknowledged_at=now - timedelta(days=2),
                closed_at=now - timedelta(hours=1) if resolved else None, updated_at=now, reopened=not resolved)
            db.session.add(report)
            db.session.flush()
            for kind, public, actor in (("received", True, resident.id), ("assigned", False, staff.id),
                                        ("note", True, staff.id), ("note", False, staff.id),
                                        ("disputed", True, resident.id)):
                db.session.add(Event(request_id=report.id, at=now - timedelta(days=1), actor_id=actor, kind=kind,
                                     note=hostile("public note" if public else "internal note"), public=public,
                                     detail={"assignee": hostile("assignee"), "resolution": hostile("kind")}))
            db.session.add(Notification(user_id=resident.id, request_id=report.id, kind="note",
                                        status=report.status, created_at=now))
            reports.append(report)
        db.session.add(Event(request_id=reports[1].id, at=now - timedelta(hours=1), actor_id=staff.id,
                             kind="resolved", status=Status.RESOLVED, note=hostile("close note"),
                             public=True, detail={"resolution": "not_ours", "referral": hostile("referral")}))
        db.session.add(Verdict(request_id=reports[0].id, user_id=resident.id, round=1, confirmed=False,
                               comment=hostile("comment"), at=now))
        db.session.commit()
        return {"people": {role: user.identifier for role, user in people.items()},
                "resident": resident.identifier, "resident_id": resident.id, "refs": [r.ref for r in reports],
                "coupon_id": coupon.id,
                "campaign_id": campaign.id, "category_id": category.id, "fence_id": fence.id}


SKIP = {"static", "core.service_worker", "reports.photo", "tiles.tile",  # images: no text to escape
        "till_pages.feed", "wallet_pages.coupon_live"}  # endless event streams


def _urls(app, seeded: dict) -> list[str]:
    values = {"code": ["hostile"], "ref": seeded["refs"], "service_request_id": seeded["refs"],
              "service_code": ["hostile"], "coupon_id": [seeded["coupon_id"]],
              "campaign_id": [seeded["campaign_id"]], "fmt": ["json", "xml"], "rest": ["nothing-here"],
              "user_id": [seeded["resident_id"]], "fence_id": [seeded["fence_id"]], "step": [0]}
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in SKIP:
                continue
            names = sorted(rule.arguments)
            missing = [n for n in names if n not in values]
            assert not missing, f"no value to fill {missing} of {rule.rule}: add one to this test"
            for combination in itertools.product(*(values[n] for n in names)):
                urls.append(url_for(rule.endpoint, **dict(zip(names, combination, strict=True))))
        urls += [url_for("assisted.find", who=seeded["resident"]), url_for("work.assisted", category="hostile"),
                 url_for("work.queue", category=seeded["category_id"], area=seeded["fence_id"]),
                 url_for("open311.requests_", fmt="xml", service_code="hostile"),
                 url_for("till_pages.dashboard", period="30d")]
    return sorted(set(urls))


def test_every_page_of_every_role_escapes_hostile_text(app, make_user, make_fence):
    seeded = _hostile_district(app, make_user, make_fence)
    clients = {"anonymous": app.test_client(), **{role: login(app, identifier)
                                                  for role, identifier in seeded["people"].items()}}
    urls = _urls(app, seeded)
    problems, pages = [], {}
    for role, client in clients.items():
        for url in urls:
            response = client.get(url)
            body = response.get_data(as_text=True)
            if response.status_code >= 500:
                problems.append(f"{role} {url}: {response.status_code}")
            if response.mimetype in ("text/html", "text/xml", "application/xml"):
                if found := raw_markers(body):
                    problems.append(f"{role} {url}: raw {found}")
                pages[(role, url)] = body
    assert not problems, "\n".join(problems)
    # The payload did reach the pages that show these fields (so the checks above checked something).
    open_ref, resolved_ref = seeded["refs"]
    expected = {
        ("staff", f"/staff/requests/{open_ref}"): {"description", "address", "category", "prompt", "choice",
                                                   "answer", "stale choice", "contact", "phone", "public note",
                                                   "internal note", "person"},
        ("staff", "/staff/queue"): {"description", "category", "person"},
        ("staff", f"/staff/coupons?who={seeded['resident']}"): {"person", "campaign", "merchant"},
        ("staff", "/staff/assisted?category=hostile"): {"category", "group", "prompt", "choice"},
        ("admin", f"/staff/requests/{resolved_ref}"): {"description", "close note", "public note", "internal note"},
        ("resident", f"/r/{resolved_ref}"): {"description", "address", "category", "referral", "close note",
                                              "public note"},
        ("resident", "/my/reports"): {"category"},
        ("resident", f"/wallet/coupons/{seeded['coupon_id']}"): {"campaign", "merchant"},
        ("resident", "/wallet"): {"campaign", "merchant"},
        ("owner", "/merchant/campaigns"): {"campaign"},
        ("owner", f"/merchant/campaigns/{seeded['campaign_id']}"): {"campaign", "campaign description"},
        ("cashier", "/merchant/till"): {"person"},
        ("admin", "/admin/catalogue"): {"category", "department"},
        ("admin", "/admin/catalogue/hostile"): {"category", "category description", "group", "prompt", "choice",
                                                "department", "keyword", "icon"},
        ("admin", "/admin/accounts"): {"person"},
        ("admin", f"/admin/accounts/{seeded['resident_id']}"): {"person"},
        ("admin", "/admin/departments"): {"department"},
        ("admin", "/admin/fences"): {"fence"},
        ("admin", "/admin/open311-keys"): {"key"},
        ("anonymous", f"/r/{open_ref}"): {"description", "address", "category", "public note"},
        ("anonymous", "/report/hostile"): {"category", "prompt", "choice"},
        ("anonymous", "/ranking"): {"department"},
        ("anonymous", "/airdrops"): {"fence", "merchant", "campaign"},
    }
    missing = {page: sorted(tags - {t for t in tags if shows(t, pages[page])}) for page, tags in expected.items()}
    assert not {page: tags for page, tags in missing.items() if tags}, missing
    assert not shows("internal note", pages[("anonymous", f"/r/{open_ref}")])
