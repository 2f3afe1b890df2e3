"""Accounts, roles, and the organisations accounts belong to: departments and businesses."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, str_enum, utcnow


class Role(enum.StrEnum):
    RESIDENT = "resident"
    MERCHANT = "merchant"
    STAFF = "staff"
    ADMIN = "admin"


class MerchantRole(enum.StrEnum):
    OWNER = "owner"
    CASHIER = "cashier"


class Department(db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Merchant(db.Model):
    """A business in the district; its owner and cashiers are merchant accounts."""

    __tablename__ = "merchant"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(255))
    lat: Mapped[float]
    lon: Mapped[float]
    opening_hours: Mapped[str] = mapped_column(String(255), default="")
    # The name, address and opening hours in each language the merchant gave them
    # ({"name": {"en": ..., "zh": ...}}); the columns above hold the primary text (merchant/texts.py).
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountMixin:
    """What a signed-in account and its cached snapshot (signed_in.Identity) both answer."""

    __slots__ = ()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        # The version is part of the id: a password change ends every other session.
        return f"{self.id}:{self.session_version}"

    @property
    def identifier(self) -> str:
        return self.email or self.phone or ""


class User(AccountMixin, UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_identifier"),
        # A merchant account always belongs to one business with one role in it; staff to a department.
        CheckConstraint("(role = 'merchant') = (merchant_id IS NOT NULL AND merchant_role IS NOT NULL)",
                        name="merchant_membership"),
        CheckConstraint("(role = 'staff') = (department_id IS NOT NULL)", name="staff_department"),
        # Several cashiers, one owner per business.
        Index("uq_user_account_one_owner", "merchant_id", unique=True,
              postgresql_where=text("merchant_role = 'owner'"), sqlite_where=text("merchant_role = 'owner'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), index=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchant.id", ondelete="RESTRICT"), index=True)
    merchant_role: Mapped[MerchantRole | None] = mapped_column(str_enum(MerchantRole, "merchant_role"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    large_text: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change so every other signed-in device is signed out.
    session_version: Mapped[int] = mapped_column(default=1)
    # Bumped on every change to the account, so cached snapshots know they are stale.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A one-time sign-in code an admin gave in person (a keyed hash only), and when it stops working.
    sign_in_code_hash: Mapped[str | None] = mapped_column(String(64))
    sign_in_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(db.Model):
    """One signed-in device. The session cookie names it; signing out deletes it, so a copy of the
    cookie stops working (core/identity/signed_in.py checks it on every request, through a cache)."""

    __tablename__ = "user_session"

    # A hash of the id the cookie carries: a leaked table names no usable session.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Refreshed at most once a day, like the cookie; `accounts purge-sessions` drops the idle ones.
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
