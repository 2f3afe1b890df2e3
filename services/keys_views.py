"""Admins issue and revoke Open311 API keys (being built)."""

from __future__ import annotations

from flask import Blueprint

web = Blueprint("open311_keys", __name__, url_prefix="/admin/open311-keys")
