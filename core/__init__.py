"""Wiring shared by every domain: app factory, config, database, identity, errors."""

from core.app import create_app

__all__ = ["create_app"]
