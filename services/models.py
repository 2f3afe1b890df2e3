"""The service catalogue, the reports residents file against it, and what happens to each.

A report is public by its short reference (`ref`), never by its numeric id; everything personal
about it (who filed it, a contact for an assisted report, Open311 reporter fields) stays in
columns no public view reads.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, case, text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, str_enum, utcnow


class Category(db.Model):
    __tablename__ = "service_category"
    __table_args__ = (CheckConstraint("sla_hours > 0", name="sla"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Open311 service_code: stable, public, a string.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(String(80), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    icon: Mapped[str] = mapped_column(String(40), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    sla_hours: Mapped[int]
    allow_anonymous: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuestionType(enum.StrEnum):
    """Open311's datatypes, by their Open311 names."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLE = "singlevaluelist"
    MULTI = "multivaluelist"


class Question(db.Model):
    """A per-category question; Open311 serves these as the service definition's attributes."""

    __tablename__ = "service_question"
    __table_args__ = (UniqueConstraint("category_id", "code", name="code_per_category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_category.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    prompt: Mapped[str] = mapped_column(String(255))
    datatype: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "question_type"))
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    # [{"key": "stuck_on", "name": "Stuck on"}] for the two list types.
    choices: Mapped[list[dict]] = mapped_column(JSON, default=list)


class Status(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Resolution(enum.StrEnum):
    FIXED = "fixed"
    DUPLICATE = "duplicate"
    NOT_OURS = "not_ours"
    NOT_FOUND = "not_found"


class Channel(enum.StrEnum):
    APP = "app"
    PHONE = "phone"
    WALK_IN = "walk_in"
    OPEN311 = "open311"


OPEN = (Status.RECEIVED, Status.ACKNOWLEDGED, Status.IN_PROGRESS)


class ServiceRequest(db.Model):
    __tablename__ = "service_request"
    __table_args__ = (
        CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="point"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180)", name="coordinates"),
        CheckConstraint("lat IS NOT NULL OR address <> ''", name="located"),
        CheckConstraint("(status = 'resolved') = (resolution IS NOT NULL AND closed_at IS NOT NULL)",
                        name="resolved"),
        # The staff queue: a department's open reports, with every sort key, so counting and
        # ordering them reads the index alone (PostgreSQL index-only scans, SQLite covering index).
        Index("ix_service_request_queue", "department_id", "status", "reopened", "expected_at", "supporters",
              "created_at", "id"),
        # Nearby duplicates: same category, open, within a small latitude band.
        Index("ix_service_request_nearby", "category_id", "status", "lat"),
        # Open311 lists by date.
        Index("ix_service_request_created", "created_at"),
        # The neighbourhood map (services.map_query): a box's reports grouped into cells, read from
        # the index alone, with every column the map filters on.
        Index("ix_service_request_map", "lat", "lon", "status", "closed_at", "resolution", "category_id", "id"),
        # Each worker's map snapshot asks whether anything changed since (services.map_index).
        Index("ix_service_request_updated", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_category.id", ondelete="RESTRICT"))
    # Copied from the category when filed, so a later change of owner does not move old work.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    address: Mapped[str] = mapped_column(String(255), default="")
    area_fence_id: Mapped[int | None] = mapped_column(ForeignKey("fence.id", ondelete="SET NULL"))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "request_channel"), default=Channel.APP)
    # Open311's media_url as a client posted it (an http(s) link to its own photo): public like
    # the description, returned by Open311 when there is no photo of ours; never fetched.
    media_url: Mapped[str] = mapped_column(String(2048), default="", server_default="")
    # Private: never in a public view.
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    contact: Mapped[dict] = mapped_column(JSON, default=dict)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("open311_key.id", ondelete="SET NULL"))
    # The phone's own name for a report it wrote (a random UUID, sent with every try of it, e.g. by
    # the offline outbox): unique, so that a report sent twice is filed once (services.operations).
    client_key: Mapped[str | None] = mapped_column(String(36), unique=True)

    status: Mapped[Status] = mapped_column(str_enum(Status, "request_status"), default=Status.RECEIVED)
    resolution: Mapped[Resolution | None] = mapped_column(str_enum(Resolution, "resolution"))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("service_request.id", ondelete="SET NULL"))
    referral: Mapped[str] = mapped_column(String(255), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    supporters: Mapped[int] = mapped_column(default=0)
    # Reopened after a dispute: first in the queue until resolved again.
    reopened: Mapped[bool] = mapped_column(default=False)
    disputes: Mapped[int] = mapped_column(default=0)
    # Which resolution residents are judging (each reopen starts a new round).
    round: Mapped[int] = mapped_column(default=1)
    # Bumped by every transition of the work order, in the same conditional UPDATE that makes it
    # (services.operations._transition): a change decided on a stale read matches no row.
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @hybrid_method
    def overdue(self, now: datetime):
        """Still open past the promised time. One body for both: on a report a bool (the badge),
        on the class a SQL condition (the queue's filter and order)."""
        return (self.status != Status.RESOLVED) & (self.expected_at < now)

    @classmethod
    def queue_keys(cls, now: datetime) -> tuple:
        """The staff queue: reopened first, then overdue, then more supporters, then older; as
        (expression, descending) pairs, so that a query can order by them under labels too."""
        return ((cls.reopened, True), (case((cls.overdue(now), 0), else_=1), False), (cls.supporters, True),
                (cls.created_at, False), (cls.id, False))


class PhotoKind(enum.StrEnum):
    REPORT = "report"
    AFTER = "after"


class Photo(db.Model):
    """A photo re-encoded on arrival (no EXIF, no GPS), kept in the database so every machine
    behind the load balancer serves the same bytes."""

    __tablename__ = "request_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    # The public URL's name: unguessable, so photos cannot be walked by number.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[PhotoKind] = mapped_column(str_enum(PhotoKind, "photo_kind"))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Event(db.Model):
    """The audit timeline: every change, who and when; public ones are shown on the report's page."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[Status | None] = mapped_column(str_enum(Status, "event_status"))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Supporter(db.Model):
    """A resident who said "me too" instead of filing a duplicate."""

    __tablename__ = "request_supporter"

    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Verdict(db.Model):
    """A reporter's or supporter's judgement of one resolution: fixed, or disputed."""

    __tablename__ = "request_verdict"

    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    round: Mapped[int] = mapped_column(primary_key=True)
    confirmed: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[Status | None] = mapped_column(str_enum(Status, "notification_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(db.Model):
    """An Open311 client's key: issued and revoked by admins, stored as a hash."""

    __tablename__ = "open311_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

