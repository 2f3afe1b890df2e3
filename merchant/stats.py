"""Pure arithmetic for the dashboard and the settlement statement. No Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


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


@dataclass
class DayTotals:
    """One local day of a statement: its lines and what they add up to (the phone's day cards)."""

    day: date
    lines: list
    redeemed: Money
    voided: Money

    @property
    def net(self) -> Money:
        return self.redeemed.minus(self.voided)


def by_day(lines: list, tz) -> list[DayTotals]:
    """Statement lines (each with kind, at, bill_cents, discount_cents) grouped by local day, in order.

    A 30-day statement is a few hundred lines: on a phone each day reads as one card with its
    totals, its lines folded away, instead of a page 14,000 px long."""
    out: list[DayTotals] = []
    for line in lines:
        day = line.at.astimezone(tz).date()
        if not out or out[-1].day != day:
            out.append(DayTotals(day, [], Money(), Money()))
        totals = out[-1].voided if line.kind == "voided" else out[-1].redeemed
        totals.add(line.bill_cents, line.discount_cents)
        out[-1].lines.append(line)
    return out
