"""Text put into CSV files that people open in spreadsheet programs."""

from __future__ import annotations

# OWASP's CSV injection rule: a cell starting with one of these is a formula to Excel and friends.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str | None) -> str:
    """A name or title as inert text: a leading formula character is escaped with an apostrophe."""
    text = value or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
