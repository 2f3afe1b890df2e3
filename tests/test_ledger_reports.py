"""The dashboard, the statement and its CSV against what the database holds, to the cent."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import db, utcnow
from core.formatting import yuan
from core.identity.models import Role
from core.periods import BadPeriod, period_dates
from merchant.models import LedgerEntry
from merchant.stats import grid, rate
from tests.test_redemption import qr, redeem


def test_periods_rates_grids_and_money_are_plain_arithmetic():
    today = date(2026, 11, 22)
    assert period_dates("today", today) == (today, today)
    assert period_dates("7d", today) == (date(2026, 11, 16), today)
    assert period_dates("30d", today)[0] == date(2026, 10, 24)
    assert period_dates("custom", today, date(2026, 1, 1), date(2026, 1, 31)) == (date(2026, 1, 1), date(2026, 1, 31))
    for bad in ((date(2026, 2, 1), date(2026, 1, 1)), (date(2024, 1, 1), date(2026, 1, 1)), (None, today)):
        with pytest.raises(BadPeriod):
            period_dates("custom", today, *bad)
    assert rate(0, 0) is None and rate(1, 4) == 0.25
    heat = grid([(0, 9, 2), (6, 23, 1), (0, 9, 1)])
    assert heat[0][9] == 3 and heat[6][23] == 1 and sum(map(sum, heat)) == 4
    assert [yuan(c, column=True) for c in (0, 5, 1234, -1999, 100)] == ["0.00", "0.05", "12.34", "-19.99", "1.00"]


def _ledger_sums(app, merchant_id):
    with app.app_context():
        rows = db.session.execute(
            select(LedgerEntry.kind, func.count(), func.sum(LedgerEntry.bill_cents),
                   func.sum(LedgerEntry.discount_cents))
            .where(LedgerEntry.merchant_id == merchant_id).group_by(LedgerEntry.kind)).all()
        return {kind.value: (n, bill or 0, discount or 0) for kind, n, bill, discount in rows}


def _cents(text: str) -> int:
    return int(Decimal(text) * 100)


def test_dashboard_statement_and_csv_equal_the_ledger_to_the_cent(app, shop):
    s = shop(coupons=4, discount_kind="percent", amount_off_cents=None, percent_off=15)
    bills = [3333, 1999, 12345, 777]
    done = [redeem(s["cashier"], qr(c), b).json for c, b in zip(s["coupons"], bills, strict=True)]
    assert s["cashier"].post(f"/api/merchant/redemptions/{done[1]['redemption_id']}/void").status_code == 200
    redeem(s["cashier"], "LL1:1:1:000000")  # a refusal: logged, but no money

    sums = _ledger_sums(app, s["merchant_id"])
    net_bill = sums["redeemed"][1] - sums["voided"][1]
    net_discount = sums["redeemed"][2] - sums["voided"][2]
    assert net_discount == sum(b * 15 // 100 for b in bills) - 1999 * 15 // 100

    figures = s["cashier"].get("/api/merchant/dashboard?period=today").json
    assert (figures["redeemed"], figures["bill_cents"], figures["discount_cents"]) == (3, net_bill, net_discount)
    assert figures["refused"] == 1 and figures["refusals"] == {"not_genuine": 1}
    assert figures["campaigns"][0]["redeemed"] == 3
    assert sum(map(sum, figures["heatmap"]["redeemed"])) == 3  # the voided one is not a busy-hour redemption
    assert figures["daily"][-1]["redeemed"] == 3

    response = s["cashier"].get("/merchant/statement.csv?period=today")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    lines = [r for r in rows[1:] if r[0]]
    assert len(lines) == 5  # four redemptions and one void, each on its own line
    totals = {r[1]: r for r in rows[1:] if not r[0]}
    assert sum(_cents(r[6]) for r in lines) == _cents(totals["net"][6]) == net_bill
    assert sum(_cents(r[7]) for r in lines) == _cents(totals["net"][7]) == net_discount
    assert _cents(totals["total_redeemed"][7]) == sums["redeemed"][2]
    assert _cents(totals["total_voided"][7]) == -sums["voided"][2]
    assert {r[5] for r in lines} == {"Xiao Li"}

    page = s["cashier"].get("/merchant/statement?period=today").get_data(as_text=True)
    assert "add up to the ledger" in page and yuan(net_discount, column=True) in page
    dashboard = s["cashier"].get("/merchant/dashboard?period=7d")
    assert dashboard.status_code == 200 and b"Reconcile this period" in dashboard.data


def test_a_merchant_sees_only_its_own_figures(app, shop):
    a, b = shop(), shop()
    redeem(b["cashier"], qr(b["coupons"][0]), 5000)
    figures = a["cashier"].get("/api/merchant/dashboard?period=today").json
    assert figures["redeemed"] == 0 and figures["collected"] == 1  # A's own coupon, none of B's redemption
    campaigns = [(c["campaign_id"], c["collected"], c["redeemed"]) for c in figures["campaigns"]]
    assert campaigns == [(a["campaign_id"], 1, 0)]
    csv_text = a["cashier"].get("/merchant/statement.csv?period=today").get_data(as_text=True)
    assert len([line for line in csv_text.splitlines() if line]) == 4  # the header and three totals


def test_periods_are_validated_and_old_entries_fall_in_their_own_day(app, shop):
    s = shop()
    response = redeem(s["cashier"], qr(s["coupons"][0]), 5000)
    assert response.status_code == 200
    today = utcnow().date()
    old = (today - timedelta(days=40)).isoformat()
    none = s["cashier"].get(f"/api/merchant/dashboard?period=custom&from={old}&to={old}").json
    assert none["redeemed"] == 0 and len(none["daily"]) == 1
    assert s["cashier"].get("/api/merchant/dashboard?period=custom&from=2026-02-01").status_code == 422
    assert s["cashier"].get("/api/merchant/dashboard?period=custom&from=2026-02-01&to=2026-01-01").status_code == 422
    assert s["cashier"].get("/api/merchant/dashboard?period=year").status_code == 422
    assert s["cashier"].get("/merchant/statement.csv?period=custom&from=x&to=y").status_code == 422


def test_collections_count_on_the_dashboard(app, shop, signed_in, make_fence, make_campaign):
    from tests.test_airdrop_checkins import HERE

    s = shop(coupons=0)
    with app.app_context():
        fence = make_fence()
        make_campaign(merchant_id=s["merchant_id"], fences=[fence.id])
        db.session.commit()
    resident, _ = signed_in(Role.RESIDENT)
    assert resident.post("/api/airdrop/checkins", json=HERE).json["outcome"] == "dropped"
    figures = s["cashier"].get("/api/merchant/dashboard").json
    assert figures["collected"] == 1 and figures["redemption_rate"] == 0.0
    assert sum(map(sum, figures["heatmap"]["collected"])) == 1
