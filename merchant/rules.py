"""Pure campaign rules: states, airdrop windows, discounts, inventory. No Flask app, no database.

Labels are lazy strings (flask_babel.lazy_gettext): translated when a page renders them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

DRAFT, PUBLISHED, PAUSED, ENDED = "draft", "published", "paused", "ended"
# What people see: a published campaign is scheduled, live or ended by the clock.
SCHEDULED, LIVE = "scheduled", "live"
DISPLAY_STATUSES = (DRAFT, SCHEDULED, LIVE, PAUSED, ENDED)
STATUS_LABELS = {DRAFT: _l("Draft"), SCHEDULED: _l("Scheduled"), LIVE: _l("Live"), PAUSED: _l("Paused"),
                 ENDED: _l("Ended")}

# action -> (states it may start from, state it leads to)
TRANSITIONS = {
    "publish": ({DRAFT}, PUBLISHED),
    "pause": ({PUBLISHED}, PAUSED),
    "resume": ({PAUSED}, PUBLISHED),
    "end": ({DRAFT, PUBLISHED, PAUSED}, ENDED),
}


class InvalidTransition(ValueError):
    pass


def next_status(current: str, action: str) -> str:
    if action not in TRANSITIONS:
        raise InvalidTransition(f"unknown action {action!r}")
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise InvalidTransition(f"a {current} campaign cannot {action}")
    return target


# The buttons that change a campaign's state (ending has a form of its own): label, and whether
# it is the obvious next step.
BUTTONS = {"publish": (_l("Publish"), True), "pause": (_l("Pause"), False), "resume": (_l("Resume"), True)}


def shows_as(shown: str, *, status, starts_at, ends_at, now):
    """Whether a campaign shows as `shown` (one of DISPLAY_STATUSES).

    Written with comparisons, `&` and `|` only: for values it answers a bool, for columns a SQL
    condition, so the list filter (merchant.api) and the badge (display_status) are one rule."""
    published = status == PUBLISHED
    if shown == SCHEDULED:
        return published & (starts_at > now)
    if shown == LIVE:
        return published & (starts_at <= now) & (ends_at > now)
    if shown == ENDED:
        return (status == ENDED) | (published & (ends_at <= now))
    if shown in (DRAFT, PAUSED):
        return status == shown
    raise ValueError(f"no display status {shown!r}")


def display_status(status: str, starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    """The five states people see: draft, scheduled, live, paused, ended."""
    for shown in DISPLAY_STATUSES:
        if shows_as(shown, status=status, starts_at=starts_at, ends_at=ends_at, now=now):
            return shown
    return status


def allowed_actions(status: str, shown: str) -> list[str]:
    """What the owner may do with a campaign now (TRANSITIONS): nothing once it shows as ended."""
    if shown == ENDED:
        return []
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources]


@dataclass(frozen=True)
class Window:
    """An airdrop window on some weekdays (0 = Monday), local time; end <= start crosses midnight."""

    days: frozenset[int]
    start: time
    end: time

    def contains(self, local: datetime) -> bool:
        t, day = local.time(), local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= t < self.end
        # Crossing midnight: 22:00-02:00 on Friday covers Friday 22:00 to Saturday 02:00.
        return (day in self.days and t >= self.start) or ((day - 1) % 7 in self.days and t < self.end)


class BadWindow(ValueError):
    pass


def _clock(text: str) -> time:
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError) as exc:
        raise BadWindow(f"not a time of day: {text!r} (use HH:MM)") from exc


def parse_windows(raw: list[dict]) -> list[Window]:
    windows = []
    for item in raw:
        days = item.get("days")
        if not isinstance(days, list) or not days or not all(isinstance(d, int) and 0 <= d <= 6 for d in days):
            raise BadWindow("days must be a non-empty list of weekday numbers 0 (Monday) to 6 (Sunday)")
        start, end = _clock(item.get("start")), _clock(item.get("end"))
        if start == end:
            raise BadWindow("a window must not start and end at the same time")
        windows.append(Window(frozenset(days), start, end))
    return windows


def window_open(windows: list[Window], local: datetime) -> bool:
    return not windows or any(w.contains(local) for w in windows)


def upcoming_windows(windows: list[Window], *, frm: datetime, until: datetime,
                     tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Concrete airdrop periods (aware, in `tz`) overlapping [frm, until), in order."""
    periods = []
    day: date = frm.astimezone(tz).date() - timedelta(days=1)
    last = until.astimezone(tz).date()
    while day <= last:
        for w in windows:
            if day.weekday() in w.days:
                start = datetime.combine(day, w.start, tz)
                end_day = day if w.start < w.end else day + timedelta(days=1)
                end = datetime.combine(end_day, w.end, tz)
                if end > frm and start < until:
                    periods.append((max(start, frm.astimezone(tz)), min(end, until.astimezone(tz))))
        day += timedelta(days=1)
    return sorted(set(periods))


def discount_cents(*, kind: str, amount_off_cents: int | None, percent_off: int | None,
                   percent_cap_cents: int | None, bill_cents: int) -> int:
    """The discount on a bill: never more than the bill itself."""
    if kind == "amount":
        discount = amount_off_cents or 0
    else:
        discount = bill_cents * (percent_off or 0) // 100
        if percent_cap_cents is not None:
            discount = min(discount, percent_cap_cents)
    return max(0, min(discount, bill_cents))


# A bill to value percentage coupons by when ranking them (¥50, a meal for one).
TYPICAL_BILL_CENTS = 5000


def face_value_cents(*, kind: str, amount_off_cents: int | None, percent_off: int | None,
                     percent_cap_cents: int | None, min_spend_cents: int) -> int:
    bill = max(min_spend_cents, TYPICAL_BILL_CENTS)
    return discount_cents(kind=kind, amount_off_cents=amount_off_cents, percent_off=percent_off,
                          percent_cap_cents=percent_cap_cents, bill_cents=bill)
