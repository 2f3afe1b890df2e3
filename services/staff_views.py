"""Service staff on a phone: the department's work queue, a work order with its actions,
reports filed for residents who phoned or walked in, and the department ranking."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.config import district_tz
from core.db import db, utcnow
from core.forms import attempt, first_message
from core.identity.access import roles_required
from core.identity.models import Role, User
from core.identity.rules import N_
from core.periods import BadPeriod, period_dates, read_period
from geofence.models import Fence
from geofence.operations import active_fence_names
from services import operations, rules, timeline
from services.forms import CHANNELS, assisted_contact, photo_bytes, report_from_form
from services.models import Category, Channel, Resolution, ServiceRequest, Status
from services.operations import WorkOrderConflict, area_of

web = Blueprint("work", __name__, url_prefix="/staff")
staff_only = roles_required(Role.STAFF)
staff_or_admin = roles_required(Role.STAFF, Role.ADMIN)
PAGE_SIZE = 25


def _mine(ref: str) -> ServiceRequest:
    report = operations.by_ref(ref)
    if current_user.role is Role.STAFF and report.department_id != current_user.department_id:
        # Another department's work order is not shown, not even whether it exists.
        raise operations.NotFound("No report with this reference in your department.")
    return report


@web.get("/queue")
@staff_only
def queue():
    args = request.args
    status = args.get("status") if args.get("status") in {s.value for s in Status} - {"resolved"} else None
    category_id = args.get("category", type=int)
    area_id = args.get("area", type=int)
    overdue = args.get("overdue") == "1"
    page = min(max(args.get("page", 1, type=int), 1), 10_000)
    near, near_from = _near(args, area_id) if args.get("sort") == "near" else (None, None)
    now = utcnow()
    found = operations.queue(current_user.department_id, now, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                             status=status, category_id=category_id, area_fence_id=area_id, overdue=overdue,
                             near=near)
    reports, total = found.reports, found.total
    categories = dict(db.session.execute(select(Category.id, Category.name)
                                         .where(Category.department_id == current_user.department_id)).all())
    areas = dict(active_fence_names())
    assignees = dict(db.session.execute(select(User.id, User.display_name)
                                        .where(User.department_id == current_user.department_id)).all())
    return render_template("services/queue.html", reports=reports, categories=categories, areas=areas,
                           assignees=assignees, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                           filters={"status": status, "category": category_id, "area": area_id, "overdue": overdue,
                                    "near": near},
                           args={k: v for k, v in request.args.items() if k != "page"}, now=now,
                           near_from=near_from, markers=_markers(reports, categories))


def _near(args, area_id: int | None) -> tuple[tuple[float, float] | None, str | None]:
    """Where "nearest first" counts from, and whose place that is: the position the page's script
    put in the form ("you"), else (no JavaScript, no position) the centre of the chosen area, else
    of the first area, else the district's map centre ("area")."""
    lat, lon = args.get("lat", type=float), args.get("lon", type=float)
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        return (lat, lon), "you"
    centres = {row.id: (row.center_lat, row.center_lon) for row in db.session.execute(
        select(Fence.id, Fence.center_lat, Fence.center_lon)
        .where(Fence.active.is_(True), Fence.center_lat.is_not(None)).order_by(Fence.name, Fence.id))}
    if area_id in centres:
        return centres[area_id], "area"
    return next(iter(centres.values()), tuple(current_app.config["MAP_CENTRE"])), "area"


def _markers(reports: list[ServiceRequest], categories: dict[int, str]) -> list[dict]:
    """The page's work orders that have a position, for the map beside the list (the same query)."""
    known = current_app.jinja_env.filters["known"]
    return [{"ref": r.ref, "lat": round(r.lat, 6), "lon": round(r.lon, 6), "status": r.status.value,
             "category": known(categories.get(r.category_id, "")),
             "href": url_for("work.work_order", ref=r.ref)} for r in reports if r.lat is not None]


def _actions(report: ServiceRequest) -> rules.WorkOrderActions:
    return rules.work_order_actions(status=report.status.value, role=current_user.role.value,
                                    mine=report.assignee_id == current_user.id)


def _work_order_page(report: ServiceRequest, *, errors: dict | None = None, form=None, status: int = 200):
    """The work order with its timeline, the people in it and the colleagues it can go to; after a
    refused action, the same page with the messages beside the fields and what was typed."""
    events = timeline.entries(operations.timeline(report, public_only=False), public_only=False)
    names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_({e.actor_id for e in events if e.actor_id} | {report.assignee_id or 0}))).all())
    colleagues = db.session.execute(select(User.id, User.display_name).where(
        User.role == Role.STAFF, User.department_id == report.department_id, User.active.is_(True))
        .order_by(User.display_name)).all()
    return render_template("services/work_order.html", r=report, events=events, names=names,
                           colleagues=colleagues, actions=_actions(report),
                           category=db.session.get(Category, report.category_id),
                           photos=operations.photos_of(report), now=utcnow(), errors=errors or {},
                           form=form or {}, questions=operations.questions_of(report.category_id)), status


@web.get("/requests/<ref>")
@staff_or_admin
def work_order(ref: str):
    return _work_order_page(_mine(ref))


def _seen() -> int | None:
    """The version of the work order the page showed: an action applies to that state only."""
    return request.form.get("version", type=int)


