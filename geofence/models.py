"""Geofences: circles (centre and radius) and GeoJSON polygons."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow


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
    kind: Mapped[FenceKind] = mapped_column(
        Enum(FenceKind, name="fence_kind", values_callable=lambda e: [m.value for m in e],
             native_enum=False, create_constraint=True, length=16))
    center_lat: Mapped[float | None]
    center_lon: Mapped[float | None]
    radius_m: Mapped[float | None]
    polygon: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
