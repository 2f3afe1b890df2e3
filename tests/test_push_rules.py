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
