import re
from pathlib import Path

import pytest

from core.config import ConfigError, database_url, engine_options, load_config, tile_origins


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


# --- maps: tiles and the geocoder --------------------------------------------------------------

def test_tiles_default_to_openstreetmap_in_wgs84_with_its_attribution(tmp_path):
    config = load_config({"SECRET_KEY": "k"}, tmp_path)
    assert config["TILES_URL"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in config["TILES_ATTRIBUTION"]
    assert config["TILES_CRS"] == "wgs84" and config["TILES_MAX_ZOOM"] == 19
    assert config["GEOCODER"] is None  # no lookups: the address is plain text
    assert config["MAP_CENTRE"] == (31.16, 121.501)
    elsewhere = load_config({"SECRET_KEY": "k", "LINLI_MAP_CENTRE": " 22.53, 113.93"}, tmp_path)
    assert elsewhere["MAP_CENTRE"] == (22.53, 113.93)


def test_amap_tiles_in_gcj02_with_numbered_subdomains(tmp_path):
    url = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
    config = load_config({"SECRET_KEY": "k", "LINLI_TILES_URL": url, "LINLI_TILES_CRS": "GCJ02",
                          "LINLI_TILES_SUBDOMAINS": "1234", "LINLI_TILES_ATTRIBUTION": "© AMap"}, tmp_path)
    assert (config["TILES_CRS"], config["TILES_SUBDOMAINS"], config["TILES_ATTRIBUTION"]) == ("gcj02", "1234", "© AMap")
    assert tile_origins(config["TILES_URL"], config["TILES_SUBDOMAINS"]) == tuple(
        f"https://webrd0{n}.is.autonavi.com" for n in "1234")
    assert tile_origins("local", "") == ()


@pytest.mark.parametrize(("environ", "message"), [
    ({"LINLI_TILES_URL": "tile.example.org/{z}/{x}/{y}.png"}, "http"),
    ({"LINLI_TILES_URL": "https://tile.example.org/{z}/{x}.png"}, "{y}"),
    ({"LINLI_TILES_URL": "https://{s}.tile.example.org/{z}/{x}/{y}.png"}, "SUBDOMAINS"),
    ({"LINLI_TILES_CRS": "bd09"}, "LINLI_TILES_CRS"),
    ({"LINLI_TILES_LABELS_URL": "https://labels.example.org/{z}/{x}.png"}, "LINLI_TILES_LABELS_URL"),
    ({"LINLI_TILES_MAX_ZOOM": "30"}, "between"),
    ({"LINLI_TILES_MAX_ZOOM": "high"}, "number"),
    ({"LINLI_GEOCODER": "amap"}, "no geocoder"),
    ({"LINLI_GEOCODER": "nominatim"}, "user_agent"),
    ({"LINLI_GEOCODER": "photon", "LINLI_GEOCODER_OPTIONS": "{domain: x}"}, "not JSON"),
    ({"LINLI_GEOCODER_OPTIONS": "[1]"}, "JSON object"),
    ({"LINLI_GEOCODER_CRS": "mars"}, "LINLI_GEOCODER_CRS"),
    ({"LINLI_GEOCODER_TIMEOUT_S": "0"}, "between"),
    ({"LINLI_MAP_CENTRE": "31.16"}, "lat,lon"),
    ({"LINLI_MAP_CENTRE": "121.5,31.16"}, "outside the world"),
])
def test_bad_map_settings_stop_the_start(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config({"SECRET_KEY": "k", **environ}, tmp_path)


def test_a_geocoder_gets_its_options_crs_and_timeout(tmp_path):
    config = load_config({"SECRET_KEY": "k", "LINLI_GEOCODER": "Nominatim", "LINLI_GEOCODER_CRS": "bd09",
                          "LINLI_GEOCODER_OPTIONS": '{"user_agent": "linli-dongming", "domain": "geo.local"}',
                          "LINLI_GEOCODER_TIMEOUT_S": "1.5"}, tmp_path)
    assert config["GEOCODER"] == "nominatim"
    assert config["GEOCODER_OPTIONS"] == {"user_agent": "linli-dongming", "domain": "geo.local"}
    assert (config["GEOCODER_CRS"], config["GEOCODER_TIMEOUT_S"]) == ("bd09", 1.5)
