"""Configuration comes from the environment only.

`load_config` is a plain function so that every rule here is tested without an app.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEZONE = "Asia/Shanghai"
ENVIRONMENTS = ("development", "production", "test")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable deployment."""


def database_url(raw: str | None, instance_path: Path) -> str:
    """Normalise DATABASE_URL to a SQLAlchemy URL with the driver we ship (psycopg 3)."""
    if not raw:
        return f"sqlite:///{instance_path / 'linli.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    if raw.startswith(("postgresql+psycopg://", "sqlite:")):
        return raw
    raise ConfigError(f"DATABASE_URL must be a PostgreSQL or SQLite URL, not {raw.split(':', 1)[0]}")


def _instance_secret(instance_path: Path) -> str:
    """The embedded default keeps one generated key so sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"not a boolean: {value!r}")


# A pooled connection idle longer than this is replaced: a firewall or proxy that drops idle
# connections without a word is the one case core.db's checkout check cannot see.
POOL_RECYCLE_S = 1800


def engine_options(db_url: str, environ: Mapping[str, str] | None = None) -> dict:
    environ = os.environ if environ is None else environ
    if db_url.startswith("sqlite"):
        # check_same_thread is off because gthread workers share the pool; the busy
        # timeout (set per connection in core.db) serialises writers instead of failing.
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    # Every worker process has its own pool: workers x (size + overflow) must stay below the
    # server's max_connections (100 by default), or a burst gets "too many clients".
    # Requests beyond the pool wait for a connection, but only a few seconds: a greenlet that
    # waited 30 s for a pool held by a hot lock outlived gunicorn's graceful stop; now it gets a
    # 503 with Retry-After (core.errors) and the worker stays responsive.
    # No pool_pre_ping: its SELECT 1 was a round trip per request; core.db's checkout check reads
    # the socket's own end instead, and pool_recycle replaces connections a firewall may have dropped.
    return {"pool_pre_ping": False, "pool_recycle": POOL_RECYCLE_S,
            "pool_size": int(environ.get("LINLI_DB_POOL_SIZE", "8")),
            "max_overflow": int(environ.get("LINLI_DB_MAX_OVERFLOW", "4")),
            "pool_timeout": float(environ.get("LINLI_DB_POOL_TIMEOUT", "5"))}


DEFAULT_TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILES_ATTRIBUTION = "© OpenStreetMap contributors"
LOCAL_TILES = "local"
# What map tiles and geocoders draw in. Tianditu is CGCS2000, which is WGS-84 to centimetres;
# AMap and Tencent are GCJ-02; geopy's Baidu answers in BD-09 (geocoder only: its tiles use their own grid).
TILES_CRS = ("wgs84", "gcj02")
GEOCODER_CRS = ("wgs84", "gcj02", "bd09")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    value = value.strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _number(name: str, value: str, kind, low, high):
    try:
        number = kind(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {value!r}") from exc
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value!r}")
    return number


def _check_tile_url(name: str, url: str, subdomains: str) -> None:
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL template or 'local', not {url!r}")
    if not all(f"{{{key}}}" in url for key in "zxy"):
        raise ConfigError(f"{name} must contain {{z}}, {{x}} and {{y}}")
    if "{s}" in url and not subdomains:
        raise ConfigError(f"{name} uses {{s}}: set LINLI_TILES_SUBDOMAINS (e.g. abc or 1234)")


def tiles_config(environ: Mapping[str, str]) -> dict:
    """Where the map's tiles come from: a {z}/{x}/{y} URL template, or `local` (core.tiles draws them)."""
    url = environ.get("LINLI_TILES_URL", "").strip() or DEFAULT_TILES_URL
    subdomains = environ.get("LINLI_TILES_SUBDOMAINS", "abc" if url == DEFAULT_TILES_URL else "").strip()
    if url != LOCAL_TILES:
        _check_tile_url("LINLI_TILES_URL", url, subdomains)
    labels_url = environ.get("LINLI_TILES_LABELS_URL", "").strip()
    if labels_url:
        _check_tile_url("LINLI_TILES_LABELS_URL", labels_url, subdomains)
    if not all(c.isalnum() or c == "-" for c in subdomains):
        raise ConfigError("LINLI_TILES_SUBDOMAINS is a string of letters or digits, one per subdomain")
    default_attribution = DEFAULT_TILES_ATTRIBUTION if url == DEFAULT_TILES_URL else ""
    return {
        "TILES_URL": url,
        # A transparent layer drawn over the tiles (Tianditu's cva_w place names over vec_w), or "".
        "TILES_LABELS_URL": labels_url,
        "TILES_ATTRIBUTION": environ.get("LINLI_TILES_ATTRIBUTION", default_attribution),
        "TILES_CRS": _choice("LINLI_TILES_CRS", environ.get("LINLI_TILES_CRS", "wgs84"), TILES_CRS),
        "TILES_SUBDOMAINS": subdomains,
        "MAP_CENTRE": map_centre(environ.get("LINLI_MAP_CENTRE")),
        "TILES_MAX_ZOOM": _number("LINLI_TILES_MAX_ZOOM", environ.get("LINLI_TILES_MAX_ZOOM", "19"), int, 1, 22),
    }


