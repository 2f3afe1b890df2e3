"""Open311 GeoReport v2 under /open311 (being built)."""

from __future__ import annotations

from flask import Blueprint

web = Blueprint("open311", __name__, url_prefix="/open311")
