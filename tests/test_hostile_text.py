"""Hostile text: data is never passed through gettext, markup is refused in free text, and every
page escapes every field.

The payload is what a resident, a merchant or an admin could type: an attribute break, a script,
a refresh to another site, an image with a handler, template syntax and a %-format directive, and a
tag left unterminated at the end of the field (the browser finishes it with the page's next ">").
"""

from __future__ import annotations

import ast
import itertools
import time
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


