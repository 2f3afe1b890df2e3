"""One rule, one definition: each rule that is needed in SQL and in Python is checked to give the
same answer both ways over a grid of cases (on SQLite and PostgreSQL), and the labels, buttons,
money and periods that pages show come from one place."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.formatting import yuan
from core.identity.models import Department, Role
from core.periods import BadPeriod, read_period
from merchant import rules as campaign_rules
from merchant.api import status_filter
from merchant.models import Campaign, CampaignStatus, CouponStatus, EndPolicy, WalletCoupon
from services import operations
from services import rules as service_rules
from services.models import Category, Resolution, ServiceRequest, Status
from wallet import rules as wallet_rules
from wallet.queries import shelf_query

NOW = utcnow().replace(microsecond=0)
# Before, exactly at and after the moment that matters.
OFFSETS = (timedelta(days=-2), timedelta(0), timedelta(seconds=1), timedelta(days=3))
MONEY_GRID = (0, 1, 5, 10, 99, 100, 101, 150, 1005, 1234, 5000, 99999, 123456789, -1, -50, -200, -250, -1999)


# --- pure -------------------------------------------------------------------------------------

def test_every_coupon_sits_on_exactly_one_shelf():
    for status, offset in itertools.product(CouponStatus, OFFSETS):
        on = [name for name in wallet_rules.SHELVES
              if wallet_rules.on_shelf(name, status=status, expires_at=NOW + offset, now=NOW)]
        assert on == [wallet_rules.shelf(status=status.value, expires_at=NOW + offset, now=NOW)]
    assert set(wallet_rules.SHELF_LABELS) == set(wallet_rules.SHELVES)


def test_every_campaign_shows_as_exactly_one_status_and_offers_what_its_state_allows():
    for status, start, end in itertools.product(CampaignStatus, OFFSETS, OFFSETS):
        if end <= start:
            continue  # the database refuses such a window (ck_campaign_window)
        shown = [s for s in campaign_rules.DISPLAY_STATUSES if campaign_rules.shows_as(
            s, status=status, starts_at=NOW + start, ends_at=NOW + end, now=NOW)]
        assert shown == [campaign_rules.display_status(status.value, NOW + start, NOW + end, NOW)]
    assert set(campaign_rules.STATUS_LABELS) == set(campaign_rules.DISPLAY_STATUSES)
    actions = campaign_rules.allowed_actions
    assert actions("draft", "draft") == ["publish", "end"]
    assert actions("published", "live") == actions("published", "scheduled") == ["pause", "end"]
    assert actions("paused", "paused") == ["resume", "end"]
    assert actions("published", "ended") == actions("ended", "ended") == []


def test_labels_cover_every_status_and_outcome_and_staff_see_the_moves_the_rules_allow():
    assert set(service_rules.STATUS_LABELS) == {s.value for s in Status}
    assert set(service_rules.RESOLUTION_LABELS) == {r.value for r in Resolution}
    act = service_rules.work_order_actions
    assert act(status="received", role="staff").moves == ("acknowledged", "in_progress")
    assert act(status="acknowledged", role="staff").moves == ("in_progress",)
    assert act(status="in_progress", role="staff") == service_rules.WorkOrderActions(act=True, moves=())
    assert not act(status="resolved", role="staff").act and not act(status="received", role="admin").act


def test_a_report_is_overdue_while_open_past_its_promise():
    for status, offset in itertools.product(Status, OFFSETS):
        report = ServiceRequest(status=status, expected_at=NOW + offset)
        assert report.overdue(NOW) == (status is not Status.RESOLVED and offset < timedelta(0))


def test_one_attribute_parser_for_pages_and_open311():
    fields = [("attribute[a]", ["1"]), ("attribute[b][]", ["x"]), ("attribute[c]", ["p", "q"]),
              ("description", ["d"]), ("attribute[e]", [""])]
    expected = {"a": "1", "b": ["x"], "c": ["p", "q"], "e": ""}
    assert service_rules.parse_attributes(fields) == expected
    with pytest.raises(service_rules.BadAttribute):
        service_rules.parse_attributes([("attribute[a][b]", ["1"])])
    assert service_rules.parse_attributes([*fields, ("attribute[a][b]", ["1"])], strict=False) == expected


def test_one_money_formatter():
    assert [yuan(c) for c in (0, 5, 1250, 1200, -250, None)] == ["¥0", "¥0.05", "¥12.50", "¥12", "¥-2.50", ""]
    assert [yuan(c, column=True) for c in (0, 5, 1234, -1999, 100)] == ["0.00", "0.05", "12.34", "-19.99", "1.00"]


def test_one_period_parser():
    today = date(2026, 11, 22)
    assert read_period({}, today) == ("today", today, today)
    assert read_period({"period": "7d"}, today) == ("7d", date(2026, 11, 16), today)
    assert read_period({"period": "custom", "from": "2026-01-01", "to": "2026-01-31"}, today)[1:] == (
        date(2026, 1, 1), date(2026, 1, 31))
    for bad in ({"period": "year"}, {"period": "custom", "from": "2026-01-01"}, {"from": "x", "period": "custom"},
                {"period": "custom", "from": "2026-02-01", "to": "2026-01-01"}, {"period": "today", "junk": "1"},
                {"period": "custom", "from": "2024-12-31", "to": "2026-01-01"}):
        with pytest.raises(BadPeriod):
            read_period(bad, today)


# --- SQL and Python agree ---------------------------------------------------------------------

def test_the_wallet_shelves_in_sql_are_the_shelves_in_python(app, signed_in, make_campaign):
    _, resident_id = signed_in(Role.RESIDENT)
    with app.app_context():
        campaign = make_campaign()
        coupons = {}
        for i, (status, offset) in enumerate(itertools.product(CouponStatus, OFFSETS)):
            coupon = WalletCoupon(resident_id=resident_id, campaign_id=campaign.id, merchant_id=campaign.merchant_id,
                                  collected_at=NOW - timedelta(days=10), drop_date=date(2026, 1, 1) + timedelta(i),
                                  expires_at=NOW + offset, status=status,
                                  redeemed_at=NOW - timedelta(days=1) if status is CouponStatus.REDEEMED else None)
            db.session.add(coupon)
            db.session.flush()
            coupons[coupon.id] = coupon
        db.session.commit()
        for name in wallet_rules.SHELVES:
            query = shelf_query(resident_id, name, NOW)
            in_sql = {row.id for row in db.session.execute(query.rows, {**query.params, "limit": 100, "offset": 0})}
            in_python = {i for i, c in coupons.items()
                         if wallet_rules.shelf(status=c.status.value, expires_at=c.expires_at, now=NOW) == name}
            assert in_sql == in_python, name
            assert db.session.scalar(query.count, query.params) == len(in_python)


def test_the_campaign_list_filter_is_the_badge(app, make_campaign):
    with app.app_context():
        made = {}
        for status, start, end in itertools.product(CampaignStatus, OFFSETS, OFFSETS):
            if end <= start:
                continue
            policy = EndPolicy.HONOUR if status is CampaignStatus.ENDED else None
            c = make_campaign(status=status, starts_at=NOW + start, ends_at=NOW + end, end_policy=policy)
            made[c.id] = c
        db.session.commit()
        for shown in campaign_rules.DISPLAY_STATUSES:
            in_sql = set(db.session.scalars(status_filter(select(Campaign.id), shown, NOW)))
            in_python = {i for i, c in made.items()
                         if campaign_rules.display_status(c.status.value, c.starts_at, c.ends_at, NOW) == shown}
            assert in_sql == in_python and in_sql, shown


@pytest.fixture
def department(app):
    def make() -> tuple[int, int]:
        dept = Department(name="Roads and Lighting")
        db.session.add(dept)
        db.session.flush()
        category = Category(code="streetlight", name="Broken streetlight", department_id=dept.id, sla_hours=48)
        db.session.add(category)
        db.session.flush()
        return dept.id, category.id

    return make


def _report(dept_id, category_id, n, **fields) -> ServiceRequest:
    report = ServiceRequest(**{"ref": f"TEST-{n:04d}", "category_id": category_id, "department_id": dept_id,
                               "description": f"Lamp {n}", "address": f"{n} Dongming Road",
                               "created_at": NOW - timedelta(days=5), "expected_at": NOW + timedelta(days=1),
                               "updated_at": NOW, **fields})
    db.session.add(report)
    return report


def test_overdue_in_sql_is_overdue_in_python(app, department):
    with app.app_context():
        dept_id, category_id = department()
        reports = []
        for n, (status, offset) in enumerate(itertools.product(Status, OFFSETS)):
            resolved = status is Status.RESOLVED
            reports.append(_report(dept_id, category_id, n, status=status, expected_at=NOW + offset,
                                   resolution=Resolution.FIXED if resolved else None,
                                   closed_at=NOW if resolved else None))
        db.session.commit()
        in_sql = set(db.session.scalars(select(ServiceRequest.id).where(ServiceRequest.overdue(NOW))))
        assert in_sql == {r.id for r in reports if r.overdue(NOW)} and in_sql


def test_the_queue_runs_reopened_then_overdue_then_supported_then_oldest(app, department):
    """operations.queue itself, the order production serves, on both engines."""
    with app.app_context():
        dept_id, category_id = department()
        day = timedelta(days=1)
        # Filed in this order; the queue must give them back in the order of their names.
        specs = {
            "5 on time, older": dict(created_at=NOW - 4 * day),
            "1 reopened, on time": dict(reopened=True, expected_at=NOW + 3 * day, created_at=NOW - day),
            "4 on time, 3 supporters": dict(supporters=3, created_at=NOW - day),
            "3 overdue, newer": dict(expected_at=NOW - day, created_at=NOW - 2 * day),
            "6 on time, newest": dict(created_at=NOW - day),
            "2 overdue, older": dict(expected_at=NOW - day, created_at=NOW - 3 * day, supporters=0),
            "0 reopened, overdue": dict(reopened=True, expected_at=NOW - day, status=Status.IN_PROGRESS),
        }
        for n, (name, fields) in enumerate(specs.items()):
            _report(dept_id, category_id, n, **{**fields, "description": name})
        db.session.commit()
        page = operations.queue(dept_id, NOW, limit=100, offset=0)
        assert [r.description for r in page.reports] == sorted(specs) and page.total == len(specs)
        overdue = operations.queue(dept_id, NOW, limit=100, offset=0, overdue=True)
        assert [r.description for r in overdue.reports] == ["0 reopened, overdue", "2 overdue, older",
                                                            "3 overdue, newer"]


# --- the browser's money is the server's --------------------------------------------------------

def test_money_js_formats_as_the_server_does(app, chromium):
    from tests.browser import live_server

    with live_server(app) as url:
        page = chromium.new_page()
        try:
            page.goto(f"{url}/login")
            shown = page.evaluate("grid => import('/static/js/money.js').then(m => grid.map(m.yuan))",
                                  list(MONEY_GRID))
        finally:
            page.close()
    assert shown == [yuan(c) for c in MONEY_GRID], json.dumps(shown, ensure_ascii=False)
