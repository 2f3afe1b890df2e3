"""Pure reminder rules: quiet hours, the daily budget, which windows are due, one key per window."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminders import rules

SH = ZoneInfo("Asia/Shanghai")


def at(hour, minute=0):
    return datetime(2026, 12, 2, hour, minute, tzinfo=SH)


def test_quiet_hours_wrap_midnight():
    start, end = time(22), time(8)
    assert rules.in_quiet_hours(at(23, 30), start, end)
    assert rules.in_quiet_hours(at(7, 59), start, end)
    assert not rules.in_quiet_hours(at(8, 0), start, end)
    assert not rules.in_quiet_hours(at(18), start, end)
    assert rules.in_quiet_hours(at(13), time(12), time(14))
    assert not rules.in_quiet_hours(at(3), None, None)


def test_decide_budget_quiet_and_kinds():
    prefs = rules.Preferences()
    assert rules.decide(kind="airdrops", local_now=at(18), prefs=prefs, sent_today=2, daily_budget=3) == rules.SEND
    assert rules.decide(kind="airdrops", local_now=at(18), prefs=prefs, sent_today=3, daily_budget=3) == rules.BUDGET
    assert rules.decide(kind="airdrops", local_now=at(22, 30), prefs=prefs, sent_today=0, daily_budget=3) == rules.QUIET
    off = rules.Preferences(reports=False)
    assert rules.decide(kind="reports", local_now=at(18), prefs=off, sent_today=0, daily_budget=3) == rules.OFF
    none = rules.Preferences(quiet_start=None, quiet_end=None)
    assert rules.decide(kind="airdrops", local_now=at(23), prefs=none, sent_today=0, daily_budget=3) == rules.SEND


def test_due_openings_only_recent_and_still_open():
    now = at(18, 1)
    periods = [(at(18), at(20)), (at(17, 50), at(20)), (at(18, 2), at(20)), (at(17, 58), at(18, 1))]
    assert rules.due_openings(periods, now=now) == [(at(18), at(20))]
    assert rules.due_openings([(at(18), at(20))], now=at(18) + rules.CATCH_UP) == []


def test_one_key_per_window():
    assert rules.airdrop_key(7, at(18)) == rules.airdrop_key(7, at(18))
    assert rules.airdrop_key(7, at(18)) != rules.airdrop_key(7, at(18) + timedelta(days=1))
    assert rules.parse_clock("22:00") == time(22) and rules.parse_clock("") is None


def test_expiring_reminders_follow_the_districts_clock_whatever_the_servers():
    # The job ticks every 15 minutes in UTC; exactly one tick a day is 18:00 in the district.
    day = datetime(2026, 12, 2, tzinfo=ZoneInfo("UTC"))
    ticks = [day + timedelta(minutes=15 * i) for i in range(96)]
    for zone, utc_hour, utc_minute in (("Asia/Shanghai", 10, 0), ("America/New_York", 23, 0),
                                       ("Asia/Kolkata", 12, 30), ("Asia/Kathmandu", 12, 15)):
        due = [t for t in ticks if rules.expiring_due(t.astimezone(ZoneInfo(zone)))]
        assert [(t.hour, t.minute) for t in due] == [(utc_hour, utc_minute)], zone


def test_only_the_browsers_push_services_are_posted_to():
    for endpoint in ("https://fcm.googleapis.com/fcm/send/abc", "https://updates.push.services.mozilla.com/wpush/v2/x",
                     "https://wns2-par02p.notify.windows.com/w/?token=1", "https://web.push.apple.com/QGx"):
        assert rules.push_service_allowed(endpoint), endpoint
    for endpoint in ("http://fcm.googleapis.com/fcm/send/abc",  # no TLS
                     "https://evilfcm.googleapis.com.attacker.example/x", "https://fcm.googleapis.com.evil.example/",
                     "https://127.0.0.1/x", "https://169.254.169.254/latest/meta-data", "https://[::1]:8080/",
                     "https://user:pw@fcm.googleapis.com/x", "https://localhost/", "ftp://fcm.googleapis.com/x",
                     "https://[not-an-ip/x", ""):
        assert not rules.push_service_allowed(endpoint), endpoint
    assert rules.push_service_allowed("http://127.0.0.1:8123/push/1", ("http://127.0.0.1",))
    assert rules.push_service_allowed("https://ntfy.example.org/up/1", ("ntfy.example.org",))
    assert not rules.push_service_allowed("http://ntfy.example.org/up/1", ("ntfy.example.org",))
