"""Static files reach phones small and once: hashed names, compressed, cached for a year."""

from __future__ import annotations

import gzip
import os
import re

import brotli
import pytest

from core.assets import MANIFEST, manifest_is_current
from core.config import PROJECT_ROOT

STATIC = PROJECT_ROOT / "static"
HASHED_CSS = re.compile(r'href="(/static/css/app-[0-9a-f]{32}\.css)"')

pytestmark = pytest.mark.skipif(not (STATIC / MANIFEST).exists(),
                                reason="static files not built: run `flask --app wsgi assets build`")


def test_pages_name_their_files_by_content_and_phones_keep_them_for_a_year(client):
    page = client.get("/login").get_data(as_text=True)
    css_url = HASHED_CSS.search(page)
    assert css_url, "the page should load the stylesheet under its hashed name"
    response = client.get(css_url.group(1))
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=" in response.headers["Cache-Control"]
    max_age = int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1))
    assert max_age >= 365 * 24 * 3600
    assert response.data == (STATIC / "css" / "app.css").read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("encoding", "decode"), [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_files_travel_compressed_when_the_browser_accepts_it(client, encoding, decode):
    url = HASHED_CSS.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity"})
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    source = (STATIC / "css" / "app.css").read_bytes()
    assert len(response.data) < len(source) / 3
    assert decode(response.data) == source


def test_the_till_scanner_library_is_served_compressed(app, client, make_merchant, make_user):
    from core.db import db
    from core.identity.models import MerchantRole, Role
    from tests.conftest import login

    with app.app_context():
        cashier = make_user(Role.MERCHANT, merchant_id=make_merchant().id, merchant_role=MerchantRole.CASHIER)
        db.session.commit()
        identifier = cashier.identifier
    page = login(app, identifier).get("/merchant/till").get_data(as_text=True)
    url = re.search(r'src="(/static/vendor/jsqr/dist/jsQR-[0-9a-f]{32}\.js)"', page)
    assert url, page[:500]
    plain = (PROJECT_ROOT / "node_modules" / "jsqr" / "dist" / "jsQR.js").read_bytes()
    response = client.get(url.group(1), headers={"Accept-Encoding": "br"})
    assert brotli.decompress(response.data) == plain
    assert len(response.data) < len(plain) / 4


def test_plain_names_are_revalidated_not_kept(client):
    # Modules imported by a hashed module keep their plain names: a release must reach phones soon.
    response = client.get("/static/js/money.js")
    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", response.headers["Cache-Control"]).group(1)) <= 600
    assert response.headers.get("ETag") or response.headers.get("Last-Modified")
    assert "javascript" in response.mimetype


def test_only_the_files_pages_load_come_from_npm_packages(client):
    assert client.get("/static/vendor/jsqr/package.json").status_code == 404
    assert client.get("/static/vendor/jsqr/dist/jsQR.js").status_code == 200
    assert client.get("/vendor/jsqr/dist/jsQR.js").status_code == 404


def test_the_service_worker_keeps_the_hashed_shell(client):
    worker = client.get("/sw.js").get_data(as_text=True)
    css_url = HASHED_CSS.search(client.get("/login").get_data(as_text=True)).group(1)
    shell = re.search(r"const SHELL = (\[.*?\]);", worker).group(1)
    assert css_url in shell and '"/offline"' in shell
    for url in re.findall(r'"(/static/[^"]+)"', shell):
        assert client.get(url).status_code == 200, url
    # The cache's name follows the shell: a release with a new stylesheet drops the old copies.
    assert re.search(r'const VERSION = "linli-shell-[0-9a-f]{12}";', worker)


def test_an_edited_file_with_an_old_manifest_is_not_served_under_the_old_hash(tmp_path):
    (tmp_path / "css").mkdir()
    source = tmp_path / "css" / "app.css"
    source.write_text("body {}")
    (tmp_path / "css" / "app-0123456789abcdef0123456789abcdef.css").write_text("body {}")
    (tmp_path / MANIFEST).write_text("{}")
    built = (tmp_path / MANIFEST).stat().st_mtime
    os.utime(source, (built - 10, built - 10))
    assert manifest_is_current(tmp_path)
    os.utime(source, (built + 10, built + 10))
    assert not manifest_is_current(tmp_path)


def test_no_half_merged_file_is_shipped():
    # A conflict marker in a stylesheet silently drops the rules after it on every phone.
    marker = re.compile(r"^(<{7}|={7}|>{7})( |$)", re.MULTILINE)
    shipped = [*STATIC.rglob("*.css"), *STATIC.rglob("*.js"), *(PROJECT_ROOT / "templates").rglob("*")]
    generated = re.compile(r"-[0-9a-f]{32}\.|/vendor/")
    bad = [str(path) for path in shipped
           if path.is_file() and not generated.search(str(path)) and marker.search(path.read_text("utf-8"))]
    assert bad == []