def _act(ref: str, action) -> object:
    report = _mine(ref)
    _done, errors = attempt(lambda: action(report))
    flash(first_message(errors) if errors else _("Saved."))
    # The work order as it is now, whoever changed it.
    return redirect(url_for("work.work_order", ref=report.ref))


@web.post("/requests/<ref>/claim")
@staff_only
def claim(ref: str):
    return _act(ref, lambda r: operations.claim(r, current_user, utcnow(), seen=_seen()))


@web.post("/requests/<ref>/assign")
@staff_only
def assign(ref: str):
    return _act(ref, lambda r: operations.assign(r, current_user, request.form.get("assignee_id", type=int)
                                                 or 0, utcnow(), seen=_seen()))


@web.post("/requests/<ref>/status")
@staff_only
def status(ref: str):
    target = request.form.get("status", "")
    note, public = request.form.get("note", "").strip(), request.form.get("public") == "on"

    def act(r):
        if target in (Status.ACKNOWLEDGED.value, Status.IN_PROGRESS.value):
            operations.change_status(r, current_user, Status(target), note, public, utcnow(), seen=_seen())
        else:
            operations.add_note(r, current_user, note, public, utcnow())
    return _act(ref, act)


@web.post("/requests/<ref>/close")
@staff_only
def close(ref: str):
    report = _mine(ref)
    raw = request.form.get("resolution", "")
    resolution = Resolution(raw) if raw in {r.value for r in Resolution} else None
    conflict: list[WorkOrderConflict] = []

    def act():
        if resolution is None:
            _missing_reason()
        try:
            operations.close(report, current_user, resolution=resolution, note=request.form.get("note", ""),
                             after_photos=photo_bytes(request.files.getlist("photos")),
                             duplicate_of=request.form.get("duplicate_of"), referral=request.form.get("referral"),
                             now=utcnow(), seen=_seen())
        except WorkOrderConflict as exc:
            conflict.append(exc)
            raise

    _closed, errors = attempt(act)
    if conflict:
        # Closed (or changed) by someone else meanwhile: nothing to correct in this form.
        flash(_("Someone else changed this work order first. Here it is as it is now."))
        return redirect(url_for("work.work_order", ref=report.ref))
    if errors:
        return _work_order_page(_as_it_is_now(ref), errors=errors, form=request.form, status=422)
    flash(_("Closed. The resident has been told."))
    return redirect(url_for("work.queue"))


def _as_it_is_now(ref: str) -> ServiceRequest:
    """The work order as the database holds it after attempt() rolled back: every loaded object
    is thrown away and read again, so the page never shows a state that was undone."""
    db.session.expire_all()
    return _mine(ref)


def _missing_reason():
    raise operations.ValidationFailed("Choose a resolution.", errors={"resolution": [N_("Choose an outcome.")]})


@web.route("/assisted", methods=["GET", "POST"])
@staff_or_admin
def assisted():
    """A report for someone who phoned or walked in: they get the same reference to quote."""
    from services.views import categories_by_group

    errors: dict = {}
    code = request.values.get("category", "")
    category = db.session.scalar(select(Category).where(Category.code == code)) if code else None
    if request.method == "POST" and category is not None:
        channel = request.form.get("channel", "")
        channel = Channel(channel) if channel in {c.value for c in CHANNELS} else Channel.PHONE
        report, errors = attempt(lambda: operations.file_report(
            report_from_form(code, request.form, request.files, channel=channel,
                             contact=assisted_contact(request.form), filed_by_id=current_user.id),
            now=utcnow(), area_of=area_of))
        if report is not None:
            flash(_("Filed. Give the resident this reference: %(ref)s", ref=report.ref))
            return redirect(url_for("work.work_order", ref=report.ref) if current_user.role is Role.STAFF
                            and report.department_id == current_user.department_id
                            else url_for("reports.track", ref=report.ref))
    questions = operations.questions_of(category.id) if category else []
    return render_template("services/assisted.html", groups=categories_by_group(), category=category,
                           questions=questions, errors=errors, form=request.form), (422 if errors else 200)


def period_from_args(tz: ZoneInfo) -> tuple[date, date, datetime, datetime]:
    """The chosen days (from, to), else the last 30: the ranking is public, so a bad link shows the default."""
    today = utcnow().astimezone(tz).date()
    chosen = {k: request.args[k] for k in ("from", "to") if request.args.get(k)}
    try:
        _, first, last = read_period({"period": "custom", **chosen} if chosen else {"period": "30d"}, today)
    except BadPeriod:
        first, last = period_dates("30d", today)
    return first, last, datetime.combine(first, time(), tz), datetime.combine(last + timedelta(days=1), time(), tz)


def _ranking_page(*, public: bool, mine: int | None):
    first, last, start, end = period_from_args(district_tz())
    return render_template("services/ranking.html", rows=operations.ranking(start, end, utcnow()), first=first,
                           last=last, public=public, mine=mine, figures=rules.RANKING_FIGURES)


@web.get("/ranking")
@staff_or_admin
def ranking():
    return _ranking_page(public=False, mine=current_user.department_id)


public = Blueprint("ranking_public", __name__)


@public.get("/ranking")
def public_ranking():
    return _ranking_page(public=True, mine=None)

