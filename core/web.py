"""The PWA shell: home page per role, preferences, manifest, service worker, health."""

from __future__ import annotations

import hashlib
import hmac

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, lazy_gettext
from flask_login import current_user
from sqlalchemy import text

from core.db import db
from core.errors import problem_response
from core.formatting import locale_tag, reader_locale
from core.identity import signed_in
from core.identity.access import roles_required
from core.identity.models import MerchantRole, Role
from core.identity.operations import update_preferences
from core.identity.rules import home_endpoint
from core.redirects import same_site_path

web = Blueprint("core", __name__)

LANG_COOKIE = "linli_lang"
LARGE_COOKIE = "linli_large"
ONE_YEAR_S = 365 * 24 * 3600


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    # The service worker keeps the offline page in every language (`/offline?lang=zh`) and shows the
    # one of the resident's last page: the copy is fetched without cookies, so it must say which.
    if request.endpoint == "core.offline" and request.args.get("lang") in languages:
        return request.args["lang"]
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(list(languages), default="en")


def large_text_enabled() -> bool:
    if current_user.is_authenticated:
        return current_user.large_text
    return request.cookies.get(LARGE_COOKIE) == "1"


ROLE_LABELS = {
    Role.RESIDENT: lazy_gettext("Resident"),
    Role.MERCHANT: lazy_gettext("Merchant"),
    Role.STAFF: lazy_gettext("Service staff"),
    Role.ADMIN: lazy_gettext("Administrator"),
    MerchantRole.OWNER: lazy_gettext("Owner"),
    MerchantRole.CASHIER: lazy_gettext("Cashier"),
}


def role_label(role) -> str:
    return ROLE_LABELS.get(role, str(role))


@web.app_context_processor
def shell_context():
    return {"large_text": large_text_enabled(), "languages": current_app.config["LANGUAGES"],
            "current_locale": select_locale(), "role_label": role_label,
            "format_locale": locale_tag(reader_locale())}


def _back() -> str:
    target = request.form.get("next") or request.referrer
    return same_site_path(target, request.host_url) or url_for("core.home")


@web.post("/prefs/language")
def set_language():
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(422)
    if current_user.is_authenticated:
        user = update_preferences(signed_in.account(current_user), locale=locale)
        signed_in.changed(user)
    response = redirect(_back())
    response.set_cookie(LANG_COOKIE, locale, max_age=ONE_YEAR_S, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@web.post("/prefs/large-text")
def set_large_text():
    value = request.form.get("large_text")
    if value not in ("on", "off"):
        abort(422)
    if current_user.is_authenticated:
        user = update_preferences(signed_in.account(current_user), large_text=value == "on")
        signed_in.changed(user)
    response = redirect(_back())
    response.set_cookie(LARGE_COOKIE, "1" if value == "on" else "0", max_age=ONE_YEAR_S, samesite="Lax",
                        httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@web.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user.role)))
    return render_template("core/welcome.html")


@web.get("/resident")
@roles_required(Role.RESIDENT)
def home_resident():
    return render_template("core/home_resident.html")


@web.get("/merchant")
@roles_required(Role.MERCHANT)
def home_merchant():
    return render_template("core/home_merchant.html")


@web.get("/staff")
@roles_required(Role.STAFF)
def home_staff():
    return render_template("core/home_staff.html")


@web.get("/admin")
@roles_required(Role.ADMIN)
def home_admin():
    return render_template("core/home_admin.html")


@web.get("/offline")
def offline():
    return render_template("core/offline.html")


def offline_account() -> str:
    """Who a page belongs to, for the copies this device keeps offline: the service worker drops its
    copies when a page names someone else (or nobody), and the coupon keys go too (coupon-keys.js).
    A keyed hash of the account id, so a copy names nobody to whoever reads it; "" when signed out."""
    if not current_user.is_authenticated:
        return ""
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else key.encode()
    message = f"linli-offline-account:{current_user.id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]


