"""The merchant's pages at the till: scan and redeem, the dashboard, the settlement statement,
and the live feed (Server-Sent Events) the dashboard listens to."""

from __future__ import annotations

import csv
import io
from datetime import date

from babel.dates import format_skeleton, get_day_names
from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.db import db, utcnow
from core.formatting import yuan
from core.identity.models import Merchant
from core.periods import BadPeriod, read_period
from core.problems import ValidationFailed
from core.spreadsheet import text_cell
from merchant import reports
from merchant.api import merchant_staff
from merchant.feed import merchant_channel, sse_response
from merchant.redemption import VOID_WINDOW
from merchant.stats import by_day
from merchant.till_api import district_tz

web = Blueprint("till_pages", __name__, url_prefix="/merchant")
# A comment line now and then: proxies keep the stream open, and a closed tab is noticed.
KEEPALIVE_S = 15


def _period() -> tuple[str, date, date]:
    try:
        return read_period(request.args.to_dict(), utcnow().astimezone(district_tz()).date())
    except BadPeriod as exc:
        raise ValidationFailed(_("Choose a period: today, 7 days, 30 days, or a first and last day.")) from exc


@web.get("/till")
@merchant_staff
def till():
    now = utcnow()
    recent = reports.recent_redemptions(current_user.merchant_id, now - VOID_WINDOW)
    return render_template("merchant/till.html", recent=recent, void_window_s=int(VOID_WINDOW.total_seconds()))


@web.get("/dashboard")
@merchant_staff
def dashboard():
    period, first, last = _period()
    figures = reports.figures(current_user.merchant_id, first, last)
    # Dates as ISO text for the page's script (JSON has no date type).
    figures.update(first_day=first.isoformat(), last_day=last.isoformat(),
                   daily=[{**d, "day": d["day"].isoformat()} for d in figures["daily"]])
    names = get_day_names("abbreviated", locale=get_locale())
    return render_template("merchant/dashboard.html", period=period, figures=figures, first=first, last=last,
                           weekdays=[names[i] for i in range(7)])


@web.get("/statement")
@merchant_staff
def statement():
    period, first, last = _period()
    s = reports.statement(current_user.merchant_id, first, last)
    return render_template("merchant/statement.html", period=period,
                           shop=db.session.get(Merchant, current_user.merchant_id),
                           statement=s, days=by_day(s.lines, district_tz()), generated_at=utcnow(),
                           day_label=lambda day: format_skeleton("MMMEd", day, locale=get_locale()))


CSV_HEADER = ["entry", "type", "time", "coupon", "campaign", "cashier", "bill_yuan", "discount_yuan",
              "paid_yuan", "voids_entry"]


def _amounts(sign: int, figures) -> list[str]:
    return [yuan(sign * cents, column=True)
            for cents in (figures.bill_cents, figures.discount_cents, figures.paid_cents)]


@web.get("/statement.csv")
@merchant_staff
def statement_csv():
    _, first, last = _period()
    s = reports.statement(current_user.merchant_id, first, last)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for line in s.lines:
        sign = -1 if line.kind == "voided" else 1
        writer.writerow([line.entry_id, line.kind, line.at.astimezone(district_tz()).isoformat(), line.coupon_id,
                         text_cell(line.campaign_title), text_cell(line.cashier), *_amounts(sign, line),
                         line.reverses_id or ""])
    for label, total in (("total_redeemed", s.redeemed), ("total_voided", s.voided), ("net", s.net)):
        sign = -1 if label == "total_voided" else 1
        writer.writerow(["", label, "", total.count, "", "", *_amounts(sign, total), ""])
    name = f"linli-statement-{first.isoformat()}-{last.isoformat()}.csv"
    # A byte-order mark so that spreadsheet programs read the Chinese names as UTF-8.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@web.get("/feed")
@merchant_staff
def feed():
    """Server-Sent Events: each redemption, void and collection of this shop as it happens."""
    broker = current_app.extensions["linli_feed"]
    subscription = broker.subscribe(merchant_channel(current_user.merchant_id))
    # The stream may stay open for hours: it must not hold a database connection meanwhile.
    db.session.remove()
    return sse_response(subscription, "ledger", KEEPALIVE_S)

