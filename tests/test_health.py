from linli import create_app


def test_healthz_answers_without_touching_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json["checks"] == {"database": "ok"}


def test_readyz_reports_an_unreachable_database(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.json["checks"]["database"] == "unreachable"


def test_readyz_checks_redis_when_configured(database_url, redis_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url})
    assert app.test_client().get("/readyz").json["checks"] == {"database": "ok", "redis": "ok"}
    broken = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["redis"] == "unreachable"
