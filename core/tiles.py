"""Our own plain map tiles, for the demo and the tests (LINLI_TILES_URL=local): nothing leaves the machine.

Each 256 px tile is drawn by Pillow: a pale background, a light grid, a few "streets" that continue
across tile edges (their positions come from the world pixel, not the tile), and its z/x/y in small
print. They make no claim about the real world; they let the map read as a map and the pin be
placed. Drawn once per worker (an LRU of 512, ~3 KB each) and cached a day by the browser.
"""

from __future__ import annotations

import io
from functools import lru_cache

from flask import Blueprint, Response, abort
from PIL import Image, ImageDraw

web = Blueprint("tiles", __name__)

TILE_PX = 256
MAX_ZOOM = 20
MAX_AGE_S = 86400
BACKGROUND = (244, 241, 234)
GRID = (230, 226, 216)
STREET = (255, 255, 255)
STREET_EDGE = (208, 201, 188)
MAJOR = (250, 226, 170)
TEXT = (150, 144, 132)


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def _streets(origin: int, spacing: int, offset: int):
    """(position inside the tile, major?) of world streets every `spacing` px, shifted by `offset`."""
    index = (origin - offset) // spacing
    while (pos := index * spacing + offset - origin) < TILE_PX + spacing:
        yield pos, index % 4 == 0
        index += 1


@lru_cache(maxsize=512)
def render_tile(z: int, x: int, y: int) -> bytes:
    image = Image.new("RGB", (TILE_PX, TILE_PX), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for pos in range(0, TILE_PX, 64):
        draw.line([(pos, 0), (pos, TILE_PX)], fill=GRID)
        draw.line([(0, pos), (TILE_PX, pos)], fill=GRID)
    if z >= 12:
        # A city grid of streets about 150 m apart (150 px at zoom 17), drawn wider as the map comes closer.
        scale = 2.0 ** (z - 17)
        spacing = max(32, round(150 * scale))
        half = max(1, min(9, round(4 * scale)))
        for pos, major in _streets(x * TILE_PX, spacing, spacing // 3):
            w = half + 2 if major else half
            draw.rectangle([(pos - w - 1, 0), (pos + w + 1, TILE_PX)], fill=STREET_EDGE)
            draw.rectangle([(pos - w, 0), (pos + w, TILE_PX)], fill=MAJOR if major else STREET)
        for pos, major in _streets(y * TILE_PX, spacing, spacing // 2):
            w = half + 2 if major else half
            draw.rectangle([(0, pos - w - 1), (TILE_PX, pos + w + 1)], fill=STREET_EDGE)
            draw.rectangle([(0, pos - w), (TILE_PX, pos + w)], fill=MAJOR if major else STREET)
    draw.text((4, 3), f"{z}/{x}/{y}", fill=TEXT)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


@web.get("/tiles/<int:z>/<int:x>/<int:y>.png")
def tile(z: int, x: int, y: int):
    if not valid_tile(z, x, y):
        abort(404)
    response = Response(render_tile(z, x, y), mimetype="image/png")
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    return response
