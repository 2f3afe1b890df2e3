"""Money, distance and time as people read them, in their language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from flask import g, has_request_context, request
from flask_babel import format_timedelta, get_locale, get_timezone
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


# The district's own conventions when a reader's browser names no region for their language.
DEFAULT_REGIONS = {"en": "en_GB", "zh": "zh_Hans_CN"}


def format_locale(language: str, accepted: Iterable[str]) -> Locale:
    """How dates read for someone reading `language`: in their browser's region for that language.

    Translations are only en and zh, but "en-US" reads 2:28 PM and "en-GB" 14:28; `accepted` is the
    Accept-Language tags, best first. A region the browser names for another language is ignored.
    """
    for tag in accepted:
        try:
            locale = Locale.parse(tag, sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            continue
        if locale.language == language and locale.territory:
            return locale
    return Locale.parse(DEFAULT_REGIONS.get(language, language))


def minute_pattern(locale: Locale) -> str:
    """The locale's medium date with its short time: to the minute, never seconds."""
    return (locale.datetime_formats["medium"]
            .replace("{1}", locale.date_formats["medium"].pattern)
            .replace("{0}", locale.time_formats["short"].pattern))


def datetime_text(dt: datetime, *, locale: Locale, tz: tzinfo, format: str = "medium") -> str:
    """'1 Dec 2026, 14:28' (en-GB), 'Dec 1, 2026, 2:28 PM' (en-US), '2026年12月1日 14:28' (zh), in `tz`.

    format: "medium" or "short" (the same: a short date is 1/12 or 12/1 depending on the reader),
    "time" (14:28 / 2:28 PM), "day" (Tuesday 1 December / 12月1日周二), or a Babel pattern.
    """
    if format in ("medium", "short"):
        return babel_dates.format_datetime(dt, minute_pattern(locale), tzinfo=tz, locale=locale)
    if format == "time":
        return babel_dates.format_time(dt, "short", tzinfo=tz, locale=locale)
    if format == "day":
        return babel_dates.format_skeleton("MMMMEEEEd", dt, tzinfo=tz, locale=locale)
    return babel_dates.format_datetime(dt, format, tzinfo=tz, locale=locale)


def reader_locale() -> Locale:
    """The request's formatting locale: the page's language, in the reader's region (once a request)."""
    if not has_request_context():
        return format_locale(str(get_locale() or "en"), ())
    if "linli_format_locale" not in g:
        accepted = [tag for tag, _quality in request.accept_languages]
        g.linli_format_locale = format_locale(get_locale().language, accepted)
    return g.linli_format_locale


def locale_tag(locale: Locale) -> str:
    """BCP 47, for the browser's Intl: en-GB, zh-Hans-CN."""
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


def when(dt: datetime | None, format: str = "medium") -> str:
    """In the district's time zone (BABEL_DEFAULT_TIMEZONE), as the reader's region writes it."""
    return datetime_text(dt, locale=reader_locale(), tz=get_timezone(), format=format) if dt else ""


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
