"""Signage for lift screens and shop TVs: what drops now and next at one fence, in both languages.

`board` is pure: airdrop periods in, the NOW and NEXT rows out. `texts` renders each row's words in
English and Chinese (the screen alternates between them); the page and its JS in airdrop/views.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LANGUAGES = ("en", "zh")
NOW_ROWS, NEXT_ROWS = 3, 4  # what fits on a 720x1280 screen in type legible from 3 m


def board(offers: list[dict], *, now: datetime, tz: ZoneInfo) -> tuple[list[dict], list[dict]]:
    """(now, next): one row per airdrop period of `offers` (operations.offers) that is open at `now`,
    soonest to close first; and those opening later today or tomorrow (local), soonest first."""
    end_of_tomorrow = datetime.combine(now.astimezone(tz).date() + timedelta(days=2), datetime.min.time(), tz)
    current, upcoming = [], []
    for offer in offers:
        for period in offer["airdrops"]:
            start, end = period["start"], period["end"]
            row = {"offer": offer, "start": start.astimezone(tz), "end": end.astimezone(tz)}
            if start <= now < end:
                current.append(row)
            elif now < start < end_of_tomorrow:
                upcoming.append(row)
    current.sort(key=lambda r: (r["end"], r["offer"]["campaign_id"]))
    upcoming.sort(key=lambda r: (r["start"], r["offer"]["campaign_id"]))
    return current[:NOW_ROWS], upcoming[:NEXT_ROWS]
