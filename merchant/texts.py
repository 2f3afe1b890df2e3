"""What a merchant types for residents to read, in English and in Chinese. Pure: no Flask, no database.

A shop's name, address and opening hours and a campaign's title and description are given in
either language or both. Each model keeps:

- the field's own column (`name`, `title`, ...): the *primary* text, the English one when the
  merchant gave it, else the Chinese one. It is never empty for a required field, so everything
  that sorts, searches, exports or has no reader's language at hand (the admin's list, the CSV,
  the iCalendar feed, API clients written before there were two languages) keeps working on it;
- `translations`: `{field: {"en": ..., "zh": ...}}` with only the languages the merchant gave.
  One JSON column rather than a `_zh` column per field: the fields that can be given twice are
  a list in one place (TEXT_FIELDS), a third language adds no migration, and what is stored says
  which language each text is in, so the form can show each in its own box. Rows written before
  this (or by the admin, who types one name) have no entry: their text is the primary one, taken
  as English, the language Linli shipped in.

`localized` picks the reader's language and falls back to the other one, so a resident never sees
an empty name because the merchant wrote only one language.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "zh")
TEXT_FIELDS = {"merchant": ("name", "address", "opening_hours"), "campaign": ("title", "description")}


def language_of(locale) -> str:
    """'zh', 'zh_Hans_CN', 'zh-Hans' -> 'zh'; anything else (a Babel Locale too) -> its language or 'en'."""
    text = str(locale or "en").replace("-", "_").split("_")[0].lower()
    return text if text in LANGUAGES else "en"


def localized(primary: str | None, translations: Mapping[str, str] | None, locale) -> str:
    """The text in the reader's language, else in the other language, else the primary text."""
    given = translations or {}
    wanted = language_of(locale)
    for language in (wanted, *(other for other in LANGUAGES if other != wanted)):
        if given.get(language):
            return given[language]
    return primary or ""


def _read(obj, field: str) -> tuple[str | None, Mapping[str, str] | None]:
    """(primary, translations) of a field of a model object (its column and `translations`), or of
    a row - a dict or a dataclass - that carries `<field>_i18n` beside `<field>`."""
    if isinstance(obj, Mapping):
        return obj.get(field), obj.get(f"{field}_i18n")
    given = getattr(obj, f"{field}_i18n", None)
    if given is None:
        given = (getattr(obj, "translations", None) or {}).get(field)
    return getattr(obj, field, None), given


def text_of(obj, field: str, locale) -> str:
    """`localized` for what pages show, from any shape `_read` knows."""
    return localized(*_read(obj, field), locale) if obj is not None else ""


def given_texts(primary: str | None, translations: Mapping[str, str] | None) -> dict[str, str]:
    """The languages the merchant gave, for a form's two boxes and the API's `<field>_i18n`.

    A text from before there were two languages counts as English (see the module's docstring)."""
    if translations:
        return {language: translations[language] for language in LANGUAGES if translations.get(language)}
    return {"en": primary} if primary else {}


def texts_of(obj, field: str) -> dict[str, str]:
    """given_texts of a field, from any shape `_read` knows."""
    return given_texts(*_read(obj, field)) if obj is not None else {}


def merged(primary: str | None, translations: Mapping[str, str] | None,
           changes: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """A field's (primary, translations) after `changes`: a language given replaces its text, a
    language given as "" is removed, a language not named is kept (so an API client that only
    knows `title` changes the English title and leaves the Chinese one alone)."""
    texts = given_texts(primary, translations)
    for language, text in changes.items():
        if text:
            texts[language] = text
        else:
            texts.pop(language, None)
    return texts.get("en") or texts.get("zh") or "", {k: texts[k] for k in LANGUAGES if k in texts}


def apply_texts(obj, changes: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Set each field's primary column and translations on a model object from {field: {lang: text}}.

    Returns the fields left with no text in any language (the caller decides if that is allowed)."""
    translations = dict(obj.translations or {})
    empty = []
    for field, texts in changes.items():
        primary, kept = merged(getattr(obj, field, None), (obj.translations or {}).get(field), texts)
        setattr(obj, field, primary)
        if kept:
            translations[field] = kept
        else:
            translations.pop(field, None)
            empty.append(field)
    obj.translations = translations  # a new dict: the JSON column sees the change
    return empty
