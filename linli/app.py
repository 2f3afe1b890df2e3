"""The composition root: the app factory wires every domain's blueprints, listeners and commands.

It sits above all domains (core is the floor and imports none of them); see the layering contract
in .importlinter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from core import formatting
from core.assets import init_assets
from core.config import LOCAL_TILES, PROJECT_ROOT, engine_options, load_config, tile_origins
from core.extensions import Api, babel, csrf, db, migrate
from core.input import init_input_checks
from core.ratelimit import init_rate_limits
from core.schemas import IdConverter, id_parameter_schema
from core.sessions import DailyRefreshSessionInterface
from core.tx import init_request_transaction

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "geolocation=(self), camera=(self)",
}
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def content_security_policy(tiles_url: str, subdomains: str, labels_url: str = "") -> str:
    """The site's CSP, with the map tiles' origins in img-src when they are served from elsewhere."""
    origins = tile_origins(tiles_url, subdomains)
    if labels_url:
        origins += tuple(o for o in tile_origins(labels_url, subdomains) if o not in origins)
    if not origins:
        return CSP
    return CSP.replace("img-src 'self' data: blob:", "img-src 'self' data: blob: " + " ".join(origins), 1)


def create_app(config: Mapping | None = None) -> Flask:
    instance_path = Path(os.environ.get("LINLI_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    app = Flask("linli", root_path=str(PROJECT_ROOT), instance_path=str(instance_path),
                template_folder="templates", static_folder="static")
    app.config.update(load_config(os.environ, instance_path))
    if config:
        app.config.update(config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    if app.config["LINLI_PROXY_COUNT"]:
        n = app.config["LINLI_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    app.session_interface = DailyRefreshSessionInterface()
    init_input_checks(app)  # first of the before-request hooks: nothing reads a body it would refuse
    register_extensions(app)
    init_request_transaction(app)
    register_blueprints(app)
    init_assets(app)
    register_hooks(app)
    register_cli(app)
    formatting.register(app, names=translated_names())
    return app


def translated_names() -> frozenset[str]:
    """The names that ship with Linli (the demo district's), the only data shown translated."""
    from demo.district import TRANSLATED_NAMES

    return TRANSLATED_NAMES


def register_extensions(app: Flask) -> None:
    from core.identity.access import sign_in_before_csrf
    from core.identity.views import init_login_manager
    from core.web import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    # Ahead of CSRFProtect's own hook: "sign in first" is the answer a stranger needs.
    app.before_request(sign_in_before_csrf)
    csrf.init_app(app)
    init_rate_limits(app)
    babel.init_app(app, locale_selector=select_locale)
    init_login_manager(app)
    # One Api per app: its OpenAPI document belongs to that app alone.
    app.url_map.converters["id"] = IdConverter
    api = app.extensions["linli_api"] = Api(app)
    api.register_converter(IdConverter, id_parameter_schema)


def register_blueprints(app: Flask) -> None:
    # Import every domain's models so that one metadata describes the whole schema.
    import airdrop.models  # noqa: F401
    import core.idempotency  # noqa: F401
    import geofence.models  # noqa: F401
    import merchant.models  # noqa: F401
    import reminders.models  # noqa: F401
    import services.models  # noqa: F401
    from airdrop.api import blp as airdrop_api
    from airdrop.api import feeds
    from airdrop.live import subscribe as live_subscribe
    from airdrop.views import web as airdrop_web
    from core.admin import codes as sign_in_code_web
    from core.admin import web as admin_web
    from core.errors import register_error_handlers
    from core.identity.api import blp as auth_api
    from core.identity.views import web as identity_web
    from core.tiles import web as tiles_web
    from core.web import web as core_web
    from geofence.api import blp as fences_api
    from geofence.views import web as geofence_web
    from merchant.api import blp as merchant_api
    from merchant.feed import init_feed
    from merchant.feed import subscribe as feed_subscribe
    from merchant.till_api import blp as till_api
    from merchant.till_views import web as till_web
    from merchant.views import web as merchant_web
    from reminders.api import blp as push_api
    from reminders.jobs import init_reminders
    from reminders.jobs import subscribe as reminders_subscribe
    from reminders.views import web as reminders_web
    from services.api import blp as services_api
    from services.catalogue_views import web as catalogue_web
    from services.geocode_api import blp as geocode_api
    from services.geocode_api import init_geocoding
    from services.keys_views import web as keys_web
    from services.map_api import blp as map_api
    from services.notifications import subscribe as notifications_subscribe
    from services.open311 import web as open311_web
    from services.staff_views import public as ranking_public
    from services.staff_views import web as work_web
    from services.views import web as reports_web
    from wallet.api import blp as wallet_api
    from wallet.assisted_views import web as assisted_web
    from wallet.views import web as wallet_web

    api = app.extensions["linli_api"]
    for blueprint in (auth_api, merchant_api, till_api, wallet_api, fences_api, airdrop_api, services_api,
                      geocode_api, map_api, push_api):
        api.register_blueprint(blueprint)
    init_geocoding(app)
    app.register_blueprint(feeds)
    init_feed(app)
    # Listeners are connected once per process (blinker signals are module-level).
    feed_subscribe()
    live_subscribe()
    notifications_subscribe()
    reminders_subscribe()
    init_reminders(app)
    app.register_blueprint(core_web)
    if app.config["TILES_URL"] == LOCAL_TILES:
        app.register_blueprint(tiles_web)  # /tiles/<z>/<x>/<y>.png: the demo's and the tests' own map
    app.register_blueprint(identity_web)
    app.register_blueprint(admin_web)
    app.register_blueprint(sign_in_code_web)  # /login/code: where an admin's one-time code is used
    for blueprint in (wallet_web, assisted_web, airdrop_web, geofence_web, merchant_web, till_web, open311_web,
                      keys_web, reports_web, work_web, ranking_public, catalogue_web, reminders_web):
        app.register_blueprint(blueprint)
    register_error_handlers(app)


def register_hooks(app: Flask) -> None:
    headers = dict(SECURITY_HEADERS)
    csp = content_security_policy(app.config["TILES_URL"], app.config["TILES_SUBDOMAINS"],
                                  app.config["TILES_LABELS_URL"])
    if app.config["HSTS_MAX_AGE_S"]:
        # Only where the site is served over HTTPS (production's secure cookies): browsers then refuse
        # plain HTTP to it, so a network attacker cannot strip TLS from the next visit.
        headers["Strict-Transport-Security"] = f"max-age={app.config['HSTS_MAX_AGE_S']}"

    @app.after_request
    def security_headers(response):
        # add(), not setdefault(): no view sets these, and a lookup scans every header.
        for key, value in headers.items():
            response.headers.add(key, value)
        if response.mimetype == "text/html":
            response.headers.add("Content-Security-Policy", csp)
        return response


def register_cli(app: Flask) -> None:
    from airdrop.last_fix import airdrop_cli
    from core.cli import accounts_cli, idempotency_cli
    from core.jobs import jobs_cli
    from demo import demo_command

    app.cli.add_command(accounts_cli)
    app.cli.add_command(airdrop_cli)
    app.cli.add_command(idempotency_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo_command)
