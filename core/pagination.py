"""Paging a SQLAlchemy select through flask-smorest's `@blp.paginate(SelectPage)`."""

from __future__ import annotations

from flask_smorest import Page
from sqlalchemy import func, select

from core.db import db


class SelectPage(Page):
    @property
    def item_count(self) -> int:
        counted = self.collection.order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(counted))

    @property
    def items(self) -> list:
        params = self.page_params
        return list(db.session.scalars(self.collection.limit(params.page_size).offset(params.first_item)))


class RowPage(SelectPage):
    """For selects of several entities: each row goes through `view(row)` (set by a subclass)."""

    @staticmethod
    def view(row):
        return row

    @property
    def items(self) -> list:
        params = self.page_params
        rows = db.session.execute(self.collection.limit(params.page_size).offset(params.first_item))
        return [self.view(row) for row in rows]
