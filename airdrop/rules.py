"""Pure airdrop rules: is a position believable, which offers come first and why."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from geofence.rules import haversine_m

# Outcomes a check-in can have; the API and the pages explain each one.
DROPPED = "dropped"
POOR_ACCURACY = "poor_accuracy"
IMPOSSIBLE_MOVEMENT = "impossible_movement"
OUTSIDE = "outside"
NO_LIVE_CAMPAIGN = "no_live_campaign"
WINDOW_CLOSED = "window_closed"
BUDGET_USED = "budget_used"
NOTHING_NEW = "nothing_new"


@dataclass(frozen=True)
class Fix:
    lat: float
    lon: float
    at: datetime


def implausible(*, accuracy_m: float, fix: Fix, last: Fix | None, max_accuracy_m: float,
                max_speed_mps: float) -> str | None:
    """Why a position cannot be trusted, or None."""
    if accuracy_m > max_accuracy_m:
        return POOR_ACCURACY
    if last is not None:
        seconds = (fix.at - last.at).total_seconds()
        # Both fixes are uncertain: only movement beyond their accuracy counts.
        metres = max(0.0, haversine_m(last.lat, last.lon, fix.lat, fix.lon) - accuracy_m)
        if seconds <= 0:
            if metres > 0:
                return IMPOSSIBLE_MOVEMENT
        elif metres / seconds > max_speed_mps:
            return IMPOSSIBLE_MOVEMENT
    return None


# When a kind of shop is most welcome, in local hours [from, to).
TAG_HOURS = {
    "breakfast": (6, 10),
    "bakery": (6, 11),
    "noodles": (10, 14),
    "dumplings": (10, 14),
    "tea": (14, 18),
    "dessert": (14, 18),
    "bbq": (17, 23),
    "late-night": (20, 26),
}


@dataclass(frozen=True)
class Offer:
    campaign_id: int
    merchant_tags: tuple[str, ...]
    campaign_tags: tuple[str, ...]
    distance_m: float
    value_cents: int
    hours_left: float


@dataclass
class Ranked:
    offer: Offer
    score: float
    reasons: list[dict] = field(default_factory=list)


def _in_hours(tag: str, hour: int) -> bool:
    start, end = TAG_HOURS[tag]
    return start <= hour < end or start <= hour + 24 < end


def rank_offers(offers: list[Offer], *, liked_tags: Counter, local_hour: int) -> list[Ranked]:
    """Best first. Every point of score comes with a reason the resident can read."""
    ranked = []
    for offer in offers:
        r = Ranked(offer, 0.0)
        tags = set(offer.merchant_tags) | set(offer.campaign_tags)
        liked = sorted(t for t in tags if liked_tags.get(t))
        if liked:
            r.score += min(3.0, sum(1.0 + math.log(liked_tags[t]) for t in liked))
            r.reasons.append({"code": "you_like", "tags": liked})
        timely = sorted(t for t in offer.merchant_tags if t in TAG_HOURS and _in_hours(t, local_hour))
        if timely:
            r.score += 1.0
            r.reasons.append({"code": "good_time", "tags": timely})
        closeness = max(0.0, 1.0 - offer.distance_m / 1000.0)
        r.score += 2.0 * closeness
        r.reasons.append({"code": "distance", "metres": round(offer.distance_m)})
        r.score += min(2.0, offer.value_cents / 1000.0)
        r.reasons.append({"code": "value", "cents": offer.value_cents})
        if offer.hours_left <= 72:
            r.score += 1.0
            r.reasons.append({"code": "ending_soon", "hours": round(offer.hours_left)})
        ranked.append(r)
    ranked.sort(key=lambda r: (-r.score, r.offer.distance_m, r.offer.campaign_id))
    return ranked


def windows_by_day(periods: list[tuple[datetime, datetime]]) -> list[tuple[date, list[tuple[datetime, datetime]]]]:
    """Airdrop windows (local times) under the day each opens, in order: a 22:00-02:00 window is the evening's."""
    days: dict[date, list[tuple[datetime, datetime]]] = {}
    for start, end in sorted(periods):
        days.setdefault(start.date(), []).append((start, end))
    return list(days.items())
