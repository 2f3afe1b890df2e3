"""Bad input of every shape gets a quick 4xx in the one problem format, and nothing is stored."""

import io
import json
import time
from datetime import date

from PIL import Image

from core.identity.models import Role, User
from core.input import MAX_DEPTH, check_json, storable
from tests.conftest import count


def test_storable_text_and_json_checks_are_pure():
    assert storable("Li Wei 李伟 🍜") and not storable("a\x00b") and not storable("\ud800")
    assert check_json({"a": [1, {"b": "ok"}]}) is None
    deep: list = []
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    assert "nested" in check_json(deep)
    assert "cannot be stored" in check_json({"name\x00": 1})


def test_a_huge_json_body_is_refused_before_it_is_read(app, client):
    body = json.dumps({f"k{i}": i for i in range(600_000)})  # ~11 MB of unknown keys
    started = time.perf_counter()
    response = client.post("/api/auth/login", data=body, content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert time.perf_counter() - started < 1 and len(response.data) < 2000


def test_many_unknown_keys_are_listed_briefly(app, client):
    body = {"identifier": "x@example.org", "password": "y", **{f"k{i}": i for i in range(2000)}}
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 422
    assert len(response.json["errors"]) <= 21 and "_more" in response.json["errors"]
    assert len(response.data) < 4000


def test_deep_json_lone_surrogates_and_nul_are_400_not_500(app, client):
    deep = "[" * 1000 + "]" * 1000
    for raw in (deep, '{"identifier": "\\ud800", "password": "x"}', '{"identifier": "a\\u0000b", "password": "x"}'):
        response = client.post("/api/auth/signup", data=raw, content_type="application/json")
        assert response.status_code == 400, (raw[:40], response.status_code)
        assert response.json["type"] == "/problems/bad-input"
    assert count(app, User) == 0


def test_nul_in_a_page_form_or_a_query_is_refused(app, signed_in):
    staff, _ = signed_in(Role.STAFF)
    assert staff.get("/staff/coupons?who=%00").status_code == 400
    page = staff.post("/staff/coupons/give", data={"resident_id": "1\x00", "campaign_id": "1"})
    assert page.status_code == 400 and "text/html" in page.content_type


def test_a_giant_empty_png_is_refused_from_its_header(app, signed_in):
    cashier, _ = signed_in(Role.MERCHANT)
    png = io.BytesIO()
    Image.new("L", (7000, 7000)).save(png, "PNG")
    started = time.perf_counter()
    response = cashier.post("/api/merchant/scans", data={"photo": (io.BytesIO(png.getvalue()), "big.png")},
                            content_type="multipart/form-data")
    assert response.status_code == 422 and time.perf_counter() - started < 0.5


def test_days_at_the_calendar_limits_are_refused_not_crashed(app, signed_in):
    from core.periods import BadPeriod, period_dates

    for frm, to in (("0001-01-01", "0001-01-01"), ("9999-12-31", "9999-12-31"), ("1999-12-31", "2000-01-02")):
        try:
            period_dates("custom", date(2026, 12, 1), date.fromisoformat(frm), date.fromisoformat(to))
        except BadPeriod:
            pass
        else:
            raise AssertionError(f"{frm}..{to} accepted")
    owner, _ = signed_in(Role.MERCHANT)
    for path in ("/api/merchant/dashboard?period=custom&from=9999-12-31&to=9999-12-31",
                 "/merchant/dashboard?period=custom&from=9999-12-31&to=9999-12-31",
                 "/merchant/statement.csv?period=custom&from=0001-01-01&to=0001-01-01",
                 "/ranking?from=9999-12-31&to=9999-12-31", "/ranking?from=0001-01-01&to=0001-01-02"):
        assert owner.get(path).status_code < 500, path


def test_engines_agree_on_overlong_text_and_far_dates(app, client, signed_in):
    """SQLite would store 5,000 characters where PostgreSQL refuses them with a 500: both say 422."""
    long = "名" * 5000
    signup = client.post("/api/auth/signup", json={"identifier": "long@example.org", "password": "correct horse b",
                                                   "display_name": long})
    assert signup.status_code == 422 and "display_name" in signup.json["errors"]
    page = app.test_client().post("/signup", data={"identifier": "long2@example.org", "password": "correct horse b",
                                                   "display_name": long})
    assert page.status_code in (200, 422) and count(app, User) == 0
    owner, _ = signed_in(Role.MERCHANT)
    assert owner.patch("/api/merchant/profile", json={"name": long}).status_code == 422
    assert owner.patch("/api/merchant/profile", json={"opening_hours": long}).status_code == 422
    far = {"title": "Far", "discount_kind": "amount", "amount_off_cents": 100, "min_spend_cents": 0,
           "coupon_valid_s": 86400, "inventory_total": 10, "per_resident_limit": 1, "airdrop_windows": [],
           "target_fence_ids": [], "tags": []}
    for starts, ends in (("9999-12-31T00:00:00+00:00", "9999-12-31T23:59:59+00:00"),
                         ("0001-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00")):
        made = owner.post("/api/merchant/campaigns", json={**far, "starts_at": starts, "ends_at": ends})
        assert made.status_code == 422, made.json


def test_a_huge_form_is_refused_before_anything_parses_it(app, client):
    body = "identifier=a%40b.org&password=x&" + "&".join(f"k{i}={i}" for i in range(800_000))  # ~11 MB
    started = time.perf_counter()
    response = app.test_client().post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and time.perf_counter() - started < 1
