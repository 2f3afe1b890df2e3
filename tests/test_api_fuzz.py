"""Schemathesis drives every documented operation with generated input: nothing may be a 500.

Signed in as a resident with the demo loaded, so that the operations behind sign-in are reached
too; run on SQLite only, to keep the suite short (the API code is the same on both engines).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from core.db import db, utcnow
from demo.district import DEMO_PASSWORD, load_demo
from linli import create_app
from tests.conftest import CsrfClient, empty_all_tables, login


@pytest.fixture
def fuzz_target(sqlite_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_database, "RATELIMIT_ENABLED": False})
    app.test_client_class = CsrfClient
    with app.app_context():
        db.create_all()
        load_demo(now=utcnow())
        db.session.commit()
    client = login(app, "resident@linli.demo", DEMO_PASSWORD)
    cookie = client.get_cookie("linli_session").value
    yield app, {"Cookie": f"linli_session={cookie}", "X-CSRFToken": client.csrf_token}
    with app.app_context():
        empty_all_tables()
        db.engine.dispose()


def test_no_operation_answers_500(fuzz_target):
    app, headers = fuzz_target
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures = []
    for operation in schema.get_all_operations():
        op = operation.ok()

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def run(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        run()
    assert not failures, failures[:10]
