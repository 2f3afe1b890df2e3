"""Pure rules for reports and work orders: references, text, answers, states, priority, ranking.

No Flask, no database: every decision here is a plain function tested directly.
"""

from __future__ import annotations

import math
import re
import secrets
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from core.identity.rules import N_

MAX_DESCRIPTION = 4000
MAX_ADDRESS = 255
MAX_PHOTOS = 3
DUPLICATE_RADIUS_M = 50.0
JUDGING_WINDOW = timedelta(days=14)
# Unambiguous when read out on the phone: no 0/O, 1/I/L.
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

RECEIVED, ACKNOWLEDGED, IN_PROGRESS, RESOLVED = "received", "acknowledged", "in_progress", "resolved"
OPEN_STATUSES = (RECEIVED, ACKNOWLEDGED, IN_PROGRESS)
# Where staff may move a report by hand (resolving has its own requirements; see can_close).
MOVES = {RECEIVED: {ACKNOWLEDGED, IN_PROGRESS}, ACKNOWLEDGED: {IN_PROGRESS}, IN_PROGRESS: set(), RESOLVED: set()}
# What people read (lazy strings: translated when a page renders them).
STATUS_LABELS = {RECEIVED: _l("Received"), ACKNOWLEDGED: _l("Acknowledged"), IN_PROGRESS: _l("In progress"),
                 RESOLVED: _l("Resolved")}
RESOLUTION_LABELS = {"fixed": _l("Fixed"), "duplicate": _l("Duplicate of another report"),
                     "not_ours": _l("Not ours: passed on"), "not_found": _l("Could not be found")}


# What an HTML parser reads as the start of markup (WHATWG HTML, "tag open state"): "<" followed
# by an ASCII letter (a start tag), "/" (an end tag), "!" (a comment, doctype or CDATA section) or
# "?" (a processing instruction, read as a bogus comment). Every other "<" ("a < b", "<3", "<=",
# "< 5 m") is text to every parser, so residents can still write it.
#
# nh3.is_html (ammonia) tokenises the text and reports the tags it finds; a tag cut off by the end
# of the text is dropped by the tokeniser, so '<meta http-equiv="refresh" content="0;url=//x"'
# passed, although a page that shows the text goes on after it and the browser finishes the tag
# there. This rule does not parse: it refuses what could begin markup anywhere, finished or not.
# Pages escape on output all the same (every template autoescapes data); refusing here keeps
# markup out of what other systems read too (Open311 clients, exports, notifications).
MARKUP = re.compile(r"<[A-Za-z/!?]")
NO_HTML = N_("Plain text only, please: no HTML.")


def plain_text(value: str) -> bool:
    """True unless the text holds something an HTML parser would read as markup (see MARKUP)."""
    return MARKUP.search(value) is None


class RuleError(ValueError):
    """A refusal with a field to point at."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def new_ref() -> str:
    raw = "".join(secrets.choice(REF_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


_CLIENT_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def client_key(value: str | None) -> str | None:
    """A phone's key for a report it wrote (a UUID, any case), in one spelling; anything else is
    no key at all: the report is still filed, only without the promise of being filed once."""
    key = (value or "").strip().lower()
    return key if _CLIENT_KEY.match(key) else None


def normalize_ref(text: str) -> str:
    compact = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 8 else (text or "").strip().upper()


def clean_description(text: str | None, *, required: bool = True) -> str:
    value = (text or "").strip()
    if not value and required:
        raise RuleError("description", N_("Please describe the problem."))
    if len(value) > MAX_DESCRIPTION:
        raise RuleError("description", N_("Please keep the description to 4,000 characters."))
    if not plain_text(value):
        raise RuleError("description", NO_HTML)
    return value


def clean_text(field: str, text: str | None, *, limit: int = MAX_DESCRIPTION) -> str:
    """Any other free text (a note, a comment, a referral, a contact): stripped, at most `limit`
    characters, plain text; empty is allowed (the caller says when it is required)."""
    value = (text or "").strip()
    if len(value) > limit:
        raise RuleError(field, f"At most {limit} characters.")
    if not plain_text(value):
        raise RuleError(field, NO_HTML)
    return value


def clean_location(lat, lon, address: str | None) -> tuple[float | None, float | None, str]:
    """A GPS point, a typed address, or both; never neither."""
    address = (address or "").strip()
    if len(address) > MAX_ADDRESS:
        raise RuleError("address", N_("Please keep the address to 255 characters."))
    if not plain_text(address):
        raise RuleError("address", NO_HTML)
    if (lat is None) != (lon is None):
        raise RuleError("lat", N_("Please give the latitude and the longitude together."))
    if lat is not None:
        if not (isinstance(lat, int | float) and isinstance(lon, int | float)) or isinstance(lat, bool) \
                or not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise RuleError("lat", N_("That is not a place on Earth."))
    if lat is None and not address:
        raise RuleError("address", N_("Please say where: use your location or type an address."))
    return (float(lat) if lat is not None else None, float(lon) if lon is not None else None, address)


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    prompt: str
    datatype: str
    required: bool
    choices: tuple[str, ...] = ()


def clean_answers(questions: list[QuestionSpec], raw: dict) -> tuple[dict, dict]:
    """(answers, errors): values checked against each question's type; unknown codes refused."""
    answers, errors = {}, {}
    known = {q.code: q for q in questions}
    for code in raw:
        if code not in known:
            errors[code] = [N_("This is not a question about this kind of problem.")]
    for q in questions:
        value = raw.get(q.code)
        if value in (None, "", []):
            if q.required:
                errors[q.code] = [N_("Please answer this question.")]
            continue
        try:
            answers[q.code] = _answer(q, value)
        except ValueError as exc:
            errors[q.code] = [str(exc)]
    return answers, errors


