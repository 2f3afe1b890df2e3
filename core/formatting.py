"""Money, distance and time as people read them, in their language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import format_datetime, format_timedelta
from flask_babel import gettext as _

from core.db import utcnow
from core.forms import messages_of


def yuan(cents: int | None, *, column: bool = False) -> str:
    """The one money formatter (static/js/money.js is its twin in the browser), never through a float.

    In text: "¥12", "¥12.50", "¥-2.50". column=True, for statement columns and CSV where every
    amount is in yuan: always two decimals and no symbol, "12.00", "-19.99".
    """
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    if column:
        return f"{sign}{whole}.{part:02d}"
    return f"¥{sign}{whole}" if part == 0 else f"¥{sign}{whole}.{part:02d}"


def discount_text(kind: str, amount_off_cents: int | None, percent_off: int | None,
                  percent_cap_cents: int | None) -> str:
    if kind == "amount":
        return _("%(amount)s off", amount=yuan(amount_off_cents))
    if percent_cap_cents:
        return _("%(percent)s%% off, up to %(cap)s", percent=percent_off, cap=yuan(percent_cap_cents))
    return _("%(percent)s%% off", percent=percent_off)


def when(dt: datetime | None, format: str = "medium") -> str:
    """In the district's time zone (BABEL_DEFAULT_TIMEZONE)."""
    return format_datetime(dt, format) if dt else ""


def countdown(dt: datetime) -> str:
    """'in 3 days' / '3 days ago', relative to now."""
    return format_timedelta(dt - utcnow(), add_direction=True, granularity="minute", threshold=0.9)


def known_names(literals: Iterable[str]):
    """The `known` filter: a name that ships with Linli in the reader's language, any other text as typed.

    Names in the database (categories, departments, question prompts and choices...) are data: an
    admin, a merchant or a resident typed them, and data is never passed through gettext. (In a
    template, `_(x)` returns Markup, so a name holding "<meta http-equiv=refresh ...>" would reach
    the page raw, and one holding "%(x)s" would break it.) Only the names the demo district ships,
    fixed literals marked with N_ and translated in the catalogue, are translated: the stored text
    is the key, the literal is what gettext sees. Anything else comes back unchanged as plain str,
    which autoescape escapes like every other piece of data.
    """
    translatable = {literal: literal for literal in literals}

    def known(value) -> str:
        if value is None:
            return ""
        text = str.__str__(value) if isinstance(value, str) else str(value)  # never Markup
        literal = translatable.get(text)
        return _(literal) if literal is not None else text

    return known


def register(app, *, names: Iterable[str] = ()) -> None:
    app.jinja_env.filters.update(yuan=yuan, when=when, countdown=countdown, known=known_names(names))
    app.jinja_env.globals.update(discount_text=discount_text, field_messages=messages_of)