@web.after_app_request
def page_owner_headers(response):
    """What the service worker remembers of each page it sees: its language (it shows the offline
    page in that one) and its account (see offline_account). Pages only: nothing else is kept."""
    if response.mimetype == "text/html" and 200 <= response.status_code < 300:
        response.headers["Content-Language"] = str(get_locale() or "en")
        account = offline_account()
        if account:
            response.headers["X-Linli-Account"] = account
    return response


@web.get("/manifest.webmanifest")
def manifest():
    response = current_app.response_class(render_template("core/manifest.webmanifest"),
                                          mimetype="application/manifest+json")
    response.cache_control.max_age = 3600
    return response


SHELL_FILES = ("css/app.css", "js/app.js", "icons/icon-192.png",
               # What the wallet, a coupon and a signage board need offline, even a coupon page the
               # resident never opened online (the worker fetched it for her, not her browser).
               "js/wallet.js", "js/coupon-code.js", "js/signage.js")
# Modules those import by their plain names (an import cannot ask for a hashed name): kept under
# the plain name, but the worker's version follows their content all the same.
SHELL_MODULES = ("js/money.js", "js/texts.js", "js/coupon-keys.js", "js/offline.js",
                 "vendor/uqr/dist/index.mjs", "vendor/otpauth/dist/otpauth.esm.min.js")
# Imported by the worker for reports written offline (services outbox).
OUTBOX_FILES = ("vendor/idb/build/umd.js", "js/outbox.js", "js/sw-outbox.js")


@web.get("/sw.js")
def service_worker():
    # Served from the root so that its scope covers every page.
    static_url_for = current_app.jinja_env.globals["static_url_for"]
    languages = list(current_app.config["LANGUAGES"])
    modules = [url_for("static", filename=name) for name in SHELL_MODULES]
    shell = ["/offline", *(f"/offline?lang={lang}" for lang in languages),
             *(static_url_for("static", filename=name) for name in SHELL_FILES), *modules]
    outbox = [static_url_for("static", filename=name) for name in OUTBOX_FILES]  # reports written offline
    hashed = shell + [static_url_for("static", filename=name) for name in SHELL_MODULES] + outbox
    version = "linli-shell-" + hashlib.sha256("\n".join(hashed).encode()).hexdigest()[:12]
    response = current_app.response_class(render_template("core/sw.js", shell=shell, version=version,
                                                          languages=languages, outbox_scripts=outbox),
                                          mimetype="text/javascript")
    response.cache_control.no_cache = True
    return response


@web.get("/healthz")
def healthz():
    return jsonify(status="ok")


@web.get("/readyz")
def readyz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not ready", reported, not raised
        current_app.logger.warning("readiness: database unreachable", exc_info=True)
        checks["database"] = "unreachable"
    if current_app.config["REDIS_URL"]:
        try:
            redis_client().ping()
            checks["redis"] = "ok"
        except Exception:  # noqa: BLE001
            current_app.logger.warning("readiness: redis unreachable", exc_info=True)
            checks["redis"] = "unreachable"
    if all(v == "ok" for v in checks.values()):
        return jsonify(status="ready", checks=checks)
    return problem_response({"type": "/problems/not-ready", "title": "Service Unavailable", "status": 503,
                             "detail": "A dependency is unreachable.", "checks": checks})


def redis_client():
    """One client per process, created on first use."""
    import redis

    client = current_app.extensions.get("linli_redis")
    if client is None:
        client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
        current_app.extensions["linli_redis"] = client
    return client


@web.get("/api/docs")
def api_docs():
    """The OpenAPI document in Swagger UI (assets from npm, no inline script)."""
    prefix, path = current_app.config["OPENAPI_URL_PREFIX"], current_app.config["OPENAPI_JSON_PATH"]
    return render_template("core/api_docs.html", spec_url=f"{prefix}/{path}")
