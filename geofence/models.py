"""Geofences: circles (centre and radius) and GeoJSON polygons, and the revision that keeps every
worker's spatial index in step with edits."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, str_enum, utcnow


class FenceKind(enum.StrEnum):
    CIRCLE = "circle"
    POLYGON = "polygon"


class Fence(db.Model):
    __tablename__ = "fence"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'circle' AND center_lat BETWEEN -90 AND 90 AND center_lon BETWEEN -180 AND 180"
            " AND radius_m > 0 AND polygon IS NULL)"
            " OR (kind = 'polygon' AND polygon IS NOT NULL)",
            name="shape"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[FenceKind] = mapped_column(str_enum(FenceKind, "fence_kind"))
    # For polygons, the centre is the centroid: used for distances and maps.
    center_lat: Mapped[float | None]
    center_lon: Mapped[float | None]
    radius_m: Mapped[float | None]
    # none_as_null: a circle has SQL NULL here, not the JSON value null (the shape check needs NULL).
    polygon: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped by every edit, which applies only to the version the admin's page showed.
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # A deleted fence is kept (inactive) so that campaign targets and coupons keep pointing at it.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Proof of presence (geofence/presence_rules.py): the key of the screen's rotating codes and of its
    # screen link, 32 random bytes in hex. Never sent to any browser; a new one revokes both.
    presence_secret: Mapped[str] = mapped_column(String(64), default=lambda: new_presence_secret())

    def rotate_presence_secret(self) -> None:
        """The old screen link and every code it showed stop working at once."""
        self.presence_secret = new_presence_secret()


def new_presence_secret() -> str:
    return secrets.token_hex(32)


class FenceRevision(db.Model):
    """One row: bumped in the same transaction as every fence edit; workers compare it with the
    revision their index was built from."""

    __tablename__ = "fence_revision"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    revision: Mapped[int] = mapped_column(default=0)
