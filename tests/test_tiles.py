"""The local map tiles (LINLI_TILES_URL=local) and the CSP that lets remote ones in."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from linli import create_app
from linli.app import content_security_policy


@pytest.fixture(scope="module")
def tiles_client():
    # No database: tiles are drawn, not stored.
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).test_client()


def test_a_tile_is_a_256_px_png_cached_for_a_day(tiles_client):
    response = tiles_client.get("/tiles/18/219546/107172.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "max-age=86400" in response.headers["Cache-Control"]
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (256, 256)
    assert len(image.getcolors(65536)) > 2  # a background, grid lines, its z/x/y: not a blank square
    assert tiles_client.get("/tiles/0/0/0.png").status_code == 200


@pytest.mark.parametrize("path", ["/tiles/21/0/0.png", "/tiles/3/8/0.png", "/tiles/3/0/8.png", "/tiles/3/-1/0.png"])
def test_tiles_outside_the_world_are_not_found(tiles_client, path):
    assert tiles_client.get(path).status_code == 404


def test_remote_tiles_have_no_local_route_and_their_origins_are_in_img_src(monkeypatch):
    monkeypatch.setenv("LINLI_TILES_URL", "https://{s}.tile.example.org/{z}/{x}/{y}.png")
    monkeypatch.setenv("LINLI_TILES_SUBDOMAINS", "ab")
    client = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).test_client()
    assert client.get("/tiles/1/0/0.png").status_code == 404
    csp = client.get("/login").headers["Content-Security-Policy"]
    img_src = next(part for part in csp.split(";") if part.strip().startswith("img-src")).split()
    assert "https://a.tile.example.org" in img_src and "https://b.tile.example.org" in img_src
    assert "script-src 'self'" in csp


def test_local_tiles_need_nothing_beyond_self_and_a_labels_layer_adds_its_origins():
    assert "img-src 'self' data: blob:;" in content_security_policy("local", "")
    tianditu = "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k"
    csp = content_security_policy(tianditu.replace("{layer}", "vec"), "01", tianditu.replace("{layer}", "cva"))
    assert "img-src 'self' data: blob: https://t0.tianditu.gov.cn https://t1.tianditu.gov.cn;" in csp
