"""Linli: the composition root (create_app) above every domain package."""

from linli.app import create_app

__all__ = ["create_app"]
