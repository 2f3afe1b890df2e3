"""What each timeline entry says, decided without Flask or the database.

An event row records what happened (its kind, the status it led to, a detail dict); a person reads
a sentence: "Li Wei took this on", "Status changed from Received to In progress". The sentence
needs what the row alone does not hold: the status before a change, which only the events before
it know. `entries` walks the whole timeline in order to find it, then keeps what the reader may
see, so a public page says "from Acknowledged" even when the acknowledgement was an internal step.
The templates (templates/services/_timeline.html) turn each entry's `sentence` key into words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class EventLike(Protocol):
    at: datetime
    kind: str
    actor_id: int | None
    public: bool
    note: str
    detail: dict

    @property
    def status(self): ...


@dataclass(frozen=True)
class Entry:
    """One line of a timeline. `sentence` picks the words: see SENTENCES."""

    at: datetime
    sentence: str
    actor_id: int | None
    public: bool
    note: str = ""
    old_status: str | None = None
    new_status: str | None = None
    resolution: str | None = None
    duplicate_of: str | None = None
    referral: str | None = None
    assignee: str | None = None
    channel: str | None = None


# Every sentence a timeline can say; a kind not listed (a future one) reads as "updated", never
# as its raw code.
SENTENCES = ("received", "filed_for", "supported", "took_on", "assigned", "status", "note", "resolved",
             "confirmed", "disputed", "updated")
ASSISTED_CHANNELS = ("phone", "walk_in")


def _value(status) -> str | None:
    return getattr(status, "value", status)


def entries(events: Iterable[EventLike], *, public_only: bool) -> list[Entry]:
    """The events (oldest first) as sentences; internal ones left out when `public_only`."""
    found: list[Entry] = []
    current: str | None = None
    for e in events:
        new = _value(e.status)
        detail = e.detail or {}
        entry = Entry(e.at, _sentence(e.kind, e.actor_id, detail), e.actor_id, e.public, e.note or "",
                      old_status=current if e.kind == "status" else None, new_status=new,
                      resolution=detail.get("resolution"), duplicate_of=detail.get("duplicate_of"),
                      referral=detail.get("referral") or None, assignee=detail.get("assignee"),
                      channel=detail.get("channel"))
        if new is not None:
            current = new
        if e.public or not public_only:
            found.append(entry)
    return found


def _sentence(kind: str, actor_id: int | None, detail: dict) -> str:
    if kind == "received":
        return "filed_for" if detail.get("channel") in ASSISTED_CHANNELS else "received"
    if kind == "assigned":
        return "took_on" if detail.get("assignee_id") == actor_id else "assigned"
    return kind if kind in SENTENCES else "updated"
