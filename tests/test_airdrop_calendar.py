"""The airdrop iCalendar feed: what a subscribed calendar sees, fetch after fetch, in any time zone.

Read back with icalendar and with vobject, a second parser that builds its time zones from the
feed's own VTIMEZONE components (not from the TZID's name)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar

import airdrop.api
from airdrop import ical
from core.db import db
from merchant.rules import parse_windows

SHANGHAI = ZoneInfo("Asia/Shanghai")
BOGOTA = ZoneInfo("America/Bogota")  # UTC-5 all year
# Tuesday 1 December 2026, 19:00 in Shanghai: the evening window (18:00-21:00) is under way.
NOW = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
EVENINGS = [{"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "21:00"}]


def campaign(id_, *, windows=(), starts_at=NOW - timedelta(days=3, hours=5, minutes=17),
             ends_at=NOW + timedelta(days=40), **fields):
    values = {"title": f"Deal {id_}", "description": "Show this; get ¥5 off, any dish.",
              "merchant_name": "Old Shanghai Noodles", "merchant_address": "18 Dongming Road, Pudong",
              "stamp": datetime(2026, 11, 20, 2, 3, 4, tzinfo=UTC), **fields}
    return ical.FeedCampaign(id=id_, starts_at=starts_at, ends_at=ends_at, windows=tuple(parse_windows(list(windows))),
                             **values)


CAMPAIGNS = [campaign(1, windows=EVENINGS), campaign(2, title="Any time")]


def feed(now, campaigns=CAMPAIGNS, tz=SHANGHAI) -> bytes:
    return ical.to_ical(ical.events(campaigns, now=now, tz=tz), tz=tz)


def icalendar_events(body: bytes) -> dict[str, tuple[datetime, datetime]]:
    events = Calendar.from_ical(body).walk("VEVENT")
    return {str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND")) for e in events}


def vobject_events(body: bytes) -> dict[str, tuple[datetime, datetime]]:
    calendar = vobject.readOne(body.decode("utf-8"))
    return {e.uid.value: (e.dtstart.value, e.dtend.value) for e in calendar.vevent_list}


def as_utc(events):
    return {uid: (s.astimezone(UTC), e.astimezone(UTC)) for uid, (s, e) in events.items()}


def check_valid(body: bytes) -> None:
    """What RFC 5545 asks of every feed, as far as a subscriber depends on it."""
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # folded
    calendar = Calendar.from_ical(body)
    calendar.validate()  # icalendar's own check of required properties and components
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["PRODID"]) == ical.PRODID
    assert str(calendar["X-WR-CALNAME"]) == ical.CALENDAR_NAME
    assert calendar.refresh_interval == timedelta(hours=1)
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body  # RFC 7986: VALUE=DURATION is required
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
    events = calendar.walk("VEVENT")
    assert events
    for event in events:
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert required in event, required
        assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)  # DTSTAMP is in UTC
        assert event.decoded("DTEND") > event.decoded("DTSTART")
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    assert all(uid.endswith(f"@{ical.UID_DOMAIN}") for uid in uids)
    # Every TZID used has its VTIMEZONE, and every moment is either in one of them or in UTC.
    assert calendar.get_used_tzids() <= {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert calendar.get_missing_tzids() == set()
    for event in events:
        for name in ("DTSTART", "DTEND"):
            assert "TZID" in event[name].params or event.decoded(name).utcoffset() == timedelta(0)
    # The second parser reads the same events at the same moments.
    assert as_utc(vobject_events(body)) == as_utc(icalendar_events(body))


def test_an_hour_later_the_feed_is_the_same_byte_for_byte():
    first, later = feed(NOW), feed(NOW + timedelta(hours=1))
    check_valid(first)
    assert first == later
    for read in (icalendar_events, vobject_events):
        assert read(first) == read(later)
    events = icalendar_events(first)
    # The evening under way keeps its own start (18:00), not the moment of the fetch.
    assert events["airdrop-1-20261201T180000@airdrops.linli"] == (
        datetime(2026, 12, 1, 18, tzinfo=SHANGHAI), datetime(2026, 12, 1, 21, tzinfo=SHANGHAI))
    # The always-on campaign is one event for its own period, named by its own start.
    always = CAMPAIGNS[1]
    start = always.starts_at.astimezone(SHANGHAI)
    assert events[f"airdrop-2-{start:%Y%m%dT%H%M%S}@airdrops.linli"] == (always.starts_at, always.ends_at)
    # Weekday evenings in the next 14 days (Tuesday 1 to Tuesday 15 December: 11), plus the always-on one.
    assert len(events) == 12


def test_events_stay_put_while_the_calendar_moves_on():
    """Events come and go at the edges; those in both fetches keep UID, start and end."""
    times = [NOW + timedelta(hours=h) for h in (0, 1, 3, 26, 24 * 5 + 7)]
    seen: dict[str, tuple[datetime, datetime]] = {}
    for now in times:
        body = feed(now)
        check_valid(body)
        for uid, period in icalendar_events(body).items():
            assert seen.setdefault(uid, period) == period
            assert period[1] > now  # nothing already over
    later = icalendar_events(feed(NOW + timedelta(hours=3)))  # 22:00 in Shanghai: tonight's window is over
    assert "airdrop-1-20261201T180000@airdrops.linli" not in later
    assert "airdrop-1-20261215T180000@airdrops.linli" in later  # starts within 14 days
    assert "airdrop-1-20261216T180000@airdrops.linli" not in later  # not yet


def test_a_calendar_five_hours_behind_utc_shows_18_00_in_shanghai_as_05_00():
    body = feed(NOW)
    uid = "airdrop-1-20261202T180000@airdrops.linli"
    for read in (icalendar_events, vobject_events):
        start, end = read(body)[uid]
        for behind in (BOGOTA, timezone(timedelta(hours=-5))):
            assert (start.astimezone(behind).hour, start.astimezone(behind).minute) == (5, 0)
            assert start.astimezone(behind).date().isoformat() == "2026-12-02"
            assert end.astimezone(behind).hour == 8
        assert start.astimezone(UTC) == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert b"DTSTART;TZID=Asia/Shanghai:20261202T180000\r\n" in body
    assert b"BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\n" in body


def test_a_district_with_summer_time_keeps_its_wall_clock_across_the_change():
    """The VTIMEZONE carries the zone's rules: read by vobject from the feed alone, an evening
    window is 18:00 local before and after the clocks go back (Berlin, 25 October 2026)."""
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 10, 20, 12, tzinfo=UTC)
    campaigns = [campaign(7, windows=[{"days": [0, 1, 2, 3, 4, 5, 6], "start": "18:00", "end": "21:00"}],
                          starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30))]
    body = feed(now, campaigns, tz=berlin)
    check_valid(body)
    events = vobject_events(body)
    before = events["airdrop-7-20261024T180000@airdrops.linli"]
    after = events["airdrop-7-20261026T180000@airdrops.linli"]
    assert before[0].astimezone(UTC) == datetime(2026, 10, 24, 16, tzinfo=UTC)  # CEST, UTC+2
    assert after[0].astimezone(UTC) == datetime(2026, 10, 26, 17, tzinfo=UTC)  # CET, UTC+1


def test_windows_are_clipped_to_the_campaign_and_only_to_it():
    starts = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai, in the first evening
    ends = datetime(2026, 12, 3, 12, tzinfo=UTC)  # 20:00 on Thursday 3 December
    overlapping = EVENINGS + [{"days": [2], "start": "18:00", "end": "22:00"}]  # Wednesday runs to 22:00
    events = ical.events([campaign(3, windows=overlapping, starts_at=starts, ends_at=ends)], now=NOW, tz=SHANGHAI)
    assert [(e.uid, e.start.strftime("%d %H:%M"), e.end.strftime("%d %H:%M")) for e in events] == [
        ("airdrop-3-20261201T183000@airdrops.linli", "01 18:30", "01 21:00"),
        ("airdrop-3-20261202T180000@airdrops.linli", "02 18:00", "02 22:00"),
        ("airdrop-3-20261203T180000@airdrops.linli", "03 18:00", "03 20:00"),
    ]
    # Not started within the horizon, or over: not in the feed.
    assert ical.events([campaign(4, starts_at=NOW + timedelta(days=15))], now=NOW, tz=SHANGHAI) == []
    assert ical.events([campaign(5, ends_at=NOW)], now=NOW, tz=SHANGHAI) == []


def test_text_is_escaped_and_folded_by_the_library():
    nasty = campaign(6, title="Noodles, dumplings; tea\\coffee", description="Line one\nline two, " + "长" * 60)
    body = feed(NOW, [nasty])
    check_valid(body)
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Old Shanghai Noodles: Noodles, dumplings; tea\\coffee"
    assert str(event["DESCRIPTION"]) == nasty.description
    assert b"Noodles\\, dumplings\\; tea\\\\coffee" in body
    assert vobject.readOne(body.decode()).vevent.description.value == nasty.description
    assert ical.events([], now=NOW, tz=SHANGHAI) == [] and Calendar.from_ical(feed(NOW, [])).walk("VEVENT") == []


# --- over HTTP, on SQLite and PostgreSQL --------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """The clock the feed reads, set by the test."""
    state = {"now": None}
    monkeypatch.setattr(airdrop.api, "utcnow", lambda: state["now"])
    return state


def test_the_subscribed_feed_gives_the_same_events_an_hour_later(app, make_fence, make_campaign, clock):
    real_now = datetime.now(UTC)
    # 19:00 in Shanghai on the latest weekday before now, so an evening window is under way.
    frozen = real_now.astimezone(SHANGHAI).replace(hour=19, minute=0, second=0, microsecond=0)
    while frozen > real_now or frozen.weekday() > 4:
        frozen -= timedelta(days=1)
    frozen = frozen.astimezone(UTC)
    with app.app_context():
        fence = make_fence()
        windowed = make_campaign(fences=[fence.id], title="Evening noodles", airdrop_windows=EVENINGS,
                                 starts_at=frozen - timedelta(days=2), ends_at=frozen + timedelta(days=30))
        always = make_campaign(fences=[fence.id], title="Any time", starts_at=frozen - timedelta(hours=5),
                               ends_at=frozen + timedelta(days=20))
        make_campaign(fences=[fence.id], title="Paused", status="paused")
        db.session.commit()
        windowed_id, always_id = windowed.id, always.id
        always_period = (always.starts_at, always.ends_at)
    visitor = app.test_client()
    clock["now"] = frozen
    first = visitor.get("/feeds/airdrops.ics")
    clock["now"] = frozen + timedelta(hours=1)
    later = visitor.get("/feeds/airdrops.ics")
    assert first.status_code == later.status_code == 200
    assert first.mimetype == "text/calendar" and first.mimetype_params.get("charset") == "utf-8"
    check_valid(first.data)
    assert first.data == later.data and first.headers["ETag"] == later.headers["ETag"]
    for read in (icalendar_events, vobject_events):
        assert read(first.data) == read(later.data)
    events = icalendar_events(first.data)
    tonight = frozen.astimezone(SHANGHAI).replace(hour=18)
    assert events[ical.uid(windowed_id, tonight)] == (tonight, tonight + timedelta(hours=3))
    start = always_period[0].astimezone(SHANGHAI)
    assert as_utc({"a": events[ical.uid(always_id, start)]})["a"] == always_period
    assert all("Paused" not in str(e["SUMMARY"]) for e in Calendar.from_ical(first.data).walk("VEVENT"))
    # 18:00 in Shanghai is 05:00 in a calendar five hours behind UTC.
    assert vobject_events(first.data)[ical.uid(windowed_id, tonight)][0].astimezone(BOGOTA).hour == 5

    # A calendar polling with the ETag is told nothing changed; the cache may keep it a while.
    again = visitor.get("/feeds/airdrops.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert first.cache_control.public and first.cache_control.max_age == 300
