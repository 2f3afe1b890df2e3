"""Static files: names that carry their content's hash, served compressed and cached for good.

`flask assets build` (run by scripts/setup after `npm ci`) copies the few files of the front-end
packages that pages load from node_modules into static/vendor/, then Flask-Static-Digest writes
beside every static file a copy named after its MD5 (`app-<md5>.css`), with its gzip and brotli
variants, and `static/cache_manifest.json`. Pages ask `static_url_for` for a file and get the
hashed name. WhiteNoise serves /static/ ahead of Flask: the variant the browser accepts, a hashed
name with a year's `immutable` caching (a new release is a new name, so a phone never keeps an
old stylesheet), any other name with a short max-age and an ETag. None of the generated files is
in git; the package files stay npm's, pinned by package-lock.json.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_static_digest import FlaskStaticDigest, digester
from whitenoise import WhiteNoise

from core.config import PROJECT_ROOT

log = logging.getLogger(__name__)

MANIFEST = "cache_manifest.json"
VENDOR_DIR = "vendor"
# What pages load from npm packages, and nothing else: a package's other files (its sources,
# maps, package.json) are never served.
VENDOR_FILES: dict[str, tuple[str, ...]] = {
    "chart.js": ("dist/chart.umd.min.js",),
    "chartjs-chart-matrix": ("dist/chartjs-chart-matrix.min.js",),
    "jsqr": ("dist/jsQR.js",),
    "otpauth": ("dist/otpauth.esm.min.js",),
    "uqr": ("dist/index.mjs",),
    # IndexedDB for the offline outbox: the ES module for pages, the UMD build for the service worker.
    "idb": ("build/index.js", "build/umd.js"),
    "swagger-ui-dist": ("swagger-ui.css", "swagger-ui-bundle.js"),
    # Maps. leaflet.css finds its marker and layer images by relative path, so they sit beside it.
    "leaflet": ("dist/leaflet.js", "dist/leaflet.css", "dist/images/marker-icon.png",
                "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png", "dist/images/layers.png",
                "dist/images/layers-2x.png"),
    "gcoord": ("dist/gcoord.global.prod.js",),
    "@geoman-io/leaflet-geoman-free": ("dist/leaflet-geoman.min.js", "dist/leaflet-geoman.css"),
}
_HASHED = re.compile(digester.DIGESTED_FILE_REGEX + r"\.[^/]+$")
_GENERATED = re.compile(digester.DIGESTED_FILE_REGEX + r"|\.(gz|br)$")
ONE_YEAR_S = 365 * 24 * 3600
SHORT_MAX_AGE_S = 300

digest = FlaskStaticDigest()


def init_assets(app: Flask) -> None:
    app.config.setdefault("FLASK_STATIC_DIGEST_COMPRESSION", ["gzip", "brotli"])
    digest.init_app(app)
    static = Path(app.static_folder)
    if digest.manifests.get("static") and not manifest_is_current(static):
        # An edited file with an old build would be served as its old hashed or compressed copy:
        # plain names from Flask's own static route (always the file on disk) until
        # `flask assets build` runs again.
        log.warning("static/%s is older than a static file: run `flask assets build`", MANIFEST)
        digest.manifests["static"] = {}
        app.cli.add_command(assets_cli)
        return
    app.wsgi_app = WhiteNoise(app.wsgi_app, root=str(static), prefix=app.static_url_path,
                              max_age=SHORT_MAX_AGE_S, autorefresh=app.debug,
                              immutable_file_test=is_hashed_url, add_headers_function=_headers)
    app.cli.add_command(assets_cli)


def is_hashed_url(path: str, url: str) -> bool:
    return bool(_HASHED.search(url))


def _headers(headers, path: str, url: str) -> None:
    # The after-request hooks never see WhiteNoise's answers.
    headers["X-Content-Type-Options"] = "nosniff"


def manifest_is_current(static: Path) -> bool:
    manifest = static / MANIFEST
    built = manifest.stat().st_mtime
    return all(source.stat().st_mtime <= built for source in source_files(static))


def source_files(static: Path):
    for root, _dirs, files in os.walk(static):
        for name in files:
            if name != MANIFEST and not _GENERATED.search(name):
                yield Path(root, name)


def copy_vendor_files(static: Path, node_modules: Path) -> list[Path]:
    target_root = static / VENDOR_DIR
    shutil.rmtree(target_root, ignore_errors=True)
    copied = []
    for package, files in VENDOR_FILES.items():
        for name in files:
            source = node_modules / package / name
            if not source.is_file():
                raise click.ClickException(f"{source} is missing: run `npm ci` first")
            target = target_root / package / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(target)
    return copied


@click.group("assets")
def assets_cli():
    """Static files: vendor copies, hashed names, compressed variants."""


@assets_cli.command("build")
@with_appcontext
def build_command():
    """Copy the pages' npm files into static/vendor, then hash and compress every static file."""
    static = Path(current_app.static_folder)
    compression = current_app.config["FLASK_STATIC_DIGEST_COMPRESSION"]
    gzip_files, brotli_files = "gzip" in compression, "brotli" in compression
    digester.clean(f"{static}/", [], gzip_files, brotli_files)
    copied = copy_vendor_files(static, PROJECT_ROOT / "node_modules")
    digester.compile(f"{static}/", f"{static}/", [], gzip_files, brotli_files)
    click.echo(f"{len(copied)} vendor files, manifest {static / MANIFEST}")
