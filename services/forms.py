"""Reading a report from an HTML form (the resident's, the staff's assisted one, Open311's fields
share the `attribute[CODE]` convention)."""

from __future__ import annotations

from werkzeug.datastructures import FileStorage, MultiDict

from core.forms import number
from services import rules
from services.models import Channel
from services.operations import NewReport


def attributes(form: MultiDict) -> dict:
    """The answers, parsed as Open311's are (services.rules.parse_attributes); stray fields are skipped."""
    return rules.parse_attributes(form.lists(), strict=False)


def photo_bytes(files: list[FileStorage]) -> list[bytes]:
    return [f.read() for f in files if f and f.filename]


def report_from_form(code: str, form: MultiDict, files: MultiDict, **who) -> NewReport:
    return NewReport(category_code=code, description=form.get("description"),
                     lat=number(form.get("lat")), lon=number(form.get("lon")),
                     address=form.get("address"), answers=attributes(form),
                     photos=photo_bytes(files.getlist("photos")),
                     client_key=rules.client_key(form.get("client_key")), **who)


def assisted_contact(form: MultiDict) -> dict:
    contact = {k: form.get(k, "").strip()[:120] for k in ("name", "phone") if form.get(k, "").strip()}
    return contact


CHANNELS = (Channel.PHONE, Channel.WALK_IN)
