"""Pure arithmetic for the dashboard and the settlement statement. No Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PERIODS = ("today", "7d", "30d", "custom")
MAX_PERIOD_DAYS = 366


class BadPeriod(ValueError):
    pass


def period_dates(name: str, today: date, frm: date | None = None, to: date | None = None) -> tuple[date, date]:
    """First and last local day (inclusive) of a named period, or of a chosen one."""
    if name == "today":
        return today, today
    if name == "7d":
        return today - timedelta(days=6), today
    if name == "30d":
        return today - timedelta(days=29), today
    if name != "custom":
        raise BadPeriod(f"unknown period {name!r}")
    if frm is None or to is None:
        raise BadPeriod("a chosen period needs a first and a last day")
    if frm > to:
        raise BadPeriod("the first day is after the last day")
    if (to - frm).days + 1 > MAX_PERIOD_DAYS:
        raise BadPeriod(f"a period is at most {MAX_PERIOD_DAYS} days")
    return frm, to


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def rate(redeemed: int, collected: int) -> float | None:
    """Redemptions per coupon collected in the period, as a fraction (None when nothing was collected)."""
    return None if collected == 0 else redeemed / collected


def grid(cells: list[tuple[int, int, int]]) -> list[list[int]]:
    """(weekday, hour, count) into 7 rows (Monday first) of 24 hours."""
    out = [[0] * 24 for _ in range(7)]
    for weekday, hour, n in cells:
        out[weekday][hour] += n
    return out


def money(cents: int) -> str:
    """Exact yuan with two decimals, for CSV and print: never through a float."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


@dataclass
class Money:
    count: int = 0
    bill_cents: int = 0
    discount_cents: int = 0

    def add(self, bill_cents: int, discount_cents: int, n: int = 1) -> None:
        self.count += n
        self.bill_cents += bill_cents
        self.discount_cents += discount_cents

    def minus(self, other: Money) -> Money:
        return Money(self.count - other.count, self.bill_cents - other.bill_cents,
                     self.discount_cents - other.discount_cents)

    @property
    def paid_cents(self) -> int:
        return self.bill_cents - self.discount_cents
