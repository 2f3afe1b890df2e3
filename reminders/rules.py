"""Pure reminder rules: whether a push goes out now, and which window openings are due. No Flask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

SEND = "sent"
QUIET = "quiet"  # dropped: inside the resident's quiet hours
BUDGET = "budget"  # dropped: the day's budget is used
OFF = "off"  # the resident turned this kind off

KINDS = ("airdrops", "reports", "expiring")
DEFAULT_QUIET = (time(22, 0), time(8, 0))
# A window that opened this long ago still gets its push (a worker that was down a few minutes);
# older ones are history. The unique key per window keeps every minute's run from sending twice.
CATCH_UP = timedelta(minutes=5)
# "Expires tomorrow" goes out at 18:00 district time, when residents who work are home. The job
# runs every quarter of an hour in UTC, which meets 18:00 in every time zone (some are +5:45).
EXPIRING_AT = time(18, 0)
EXPIRING_TICK = timedelta(minutes=15)


@dataclass(frozen=True)
class Preferences:
    airdrops: bool = True
    reports: bool = True
    expiring: bool = True
    quiet_start: time | None = DEFAULT_QUIET[0]  # None with quiet_end None: no quiet hours
    quiet_end: time | None = DEFAULT_QUIET[1]

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, kind))


def in_quiet_hours(local: datetime, start: time | None, end: time | None) -> bool:
    """Is the local time inside [start, end)? A range crossing midnight (22:00-08:00) wraps."""
    if start is None or end is None or start == end:
        return False
    t = local.time()
    if start < end:
        return start <= t < end
    return t >= start or t < end


def decide(*, kind: str, local_now: datetime, prefs: Preferences, sent_today: int, daily_budget: int) -> str:
    """SEND, or why not. Quiet hours drop a push rather than defer it: "drops coupons at 18:00" is
    useless at 08:00 the next morning, and report changes are in the in-app notifications anyway."""
    if not prefs.wants(kind):
        return OFF
    if in_quiet_hours(local_now, prefs.quiet_start, prefs.quiet_end):
        return QUIET
    if sent_today >= daily_budget:
        return BUDGET
    return SEND


def due_openings(periods: list[tuple[datetime, datetime]], *, now: datetime,
                 catch_up: timedelta = CATCH_UP) -> list[tuple[datetime, datetime]]:
    """The periods that opened within `catch_up` before `now` (inclusive of now) and are still open."""
    return [(s, e) for s, e in periods if now - catch_up < s <= now and e > now]


# The push services browsers subscribe with (Chrome, Samsung Internet and other Chromium browsers:
# FCM; Firefox: Mozilla's autopush; Edge: WNS; Safari: Apple's). A subscription is a URL the
# server will POST to, so anything else would let a resident point our server at any address.
BROWSER_PUSH_SERVICES = ("fcm.googleapis.com", "android.googleapis.com", "push.services.mozilla.com",
                         "notify.windows.com", "push.apple.com")


def push_service_allowed(endpoint: str, extra: tuple[str, ...] = ()) -> bool:
    """Is `endpoint` on a browser's push service (or one of `extra`), over HTTPS? An entry of
    `extra` matches its host and subdomains; written "http://host" it also accepts plain HTTP there
    (a local stand-in push service)."""
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return False
    if not host or parts.username or parts.password:
        return False
    for entry in (*BROWSER_PUSH_SERVICES, *extra):
        scheme, _, name = entry.strip().lower().rpartition("://")
        if parts.scheme in ({"https", scheme} if scheme else {"https"}) and (host == name or host.endswith("." + name)):
            return True
    return False


def expiring_due(local_now: datetime, *, at: time = EXPIRING_AT, tick: timedelta = EXPIRING_TICK) -> bool:
    """Is this tick (local time) the one at or just after `at`? True for one tick a day."""
    start = datetime.combine(local_now.date(), at, local_now.tzinfo)
    return start <= local_now < start + tick


def airdrop_key(campaign_id: int, local_start: datetime) -> str:
    """One push per resident per window: the campaign and the window's local start."""
    return f"airdrop:{campaign_id}:{local_start:%Y%m%dT%H%M}"


def report_key(report_id: int, kind: str, at: datetime) -> str:
    return f"report:{report_id}:{kind}:{at:%Y%m%dT%H%M%S}"


def expiring_key(coupon_id: int) -> str:
    return f"expiring:{coupon_id}"


def parse_clock(text: str | None) -> time | None:
    """'22:00' -> time(22, 0); '' or None -> None; anything else raises ValueError."""
    if not text:
        return None
    hours, minutes = text.split(":")[:2]
    return time(int(hours), int(minutes))
