"""Periods of local days (today, the last 7 or 30 days, or chosen first and last days): the one
parser behind the merchant dashboard and statement (page, CSV and API) and the department ranking.
Pure dates, no clock: the caller says which day is today in the district."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validates_schema

from core.schemas import OneOf, StrictSchema

PERIODS = ("today", "7d", "30d", "custom")
MAX_PERIOD_DAYS = 366
# Days anyone may ask about: far beyond any data, and far from where date arithmetic overflows.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)


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
    if frm < FIRST_DAY or to > LAST_DAY:
        raise BadPeriod(f"days are between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    if (to - frm).days + 1 > MAX_PERIOD_DAYS:
        raise BadPeriod(f"a period is at most {MAX_PERIOD_DAYS} days")
    return frm, to


class PeriodQuery(StrictSchema):
    """?period=today|7d|30d|custom&from=YYYY-MM-DD&to=YYYY-MM-DD"""

    period = fields.String(load_default="today", validate=OneOf(PERIODS))
    first_day = fields.Date(data_key="from")
    last_day = fields.Date(data_key="to")

    @validates_schema
    def _custom(self, data, **kwargs):
        if data["period"] == "custom" and not ("first_day" in data and "last_day" in data):
            raise ValidationError(_l("Choose the first and the last day."), "from")


def query_dates(query: Mapping, today: date) -> tuple[date, date]:
    """The days of a loaded PeriodQuery."""
    return period_dates(query["period"], today, query.get("first_day"), query.get("last_day"))


def read_period(args: Mapping[str, str], today: date) -> tuple[str, date, date]:
    """(name, first, last) from query-string arguments; BadPeriod for anything else."""
    try:
        query = PeriodQuery().load(dict(args))
    except ValidationError as exc:
        raise BadPeriod("choose today, 7d, 30d, or custom with from and to (YYYY-MM-DD)") from exc
    return (query["period"], *query_dates(query, today))