_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class BadAttribute(ValueError):
    """A field that starts with "attribute" but is not attribute[code] or attribute[code][]."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def parse_attributes(fields: Iterable[tuple[str, list[str]]], *, strict: bool = True) -> dict[str, str | list[str]]:
    """The answers of a form, page or Open311 alike: attribute[code]=v, and attribute[code][]=v
    repeated for a multivaluelist, to {code: value}.

    A code given several times becomes a list; clean_answers then refuses a list for a
    single-value question, so nothing is silently dropped. A malformed attribute name raises
    BadAttribute, or is skipped when not `strict` (a page form's stray field).
    """
    answers: dict[str, list[str]] = {}
    as_list: set[str] = set()
    for name, values in fields:
        if not name.startswith("attribute"):
            continue
        match = _ATTRIBUTE.match(name)
        if match is None:
            if strict:
                raise BadAttribute(name)
            continue
        code = match.group(1)
        answers.setdefault(code, []).extend(v for v in values if v != "")
        if match.group(2) or len(values) > 1:
            as_list.add(code)
    return {code: (values if code in as_list else (values[0] if values else ""))
            for code, values in answers.items()}


def _answer(q: QuestionSpec, value):
    if q.datatype in ("string", "text"):
        limit = 255 if q.datatype == "string" else MAX_DESCRIPTION
        if not isinstance(value, str) or len(value) > limit:
            raise ValueError(N_("Please keep this to 255 characters.") if q.datatype == "string"
                             else N_("Please keep this to 4,000 characters."))
        if not plain_text(value):
            raise ValueError(NO_HTML)
        return value.strip()
    if q.datatype == "number":
        if isinstance(value, bool):
            raise ValueError(N_("Please enter a number."))
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(N_("Please enter a number.")) from None
        if not math.isfinite(number):
            raise ValueError(N_("Please enter a number."))
        return int(number) if number.is_integer() else number
    if q.datatype == "datetime":
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(N_("Please enter a date and time, such as 2026-11-22T18:30+08:00.")) from None
        if moment.tzinfo is None:
            raise ValueError(N_("Please include the time zone, such as +08:00."))
        return moment.isoformat()
    if q.datatype == "singlevaluelist":
        if value not in q.choices:
            raise ValueError(N_("Please choose one of the options."))
        return value
    if q.datatype == "multivaluelist":
        values = value if isinstance(value, list) else [value]
        if not values or any(v not in q.choices for v in values):
            raise ValueError(N_("Please choose from the options."))
        return sorted(set(values), key=q.choices.index)
    raise ValueError(N_("This question cannot be answered here."))


def can_move(current: str, target: str) -> bool:
    return target in MOVES.get(current, set())


@dataclass(frozen=True)
class WorkOrderActions:
    """What a work order's page offers: `act` is assigning, updating and closing; `claim` is
    "I will do it", not offered to whoever already has it; `moves` are the statuses it may be
    moved to by hand, in order."""

    act: bool
    moves: tuple[str, ...] = ()
    claim: bool = True


def work_order_actions(*, status: str, role: str, mine: bool = False) -> WorkOrderActions:
    """Staff of the department act on open work; admins (and resolved work) are read-only.
    `mine`: the work order is assigned to the staff member looking at it."""
    if role != "staff" or status == RESOLVED:
        return WorkOrderActions(act=False, claim=False)
    return WorkOrderActions(act=True, moves=tuple(s for s in OPEN_STATUSES if can_move(status, s)), claim=not mine)


def can_judge(*, status: str, closed_at: datetime | None, now: datetime) -> bool:
    return status == RESOLVED and closed_at is not None and now - closed_at <= JUDGING_WINDOW


def expected_at(created_at: datetime, sla_hours: int) -> datetime:
    return created_at + timedelta(hours=sla_hours)


def open311_status(status: str) -> str:
    return "closed" if status == RESOLVED else "open"


@dataclass(frozen=True)
class DepartmentFigures:
    """A department's figures over the reports filed in a period (see RANKING_FIGURES for how
    each is computed, in the words the page shows)."""

    department_id: int
    name: str
    filed: int
    median_ack_h: float | None
    median_close_h: float | None
    due: int  # closed, or still open past the promised time: the promise can be judged
    on_time: int  # of those, closed by the promised time
    overdue_open: int  # still open past the promised time (counted in `due`, never in `on_time`)
    disputed_reports: int

    @property
    def within_sla(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def missed(self) -> int:
        return self.due - self.on_time

    @property
    def disputed(self) -> float | None:
        return self.disputed_reports / self.filed if self.filed else None


# The ranking's columns, each with how it is computed: the page shows these words beside the
# figures, so nobody has to guess what "100 %" counts.
RANKING_FIGURES = {
    "filed": (_l("Reports"), _l("Reports filed by residents in the period.")),
    "ack": (_l("Acknowledged (median)"),
            _l("Half of the reports were acknowledged faster than this, half slower. Reports not yet "
               "acknowledged are left out.")),
    "close": (_l("Closed (median)"),
              _l("Half of the closed reports took less time than this from report to close. Open reports "
                 "are left out.")),
    "within": (_l("Within the promised time"),
               _l("Closed by the promised time, out of the reports whose promised time has passed or that are "
                  "closed. Open work past its promised time counts as missed.")),
    "disputed": (_l("Disputed"), _l("Reports a resident said were not fixed, out of all reports filed.")),
}


def department_figures(department_id: int, name: str, rows: list[tuple], now: datetime) -> DepartmentFigures:
    """rows: (created_at, acknowledged_at, closed_at, expected_at, disputes) of reports filed in the period.

    A report still open past its promised time has missed the promise already, whatever happens
    next: leaving it out would let a department look punctual by not closing late work at all."""
    ack = [(a - c).total_seconds() / 3600 for c, a, *_ in rows if a is not None]
    closed = [(cl - c).total_seconds() / 3600 for c, _, cl, *_ in rows if cl is not None]
    on_time = sum(1 for _, _, cl, exp, _ in rows if cl is not None and cl <= exp)
    overdue_open = sum(1 for _, _, cl, exp, _ in rows if cl is None and exp < now)
    return DepartmentFigures(
        department_id, name, len(rows),
        statistics.median(ack) if ack else None,
        statistics.median(closed) if closed else None,
        due=len(closed) + overdue_open, on_time=on_time, overdue_open=overdue_open,
        disputed_reports=sum(1 for *_, d in rows if d))


def rank(figures: list[DepartmentFigures]) -> list[DepartmentFigures]:
    """Best first: more closed within the promised time (overdue open work counting as missed),
    fewer disputes, faster closing; departments with no reports in the period last."""
    def key(f: DepartmentFigures):
        return (f.filed == 0, -(f.within_sla or 0), f.disputed or 0, f.median_close_h or float("inf"))
    return sorted(figures, key=key)


def parse_choices(text: str) -> list[dict]:
    """'off|Off at night' per line; a line without '|' is its own key (made code-safe)."""
    choices, seen = [], set()
    for line in text.splitlines():
        if not line.strip():
            continue
        key, _sep, name = line.partition("|")
        key = re.sub(r"[^a-z0-9_-]", "_", key.strip().lower())[:40] or "choice"
        if key not in seen:
            seen.add(key)
            choices.append({"key": key, "name": (name or line).strip()[:120]})
    return choices