DEFAULT_MAP_CENTRE = "31.1600,121.5010"  # the Dongming Community Centre, as the demo district has it


def map_centre(raw: str | None) -> tuple[float, float]:
    """LINLI_MAP_CENTRE, "lat,lon" in WGS-84: where a map opens without a better place (the community centre)."""
    text = (raw or "").strip() or DEFAULT_MAP_CENTRE
    try:
        lat, lon = (float(part) for part in text.split(","))
    except ValueError as exc:
        raise ConfigError(f"LINLI_MAP_CENTRE must be 'lat,lon' in degrees, not {text!r}") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ConfigError(f"LINLI_MAP_CENTRE is outside the world: {text!r}")
    return lat, lon


def tile_origins(url: str, subdomains: str) -> tuple[str, ...]:
    """The origins a remote tile URL template reaches, {s} expanded, for the CSP's img-src."""
    if url == LOCAL_TILES:
        return ()
    hosts = [url.replace("{s}", s) for s in subdomains] if "{s}" in url else [url]
    origins = []
    for host_url in hosts:
        parts = urlsplit(host_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def geocoder_config(environ: Mapping[str, str]) -> dict:
    """The address lookup: a geopy service name (unset: addresses are plain text) and its options."""
    name = environ.get("LINLI_GEOCODER", "").strip().lower() or None
    raw_options = environ.get("LINLI_GEOCODER_OPTIONS", "").strip() or "{}"
    try:
        options = json.loads(raw_options)
    except ValueError as exc:
        raise ConfigError(f"LINLI_GEOCODER_OPTIONS is not JSON: {exc}") from exc
    if not isinstance(options, dict):
        raise ConfigError("LINLI_GEOCODER_OPTIONS must be a JSON object of keyword arguments")
    if name is not None:
        from geopy.exc import GeocoderNotFound
        from geopy.geocoders import get_geocoder_for_service

        try:
            get_geocoder_for_service(name)
        except GeocoderNotFound as exc:
            raise ConfigError(f"LINLI_GEOCODER: geopy knows no geocoder {name!r}") from exc
        if name == "nominatim" and not options.get("user_agent"):
            # Nominatim's usage policy wants a real User-Agent; geopy's default one gets refused.
            raise ConfigError('LINLI_GEOCODER=nominatim needs "user_agent" in LINLI_GEOCODER_OPTIONS')
    return {
        "GEOCODER": name,
        "GEOCODER_OPTIONS": options,
        "GEOCODER_CRS": _choice("LINLI_GEOCODER_CRS", environ.get("LINLI_GEOCODER_CRS", "wgs84"), GEOCODER_CRS),
        # Per address: typing an address and dropping a pin asks a few times a minute at most.
        "GEOCODER_RATE_LIMIT": environ.get("LINLI_GEOCODER_RATE_LIMIT", "30 per minute"),
        "GEOCODER_TIMEOUT_S": _number("LINLI_GEOCODER_TIMEOUT_S", environ.get("LINLI_GEOCODER_TIMEOUT_S", "3"),
                                      float, 0.1, 60),
    }


def load_config(environ: Mapping[str, str], instance_path: Path) -> dict:
    env = environ.get("LINLI_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"LINLI_ENV must be one of {', '.join(ENVIRONMENTS)}")
    production = env == "production"

    secret = environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY is required in production")
        secret = _instance_secret(instance_path)
    if production and environ.get("LINLI_PASSWORD_PROFILE", "rfc9106") != "rfc9106":
        raise ConfigError("LINLI_PASSWORD_PROFILE is for tests only; production hashes with rfc9106")

    tz_name = environ.get("LINLI_TIMEZONE", DEFAULT_TIMEZONE)
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {tz_name!r}") from exc

    db_url = database_url(environ.get("DATABASE_URL"), instance_path)
    redis_url = environ.get("REDIS_URL") or None
    secure_cookies = _flag(environ.get("LINLI_SECURE_COOKIES"), production)

    return {
        "LINLI_ENV": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "REDIS_URL": redis_url,
        "LINLI_TIMEZONE": tz_name,
        "LINLI_PROXY_COUNT": int(environ.get("LINLI_PROXY_COUNT", "0")),
        # Sessions: residents stay signed in on their own phone for a month.
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_NAME": "linli_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A PWA stays open for hours: the CSRF token lives as long as the session.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": secure_cookies,
        # Strict-Transport-Security whenever cookies are secure (production); 0 leaves it out.
        "HSTS_MAX_AGE_S": int(environ.get("LINLI_HSTS_MAX_AGE_S", "31536000")) if secure_cookies else 0,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _flag(environ.get("LINLI_RATELIMIT"), True),
        "AIRDROP_MAX_ACCURACY_M": float(environ.get("LINLI_AIRDROP_MAX_ACCURACY_M", "100")),
        "AIRDROP_MAX_SPEED_MPS": float(environ.get("LINLI_AIRDROP_MAX_SPEED_MPS", "50")),
        "AIRDROP_FIX_TTL_S": int(environ.get("LINLI_AIRDROP_FIX_TTL_S", "600")),
        "AIRDROP_DAILY_BUDGET": int(environ.get("LINLI_AIRDROP_DAILY_BUDGET", "5")),
        "AIRDROP_TOP_N": int(environ.get("LINLI_AIRDROP_TOP_N", "3")),
        "CAMPAIGN_SNAPSHOT_S": float(environ.get("LINLI_CAMPAIGN_SNAPSHOT_S", "1")),
        "FENCE_INDEX_CHECK_S": float(environ.get("LINLI_FENCE_INDEX_CHECK_S", "1")),
        "MAP_INDEX_CHECK_S": float(environ.get("LINLI_MAP_INDEX_CHECK_S", "2")),
        "IDENTITY_CACHE_TTL_S": float(environ.get("LINLI_IDENTITY_CACHE_TTL_S", "15")),
        "LOGIN_RATE_LIMIT": environ.get("LINLI_LOGIN_RATE_LIMIT", "10 per minute"),
        # Failed sign-ins per account from all addresses together: keep it a few times the per-address
        # limit in the same unit, so that no single address can fill it and lock the owner out.
        "LOGIN_ACCOUNT_RATE_LIMIT": environ.get("LINLI_LOGIN_ACCOUNT_RATE_LIMIT", "30 per minute"),
        # Reports filed per resident, or per address when anonymous.
        "REPORT_RATE_LIMIT": environ.get("LINLI_REPORT_RATE_LIMIT", "10 per hour"),
        # Per cashier: far above a busy till, far below guessing a 6-digit code.
        "TILL_RATE_LIMIT": environ.get("LINLI_TILL_RATE_LIMIT", "120 per minute"),
        "OPEN311_RATE_LIMIT": environ.get("LINLI_OPEN311_RATE_LIMIT", "600 per minute"),
        "OPEN311_CONTACT": environ.get("LINLI_OPEN311_CONTACT", "The district office, through the Linli app."),
        "OPEN311_KEY_SERVICE": environ.get("LINLI_OPEN311_KEY_SERVICE",
                                           "Ask the district's administrators for an API key."),
        "MAX_CONTENT_LENGTH": int(environ.get("LINLI_MAX_UPLOAD_BYTES", str(12 * 1024 * 1024))),
        **tiles_config(environ),
        **geocoder_config(environ),
        "BABEL_DEFAULT_LOCALE": "en",
        # Pages show times in the district's zone; the database keeps UTC.
        "BABEL_DEFAULT_TIMEZONE": tz_name,
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": {"en": "English", "zh": "简体中文"},
        "SQLALCHEMY_RECORD_QUERIES": False,
        "API_TITLE": "Linli",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        # No OPENAPI_SWAGGER_UI_PATH: flask-smorest's page boots with an inline script; core.web
        # serves /api/docs itself under the site's CSP.
    }


def district_tz():
    """The district's time zone (LINLI_TIMEZONE): times are stored in UTC and shown in this one."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    return ZoneInfo(current_app.config["LINLI_TIMEZONE"])
