from pathlib import Path

import pytest

from core.config import ConfigError, database_url, engine_options, load_config


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path / 'linli.sqlite3'}"


@pytest.mark.parametrize("raw", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_urls_use_psycopg3(raw):
    assert database_url(raw, Path("/x")) == "postgresql+psycopg://u@h/db"


def test_other_databases_are_refused():
    with pytest.raises(ConfigError):
        database_url("mysql://u@h/db", Path("/x"))


def test_embedded_default_generates_one_secret_and_keeps_it(tmp_path):
    first = load_config({}, tmp_path)["SECRET_KEY"]
    second = load_config({}, tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_requires_a_secret_and_secures_cookies(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"LINLI_ENV": "production"}, tmp_path)
    config = load_config({"LINLI_ENV": "production", "SECRET_KEY": "s" * 40}, tmp_path)
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert not (tmp_path / "secret_key").exists()


def test_postgres_checks_connections_without_a_round_trip_and_sqlite_gets_a_busy_timeout():
    options = engine_options("postgresql+psycopg://u@h/db", {"LINLI_DB_POOL_TIMEOUT": "2.5"})
    assert options["pool_pre_ping"] is False and options["pool_recycle"] > 0  # core.db checks at checkout
    assert options["pool_timeout"] == 2.5
    assert engine_options("sqlite:///x.db")["connect_args"]["timeout"] > 0


def test_redis_is_optional_and_backs_rate_limits_when_set(tmp_path):
    assert load_config({"SECRET_KEY": "k"}, tmp_path)["RATELIMIT_STORAGE_URI"] == "memory://"
    with_redis = load_config({"SECRET_KEY": "k", "REDIS_URL": "redis://r:6379/0"}, tmp_path)
    assert with_redis["RATELIMIT_STORAGE_URI"] == "redis://r:6379/0"


def test_time_zone_defaults_to_shanghai_and_is_checked(tmp_path):
    assert load_config({"SECRET_KEY": "k"}, tmp_path)["LINLI_TIMEZONE"] == "Asia/Shanghai"
    with pytest.raises(ConfigError, match="time zone"):
        load_config({"SECRET_KEY": "k", "LINLI_TIMEZONE": "Mars/Olympus"}, tmp_path)


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        load_config({"LINLI_ENV": "staging"}, tmp_path)
