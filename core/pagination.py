"""Paging a SQLAlchemy select through flask-smorest's `@blp.paginate(SelectPage)`."""

from __future__ import annotations

from dataclasses import dataclass

from flask_smorest import Page
from sqlalchemy import Select, func, select

from core.db import db

# A page beyond this many rows is empty anyway; the engines would overflow on such an offset.
MAX_OFFSET = 2**31 - 1


class SelectPage(Page):
    @property
    def item_count(self) -> int:
        counted = self.collection.order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(counted))

    @property
    def items(self) -> list:
        params = self.page_params
        if params.first_item > MAX_OFFSET:
            return []
        return list(db.session.scalars(self.collection.limit(params.page_size).offset(params.first_item)))


@dataclass(frozen=True)
class Counted:
    """A column select with :limit and :offset parameters, a cheaper select that counts the same
    rows, and the values of their other parameters. (A tuple would read as (body, status) to
    flask-smorest.)"""

    rows: Select
    count: Select
    params: dict


class RowPage(Page):
    """For a Counted select: each row goes through `view(row)` (set by a subclass)."""

    @staticmethod
    def view(row):
        return row

    @property
    def item_count(self) -> int:
        return db.session.scalar(self.collection.count, self.collection.params)

    @property
    def items(self) -> list:
        params = self.page_params
        if params.first_item > MAX_OFFSET:
            return []
        rows = db.session.execute(self.collection.rows, {**self.collection.params, "limit": params.page_size,
                                                         "offset": params.first_item})
        return [self.view(row) for row in rows]
