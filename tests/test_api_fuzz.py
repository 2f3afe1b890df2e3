"""Schemathesis drives every documented operation with generated input, signed in as each role and
as nobody: no answer may be a 5xx, and every answer must be what the OpenAPI document says (its
status, media type, headers and body).

The demo district is loaded afresh for each role, so that the operations behind sign-in reach real
rows; each operation starts from a fresh sign-in (a generated logout or password change must not
blind the operations after it). Run on SQLite only, to keep the suite short (the API code is the
same on both engines); few examples per operation, derandomised so that a failure comes back.
"""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.db import db, utcnow
from demo.district import DEMO_PASSWORD, load_demo
from linli import create_app
from tests.conftest import CsrfClient, empty_all_tables

ROLES = {
    "anonymous": None,
    "resident": "resident@linli.demo",
    "cashier": "cashier@noodles.linli.demo",
    "owner": "owner@noodles.linli.demo",
    "staff": "staff@linli.demo",
    "admin": "admin@linli.demo",
}
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance)
# Examples per operation and round: enough to reach each operation's refusals, few enough for the
# six roles to stay well under a minute and a half together. The "known" round is positive cases
# whose path names rows of the demo that this account may see (generated ids name nothing).
EXAMPLES = {"positive": 5, "negative": 4, "known": 4}
# LINLI_FUZZ_SCALE=10 multiplies them, for a deeper run by hand.
EXAMPLES = {name: n * int(os.environ.get("LINLI_FUZZ_SCALE", "1")) for name, n in EXAMPLES.items()}


def _load_demo(app) -> None:
    with app.app_context():
        empty_all_tables()
        load_demo(now=utcnow())
        db.session.commit()


def _known_ids(app, identifier: str | None) -> dict:
    """Path parameters that name real rows, this account's where it has any (after a check-in at the
    community centre has dropped coupons into a resident's wallet)."""
    from sqlalchemy import or_, select

    from core.identity.models import User
    from geofence.models import Fence
    from merchant.models import Campaign, EntryKind, LedgerEntry, WalletCoupon
    from services.models import ServiceRequest

    with app.app_context():
        user = db.session.scalar(select(User).where(or_(User.email == identifier, User.phone == identifier)))
        merchant_id = user.merchant_id if user is not None else None
        resident_id = user.id if user is not None else None
        first = lambda stmt: db.session.scalar(stmt.limit(1))  # noqa: E731 - local shorthand
        known = {
            "campaign_id": first(select(Campaign.id).order_by((Campaign.merchant_id == merchant_id).desc(),
                                                               Campaign.id)),
            "redemption_id": first(select(LedgerEntry.id).where(LedgerEntry.kind == EntryKind.REDEEMED)
                                   .order_by((LedgerEntry.merchant_id == merchant_id).desc(), LedgerEntry.id.desc())),
            "coupon_id": first(select(WalletCoupon.id).order_by((WalletCoupon.resident_id == resident_id).desc(),
                                                                 WalletCoupon.id)),
            "fence_id": first(select(Fence.id).order_by(Fence.id)),
            "ref": first(select(ServiceRequest.ref).order_by(ServiceRequest.id)),
        }
    return {name: value for name, value in known.items() if value is not None}


def _check_in(app, cookies: dict, headers: dict) -> None:
    """A resident at the community centre: coupons drop into the wallet (two campaigns drop at any hour)."""
    client = app.test_client()
    client.set_cookie("linli_session", cookies["linli_session"])
    client.post("/api/airdrop/checkins", json={"lat": 31.1600, "lon": 121.5010, "accuracy_m": 10}, headers=headers)


def _sign_in(app, identifier: str | None) -> tuple[dict, dict] | None:
    """(cookies, headers) of a fresh session of `identifier` with its CSRF token, or of nobody's
    session with its token (as the front end has before signing in); None when the account cannot
    sign in any more (a generated case changed or closed it).

    The cookie goes in `cookies`, not in a Cookie header: Werkzeug's test client, which schemathesis
    calls the app with, drops a Cookie header whenever its own cookie jar is empty."""
    client = app.test_client()
    if identifier is None:
        client.csrf_token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    else:
        response = client.post("/api/auth/login", json={"identifier": identifier, "password": DEMO_PASSWORD})
        if response.status_code != 200:
            return None
    return {"linli_session": client.get_cookie("linli_session").value}, {"X-CSRFToken": client.csrf_token}


@pytest.fixture(scope="module")
def fuzz_app(sqlite_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_database, "RATELIMIT_ENABLED": False})
    app.test_client_class = CsrfClient
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.rollback()
        empty_all_tables()
        db.engine.dispose()


def _summary(failure) -> str:
    lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
    return " / ".join(lines[:6])[:600]


def _fuzz(app, role: str) -> list[str]:
    identifier = ROLES[role]
    _load_demo(app)
    if role == "resident":
        _check_in(app, *_sign_in(app, identifier))
    known = _known_ids(app, identifier)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: dict[tuple, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        session = _sign_in(app, identifier)
        if session is None:  # the account was changed by an earlier operation: start again
            _load_demo(app)
            session = _sign_in(app, identifier)
        cookies, headers = session
        path_names = {p.name for p in operation.path_parameters}
        for round_name in EXAMPLES:
            if round_name == "known" and not path_names:
                continue
            _run_cases(operation, round_name, role, cookies, headers, failures,
                       {name: known[name] for name in path_names if name in known})
    return list(failures.values())


def _run_cases(operation, round_name: str, role: str, cookies: dict, headers: dict, failures: dict,
               known: dict) -> None:
    """Call `operation` with generated cases; record each failed check once per status and kind."""
    mode = GenerationMode.NEGATIVE if round_name == "negative" else GenerationMode.POSITIVE
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=known if round_name == "known" else None)
    keys = itertools.count()

    @settings(max_examples=EXAMPLES[round_name], deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        # Every call a new Idempotency-Key, so that the till's redemptions get past asking for one.
        sent = {**headers, "Idempotency-Key": f"fuzz-{role}-{round_name}-{next(keys)}"}
        response = case.call(headers=sent, cookies=cookies)
        for check in CHECKS:
            try:
                case.validate_response(response, checks=[check], headers=sent)
            except (AssertionError, BaseExceptionGroup) as exc:  # a Failure, or a group of them
                for failure in getattr(exc, "exceptions", None) or [exc]:
                    key = (case.method, operation.path, check.__name__, response.status_code,
                           getattr(failure, "title", ""))
                    failures.setdefault(key, f"{role}: {case.method} {operation.path} -> {response.status_code}: "
                                             f"{check.__name__}: {_summary(failure)}")

    try:
        run()
    except Unsatisfiable:  # nothing to get wrong (no parameters, no body): no negative case
        assert round_name == "negative", f"{role}: {operation.method} {operation.path}"


@pytest.mark.parametrize("role", list(ROLES))
def test_every_answer_conforms_to_the_document(fuzz_app, role):
    # No time limit here: how long the suite takes is CI's figure, not an assertion that a busy
    # machine would fail.
    failures = _fuzz(fuzz_app, role)
    assert not failures, "\n".join(failures)
