"""The airdrop schedule as an iCalendar feed (RFC 5545): which events, their UIDs and times.

No Flask and no database: airdrop.operations.feed_campaigns reads the campaigns, the view in
airdrop.api serves the bytes. A subscribed calendar refetches the feed every hour or so and
matches events by UID, so everything here is derived from stable facts only (the campaign and
its windows), never from the moment of the fetch: the same campaigns give the same events,
byte for byte, whenever they are fetched. `now` only decides which events are still to come.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from merchant.rules import Window

PRODID = "-//Linli//Airdrop schedule//EN"
CALENDAR_NAME = "Linli coupon airdrops"
UID_DOMAIN = "airdrops.linli"
HORIZON_DAYS = 14
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class FeedCampaign:
    """What the feed needs of a published campaign (aware UTC datetimes)."""

    id: int
    title: str
    description: str
    merchant_name: str
    merchant_address: str
    starts_at: datetime
    ends_at: datetime
    windows: tuple[Window, ...]
    stamp: datetime  # DTSTAMP: when the campaign was made, so it does not change between fetches
    sequence: int = 0  # SEQUENCE: bumped by each change of the campaign (its version)


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    start: datetime  # aware, in the district's time zone
    end: datetime
    stamp: datetime  # aware UTC
    sequence: int
    summary: str
    location: str
    description: str


def occurrences(windows: Iterable[Window], *, starts_at: datetime, ends_at: datetime, first_day: date,
                last_day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Each window's occurrences starting on first_day..last_day (local dates), clipped only to the
    campaign's own period; two occurrences starting together are one (the longer)."""
    longest: dict[datetime, datetime] = {}
    day = first_day
    while day <= last_day:
        for w in windows:
            if day.weekday() not in w.days:
                continue
            start = datetime.combine(day, w.start, tz)
            end = datetime.combine(day if w.start < w.end else day + timedelta(days=1), w.end, tz)
            start, end = max(start, starts_at.astimezone(tz)), min(end, ends_at.astimezone(tz))
            if start < end:
                longest[start] = max(end, longest.get(start, end))
        day += timedelta(days=1)
    return sorted(longest.items())


def uid(campaign_id: int, local_start: datetime) -> str:
    return f"airdrop-{campaign_id}-{local_start:%Y%m%dT%H%M%S}@{UID_DOMAIN}"


def events(campaigns: Iterable[FeedCampaign], *, now: datetime, tz: ZoneInfo,
           days: int = HORIZON_DAYS) -> list[FeedEvent]:
    """The airdrop periods not yet over that start within `days` of `now`, one event each.

    A windowed campaign has an event per window occurrence, whole even if it is under way; a
    campaign without windows drops whenever it runs: one event for its own period."""
    until = now + timedelta(days=days)
    out = []
    for c in campaigns:
        if c.ends_at <= now or c.starts_at >= until:
            continue
        if c.windows:
            periods = [(s, e) for s, e in occurrences(
                c.windows, starts_at=c.starts_at, ends_at=c.ends_at, tz=tz,
                first_day=now.astimezone(tz).date() - timedelta(days=1), last_day=until.astimezone(tz).date())
                if e > now and s < until]
        else:
            periods = [(c.starts_at.astimezone(tz), c.ends_at.astimezone(tz))]
        summary = f"{c.merchant_name}: {c.title}"
        out.extend(FeedEvent(uid(c.id, s), s, e, c.stamp, c.sequence, summary, c.merchant_address or "",
                             c.description or "") for s, e in periods)
    out.sort(key=lambda e: (e.start, e.uid))
    return out


def to_ical(feed_events: Iterable[FeedEvent], *, tz: ZoneInfo, name: str = CALENDAR_NAME) -> bytes:
    """The calendar: times in `tz` with its VTIMEZONE, CRLF lines folded and text escaped by icalendar."""
    from icalendar import Calendar, Event, vDuration  # here, not at import: it takes a third of a second

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.calendar_name = name  # NAME and X-WR-CALNAME
    calendar.add("x-wr-timezone", tz.key)
    # RFC 7986 requires the VALUE parameter, which icalendar's refresh_interval leaves out.
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))  # the same, for Outlook
    feed_events = list(feed_events)
    for e in feed_events:
        event = Event()
        event.add("uid", e.uid)
        event.add("dtstamp", e.stamp)
        event.add("sequence", e.sequence)
        event.add("dtstart", e.start)
        event.add("dtend", e.end)
        event.add("summary", e.summary)
        if e.location:
            event.add("location", e.location)
        if e.description:
            event.add("description", e.description)
        event.add("transp", "TRANSPARENT")  # a coupon airdrop does not make anyone busy
        calendar.add_component(event)
    if feed_events:
        # Observances from just before the first event to after the last: the same events give the same bytes.
        calendar.add_missing_timezones(first_date=min(e.start for e in feed_events).date() - timedelta(days=1),
                                       last_date=max(e.end for e in feed_events).date() + timedelta(days=1))
    return calendar.to_ical()
