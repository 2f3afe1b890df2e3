"""Use cases for reports and work orders. They flush, never commit; a refusal raises before
anything is written, so a bad report leaves nothing behind."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.orm import make_transient_to_detached

from core.db import db, insert_for, upsert
from core.identity.models import Department, Role, User
from core.identity.rules import N_
from core.problems import Conflict, Forbidden, NotFound, ValidationFailed
from geofence.rules import haversine_m
from services import map_rules, photos, rules
from services.models import (
    OPEN,
    Category,
    Channel,
    Event,
    Notification,
    Photo,
    PhotoKind,
    Question,
    Resolution,
    ServiceRequest,
    Status,
    Supporter,
    Verdict,
)
from services.signals import report_changed


@dataclass
class NewReport:
    category_code: str
    description: str | None
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    answers: dict = field(default_factory=dict)
    photos: list[bytes] = field(default_factory=list)
    reporter_id: int | None = None
    channel: Channel = Channel.APP
    contact: dict = field(default_factory=dict)
    filed_by_id: int | None = None
    api_key_id: int | None = None
    media_url: str = ""
    # The phone's key for this report (services.rules.client_key): sent again, it is filed once.
    client_key: str | None = None


def category_by_code(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
    if category is None:
        raise NotFound("No such service.", errors={"service_code": ["Unknown service."]})
    return category


def questions_of(category_id: int) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.category_id == category_id)
                                   .order_by(Question.position, Question.id)))


@dataclass(frozen=True)
class FilingCategory:
    id: int
    department_id: int
    sla_hours: int
    allow_anonymous: bool
    questions: list[rules.QuestionSpec]


@cache
def _filing_statement():
    c, q = Category, Question
    return (select(c.id, c.department_id, c.sla_hours, c.allow_anonymous, q.code, q.prompt, q.datatype, q.required,
                   q.choices)
            .outerjoin(q, q.category_id == c.id)
            .where(c.code == bindparam("code"), c.active.is_(True)).order_by(q.position, q.id))


def filing_category(code: str) -> FilingCategory:
    """An active category and its questions in one round trip (category_by_code and questions_of
    were two on every report filed)."""
    rows = db.session.connection().execute(_filing_statement(), {"code": code}).all()
    if not rows:
        raise NotFound("No such service.", errors={"service_code": ["Unknown service."]})
    first = rows[0]
    return FilingCategory(first.id, first.department_id, first.sla_hours, first.allow_anonymous, [
        rules.QuestionSpec(r.code, r.prompt, r.datatype.value, r.required, tuple(c["key"] for c in r.choices))
        for r in rows if r.code is not None])


def file_report(new: NewReport, *, now: datetime, area_of=None) -> ServiceRequest:
    """Everything is checked first, photos included; then one report and its first event.

    With a client key the database decides whether this is the first time: the INSERT does
    nothing when a report already holds the key (a retry, or the outbox and the page both
    sending), and that report is answered instead, as it is, without its photos again."""
    category = filing_category(new.category_code)
    errors: dict[str, list[str]] = {}
    try:
        # Open311 makes the description optional (the service code and attributes may say it all).
        description = rules.clean_description(new.description, required=new.channel is not Channel.OPEN311)
    except rules.RuleError as exc:
        errors[exc.field] = [exc.message]
    try:
        lat, lon, address = rules.clean_location(new.lat, new.lon, new.address)
    except rules.RuleError as exc:
        errors[exc.field] = [exc.message]
    answers, answer_errors = rules.clean_answers(category.questions, new.answers or {})
    errors.update({f"attribute[{k}]": v for k, v in answer_errors.items()})
    for key, value in (new.contact or {}).items():
        if isinstance(value, str) and not rules.plain_text(value):
            errors[key] = [rules.NO_HTML]
    if new.reporter_id is None and new.channel is Channel.APP and not category.allow_anonymous:
        errors["reporter"] = [N_("Please sign in to report this kind of problem.")]
    if len(new.photos) > rules.MAX_PHOTOS:
        errors["photos"] = [N_("Please add at most three photos.")]
    encoded = []
    for data in new.photos[:rules.MAX_PHOTOS]:
        try:
            encoded.append(photos.reencode(data))
        except photos.BadPhoto as exc:
            errors.setdefault("photos", []).append(str(exc))
    if errors:
        raise ValidationFailed("The report was not filed; see errors.", errors=errors)

    # Every column but the id, so that the object made below is whole and never reloads one.
    values = dict(
        ref=rules.new_ref(), category_id=category.id, department_id=category.department_id, description=description,
        lat=lat, lon=lon, address=address, answers=answers, channel=new.channel, reporter_id=new.reporter_id,
        contact=new.contact or {}, filed_by_id=new.filed_by_id, api_key_id=new.api_key_id, media_url=new.media_url,
        area_fence_id=area_of(lat, lon) if (area_of and lat is not None) else None,
        status=Status.RECEIVED, created_at=now, updated_at=now,
        expected_at=rules.expected_at(now, category.sla_hours), resolution=None, resolution_note="",
        duplicate_of_id=None, referral="", assignee_id=None, supporters=0, reopened=False, disputes=0, round=1,
        version=1, acknowledged_at=None, closed_at=None, client_key=new.client_key)
    first_event = {"at": now, "actor_id": new.filed_by_id or new.reporter_id, "kind": "received",
                   "status": Status.RECEIVED, "note": "", "public": True, "detail": {"channel": new.channel.value}}
    report_id = _insert_report(values, first_event)
    if report_id is None:
        return _sent_before(new, category.id)
    report = ServiceRequest(id=report_id, **values)
    # The rows are written: the session takes the report as loaded, as if it had flushed it itself.
    make_transient_to_detached(report)
    db.session.add(report)
    for content, width, height in encoded:
        db.session.add(Photo(request_id=report.id, token=photos.new_token(), kind=PhotoKind.REPORT, content=content,
                             width=width, height=height, uploaded_by=new.reporter_id or new.filed_by_id,
                             created_at=now))
    return report


def _sent_before(new: NewReport, category_id: int) -> ServiceRequest:
    """The report that already holds this client key: the same one, if the same person sent it
    for the same kind of problem; a key reused for anything else is refused, not answered."""
    # After the INSERT met the key: on PostgreSQL it waited for the other writer's COMMIT, and this
    # statement's fresh snapshot (READ COMMITTED) sees its row; SQLite has one writer at a time.
    report = db.session.scalar(select(ServiceRequest).where(ServiceRequest.client_key == new.client_key))
    if report is None or report.reporter_id != new.reporter_id or report.category_id != category_id:
        raise Conflict(N_("This report was already sent with other details."))
    return report


def _insert_report(values: dict, event: dict) -> int | None:
    """The report and its first event as plain INSERTs, no unit of work: on PostgreSQL one statement
    (a data-modifying CTE), one round trip fewer on every report filed; elsewhere two. None when
    the client key is taken: nothing was written."""
    dialect = db.session.get_bind().dialect.name
    report, first_event = _report_inserts(dialect, tuple(values), tuple(event))
    connection = db.session.connection()
    if first_event is None:
        return connection.execute(report, {**values, **{f"event_{k}": v for k, v in event.items()}}) \
            .scalar_one_or_none()
    report_id = connection.execute(report, values).scalar_one_or_none()
    if report_id is not None:
        connection.execute(first_event, {"request_id": report_id, **event})
    return report_id


@cache
def _report_inserts(dialect: str, columns: tuple[str, ...], event_columns: tuple[str, ...]):
    """(the report's INSERT, the event's INSERT or None when the first does both), built once per
    process: building them per report cost more than the round trip they save."""
    table, events = ServiceRequest.__table__, Event.__table__
    # ON CONFLICT (client_key) DO NOTHING: PostgreSQL and SQLite spell it alike.
    report = (insert_for(dialect)(table).values({c: bindparam(c, type_=table.c[c].type) for c in columns})
              .on_conflict_do_nothing(index_elements=["client_key"]).returning(table.c.id))
    if dialect != "postgresql":
        return report, events.insert()
    new = report.cte("new_report")
    both = events.insert().from_select(["request_id", *event_columns], select(
        new.c.id, *(bindparam(f"event_{c}", type_=events.c[c].type) for c in event_columns)))
    return both.returning(events.c.request_id), None


def _event(report: ServiceRequest, kind: str, *, now: datetime, actor_id: int | None, status: Status | None = None,
           note: str = "", public: bool = True, detail: dict | None = None) -> None:
    db.session.add(Event(request_id=report.id, at=now, actor_id=actor_id, kind=kind, status=status, note=note,
                         public=public, detail=detail or {}))


def _notify(report: ServiceRequest, kind: str, now: datetime) -> None:
    """A public change: the reporter and supporters are told (services.notifications listens)."""
    report_changed.send(report, kind=kind, now=now)


def by_ref(ref: str) -> ServiceRequest:
    report = db.session.scalar(select(ServiceRequest).where(ServiceRequest.ref == rules.normalize_ref(ref)))
    if report is None:
        raise NotFound("No report with this reference.")
    return report


def nearby_open(category_id: int, lat: float, lon: float, *, radius_m: float = rules.DUPLICATE_RADIUS_M,
                limit: int = 5) -> list[dict]:
    """Open reports of the same category within radius_m, nearest first."""
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    rows = db.session.execute(
        select(ServiceRequest.ref, ServiceRequest.description, ServiceRequest.lat, ServiceRequest.lon,
               ServiceRequest.supporters, ServiceRequest.created_at, ServiceRequest.status)
        .where(ServiceRequest.category_id == category_id, ServiceRequest.status.in_(OPEN),
               ServiceRequest.lat.between(lat - dlat, lat + dlat), ServiceRequest.lon.between(lon - dlon, lon + dlon))
        .limit(200)).all()
    found = []
    for row in rows:
        distance = haversine_m(lat, lon, row.lat, row.lon)
        if distance <= radius_m:
            found.append({"ref": row.ref, "description": row.description[:140], "lat": row.lat, "lon": row.lon,
                          "distance_m": round(distance),
                          "supporters": row.supporters, "created_at": row.created_at, "status": row.status.value})
    return sorted(found, key=lambda f: f["distance_m"])[:limit]


def support(report: ServiceRequest, user_id: int, now: datetime) -> bool:
    """"Me too": counted once per resident; False if they had already (or filed it themselves)."""
    if report.status not in OPEN:
        raise Conflict("This report is already resolved.")
    if report.reporter_id == user_id:
        return False
    added = db.session.execute(upsert(Supporter).values(request_id=report.id, user_id=user_id, created_at=now)
                               .on_conflict_do_nothing().returning(Supporter.user_id)).scalar_one_or_none()
    if added is None:
        return False
    db.session.execute(update(ServiceRequest).where(ServiceRequest.id == report.id)
                       .values(supporters=ServiceRequest.supporters + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(report)
    _event(report, "supported", now=now, actor_id=user_id, public=False)
    return True


# --- staff -----------------------------------------------------------------------------------

def _staff_of(report: ServiceRequest, staff) -> None:
    """staff: a User or the signed-in snapshot (core.identity.signed_in.Identity)."""
    if staff.role is Role.ADMIN:
        return
    if staff.role is not Role.STAFF or staff.department_id != report.department_id:
        raise Forbidden("This report belongs to another department.")


class WorkOrderConflict(Conflict):
    """The work order is not (or no longer) in the state the action was decided on. The answer
    carries the state it is in now, so a client can show it and decide again."""

    type, title = "/problems/work-order-conflict", "Work order changed"


CHANGED_FIRST = N_("Someone else changed this work order first. Here it is as it is now.")


def current_state(report: ServiceRequest) -> dict:
    return {"ref": report.ref, "status": report.status.value, "assignee_id": report.assignee_id,
            "version": report.version}


def _open(report: ServiceRequest) -> None:
    if report.status not in OPEN:
        raise WorkOrderConflict("This report is resolved.", current=current_state(report))


def _transition(report: ServiceRequest, *expected, **values) -> bool:
    """One conditional UPDATE ... WHERE id AND <expected> RETURNING: the database decides.

    Every transition bumps `version`. The report is reloaded either way: with the new state when
    this transition won, with the state someone else left when it matched no row."""
    r = ServiceRequest
    won = db.session.execute(
        update(r).where(r.id == report.id, *expected).values(version=r.version + 1, **values)
        .returning(r.version).execution_options(synchronize_session=False)).scalar_one_or_none()
    db.session.refresh(report)
    return won is not None


def _staff_transition(report: ServiceRequest, seen: int | None, **values) -> None:
    """A staff action decided on what this request read (or `seen`, the version the page
    showed): it applies only if the work order is still exactly that, else WorkOrderConflict."""
    r = ServiceRequest
    if not _transition(report, r.version == (report.version if seen is None else seen), r.status == report.status,
                       **values):
        raise WorkOrderConflict(CHANGED_FIRST, current=current_state(report))


def claim(report: ServiceRequest, staff: User, now: datetime, *, seen: int | None = None) -> None:
    assign(report, staff, staff.id, now, seen=seen)


def assign(report: ServiceRequest, staff: User, assignee_id: int, now: datetime, *, seen: int | None = None) -> None:
    _staff_of(report, staff)
    _open(report)
    assignee = db.session.get(User, assignee_id)
    if assignee is None or assignee.role is not Role.STAFF or assignee.department_id != report.department_id:
        raise ValidationFailed("Assign to a colleague in the same department.",
                               errors={"assignee_id": ["Not a colleague in this department."]})
    values: dict = {"assignee_id": assignee.id, "updated_at": now}
    acknowledging = report.status is Status.RECEIVED
    if acknowledging:  # taking a new report on acknowledges it, in the same statement
        values.update(status=Status.ACKNOWLEDGED, acknowledged_at=report.acknowledged_at or now)
    _staff_transition(report, seen, **values)
    _event(report, "assigned", now=now, actor_id=staff.id, public=False, detail={"assignee_id": assignee.id,
                                                                               "assignee": assignee.display_name})
    if acknowledging:
        _status_changed(report, staff, Status.ACKNOWLEDGED, "", True, now)


def _status_changed(report: ServiceRequest, staff: User, target: Status, note: str, public: bool,
                    now: datetime) -> None:
    _event(report, "status", now=now, actor_id=staff.id, status=target, note=note, public=public)
    _notify(report, "status", now)


def _note(text: str | None, field: str = "note", *, limit: int = rules.MAX_DESCRIPTION) -> str:
    try:
        return rules.clean_text(field, text, limit=limit)
    except rules.RuleError as exc:
        raise ValidationFailed("Not saved; see errors.", errors={exc.field: [exc.message]}) from None


def change_status(report: ServiceRequest, staff: User, target: Status, note: str, public: bool,
                  now: datetime, *, seen: int | None = None) -> None:
    _staff_of(report, staff)
    _open(report)
    if not rules.can_move(report.status.value, target.value):
        raise WorkOrderConflict(f"A report that is {report.status.value} cannot become {target.value} this way.",
                                current=current_state(report))
    note = _note(note)
    _staff_transition(report, seen, status=target, updated_at=now, acknowledged_at=report.acknowledged_at or now)
    _status_changed(report, staff, target, note, public, now)


def add_note(report: ServiceRequest, staff: User, note: str, public: bool, now: datetime) -> None:
    """A note changes no state, so it is no transition: it never conflicts with one."""
    _staff_of(report, staff)
    note = _note(note)
    if not note:
        raise ValidationFailed("Write a note.", errors={"note": [N_("Please write a note.")]})
    db.session.execute(update(ServiceRequest).where(ServiceRequest.id == report.id).values(updated_at=now)
                       .execution_options(synchronize_session=False))
    db.session.refresh(report)
    _event(report, "note", now=now, actor_id=staff.id, note=note, public=public)
    if public:
        _notify(report, "note", now)


def close(report: ServiceRequest, staff: User, *, resolution: Resolution, note: str, after_photos: list[bytes],
          duplicate_of: str | None, referral: str | None, now: datetime, seen: int | None = None) -> None:
    """Only with a reason, a note and at least one photo taken on site; once, however many
    staff close it at the same moment."""
    _staff_of(report, staff)
    _open(report)
    errors: dict[str, list[str]] = {}
    for field_name, text, limit in (("note", note, rules.MAX_DESCRIPTION), ("referral", referral, 255)):
        try:
            rules.clean_text(field_name, text, limit=limit)
        except rules.RuleError as exc:
            errors[exc.field] = [exc.message]
    if not (note or "").strip():
        errors["note"] = [N_("Please say what was done.")]
    if not after_photos:
        errors["photos"] = [N_("Please add at least one photo taken on site.")]
    encoded = []
    for data in after_photos[:rules.MAX_PHOTOS]:
        try:
            encoded.append(photos.reencode(data))
        except photos.BadPhoto as exc:
            errors.setdefault("photos", []).append(str(exc))
    original = None
    if resolution is Resolution.DUPLICATE:
        original = db.session.scalar(select(ServiceRequest).where(
            ServiceRequest.ref == rules.normalize_ref(duplicate_of or "")))
        if original is None or original.id == report.id:
            errors["duplicate_of"] = [N_("Please give the reference of the report this one repeats.")]
    if resolution is Resolution.NOT_OURS and not (referral or "").strip():
        errors["referral"] = [N_("Please say who handles it instead.")]
    if errors:
        raise ValidationFailed("The work order was not closed; see errors.", errors=errors)
    referral = (referral or "").strip() if resolution is Resolution.NOT_OURS else ""
    _staff_transition(report, seen, status=Status.RESOLVED, resolution=resolution, resolution_note=note.strip(),
                      duplicate_of_id=original.id if original else None, referral=referral, closed_at=now,
                      updated_at=now, reopened=False, acknowledged_at=report.acknowledged_at or now)
    # Only the close that won writes its photos, its event and its notifications.
    for content, width, height in encoded:
        db.session.add(Photo(request_id=report.id, token=photos.new_token(), kind=PhotoKind.AFTER, content=content,
                             width=width, height=height, uploaded_by=staff.id, created_at=now))
    _event(report, "resolved", now=now, actor_id=staff.id, status=Status.RESOLVED, note=note.strip(),
           detail={"resolution": resolution.value, "duplicate_of": original.ref if original else None,
                   "referral": referral})
    _notify(report, "resolved", now)


# --- residents judge the fix -----------------------------------------------------------------

def may_judge(report: ServiceRequest, user_id: int) -> bool:
    if report.reporter_id == user_id:
        return True
    return db.session.get(Supporter, (report.id, user_id)) is not None


def judge(report: ServiceRequest, user_id: int, *, confirmed: bool, comment: str, now: datetime) -> None:
    if not may_judge(report, user_id):
        raise Forbidden("Only the people who reported this or said \"me too\" can judge the fix.")
    if not rules.can_judge(status=report.status.value, closed_at=report.closed_at, now=now):
        raise Conflict("This report can be judged for 14 days after it is resolved.")
    comment = _note(comment, "comment")
    if not confirmed and not comment:
        raise ValidationFailed("Say what is still wrong.", errors={"comment": [N_("Please say what is still wrong.")]})
    judged_round = report.round
    added = db.session.execute(upsert(Verdict).values(request_id=report.id, user_id=user_id, round=judged_round,
                                                      confirmed=confirmed, comment=comment, at=now)
                               .on_conflict_do_nothing().returning(Verdict.user_id)).scalar_one_or_none()
    if added is None:
        raise Conflict("You have already judged this fix.")
    if confirmed:
        _event(report, "confirmed", now=now, actor_id=user_id, public=True)
        return
    # A dispute reopens the work order at the top of the queue and counts against the department,
    # once per round: of residents disputing the same fix at once, the first reopens it and the
    # others' verdicts are kept beside it.
    r = ServiceRequest
    if not _transition(report, r.round == judged_round, r.status == Status.RESOLVED,
                       status=Status.IN_PROGRESS, resolution=None, closed_at=None, reopened=True,
                       disputes=r.disputes + 1, round=r.round + 1, updated_at=now):
        return
    _event(report, "disputed", now=now, actor_id=user_id, status=Status.IN_PROGRESS, note=comment, public=True)
    _notify(report, "reopened", now)


# --- reading ---------------------------------------------------------------------------------

def _queue_filter(department_id: int, now: datetime, status: str | None, category_id: int | None,
                  area_fence_id: int | None, overdue: bool) -> list:
    r = ServiceRequest
    where = [r.department_id == department_id, r.status == Status(status) if status else r.status.in_(OPEN)]
    if category_id:
        where.append(r.category_id == category_id)
    if area_fence_id:
        where.append(r.area_fence_id == area_fence_id)
    if overdue:
        where.append(r.overdue(now))
    return where


@dataclass
class QueuePage:
    reports: list[ServiceRequest]
    total: int


def near_keys(lat: float, lon: float) -> tuple:
    """Nearest first from (lat, lon): the squared distance on the local plane (a degree of
    longitude shortened by the cosine of the latitude), which orders like metres do across a
    district; reports with only an address last, then the oldest first."""
    r, k = ServiceRequest, map_rules.nearness_scale(lat)
    distance = (r.lat - lat) * (r.lat - lat) + (r.lon - lon) * (r.lon - lon) * (k * k)
    return ((case((r.lat.is_(None), 1), else_=0), False), (distance, False), (r.created_at, False), (r.id, False))


def queue(department_id: int, now: datetime, *, limit: int, offset: int, status: str | None = None,
          category_id: int | None = None, area_fence_id: int | None = None, overdue: bool = False,
          near: tuple[float, float] | None = None) -> QueuePage:
    """One page of the department's open work, in ServiceRequest.queue_keys (or nearest first
    from `near`, see near_keys), and how many there are.

    One statement: the order is found on narrow rows (ids and sort keys, read from the queue index
    alone) with the count beside it, and only the page's reports are joined whole.
    Sorting thousands of full rows, descriptions and all, cost ten times more; three round trips
    (count, ids, rows) cost more than the work."""
    r = ServiceRequest
    where = _queue_filter(department_id, now, status, category_id, area_fence_id, overdue)
    order_keys = near_keys(*near) if near else r.queue_keys(now)
    keys = [(key.label(f"k{n}"), descending) for n, (key, descending) in enumerate(order_keys)]
    ranked = (select(r.id.label("id"), *(key for key, _ in keys))
              .where(*where).order_by(*(key.desc() if descending else key for key, descending in keys))
              .limit(limit).offset(offset).subquery())
    order = [ranked.c[key.name].desc() if descending else ranked.c[key.name] for key, descending in keys]
    count = select(func.count(r.id)).where(*where)
    # The count as an uncorrelated subquery, run once beside the page (a window over the rows
    # would keep every one of them before the sort: four times slower on 6,000 open reports).
    rows = db.session.execute(select(r, count.scalar_subquery().label("total"))
                              .join(ranked, ranked.c.id == r.id).order_by(*order)).all()
    if rows:
        return QueuePage([report for report, _ in rows], rows[0].total)
    # A page past the end says nothing of the total: count it.
    return QueuePage([], db.session.scalar(count))


def timeline(report: ServiceRequest, *, public_only: bool) -> list[Event]:
    stmt = select(Event).where(Event.request_id == report.id).order_by(Event.at, Event.id)
    if public_only:
        stmt = stmt.where(Event.public.is_(True))
    return list(db.session.scalars(stmt))


def photos_of(report: ServiceRequest) -> list[tuple[str, str]]:
    return [(row.token, row.kind.value) for row in db.session.execute(
        select(Photo.token, Photo.kind).where(Photo.request_id == report.id).order_by(Photo.id))]


def ranking(first: datetime, last: datetime, now: datetime) -> list[rules.DepartmentFigures]:
    """Per department, over reports filed in [first, last), judged as they stand at `now`."""
    departments = db.session.execute(select(Department.id, Department.name).order_by(Department.name)).all()
    rows: dict[int, list[tuple]] = {d.id: [] for d in departments}
    for dept, *values in db.session.execute(
            select(ServiceRequest.department_id, ServiceRequest.created_at, ServiceRequest.acknowledged_at,
                   ServiceRequest.closed_at, ServiceRequest.expected_at, ServiceRequest.disputes)
            .where(ServiceRequest.created_at >= first, ServiceRequest.created_at < last)):
        rows.setdefault(dept, []).append(tuple(values))
    return rules.rank([rules.department_figures(d.id, d.name, rows[d.id], now) for d in departments])


def overdue_count(department_id: int, now: datetime) -> int:
    """The department's open work past its promised time (the staff home's badge)."""
    return db.session.scalar(select(func.count(ServiceRequest.id)).where(
        ServiceRequest.department_id == department_id, ServiceRequest.overdue(now)))


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)))


def area_of(lat: float, lon: float) -> int | None:
    """The community-centre area (geofence) a point lies in: the staff queue filters by it."""
    from geofence.registry import current_index

    inside = current_index().containing(lat, lon)
    return min(inside) if inside else None
