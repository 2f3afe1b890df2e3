"""The resident's side: report a problem, follow it, say "me too", judge the fix; the public
tracking page and photos; notifications."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select, update

from core.db import db, utcnow
from core.errors import wants_problem_json
from core.forms import attempt, first_message
from core.identity.access import roles_required
from core.identity.models import Role
from core.problems import Conflict, ValidationFailed
from core.ratelimit import account_or_address, rate_limit
from services import map_query, map_rules, operations, rules, timeline
from services.api import report_limit
from services.forms import report_from_form
from services.models import Category, Notification, Photo, ServiceRequest, Supporter, Verdict
from services.operations import area_of

web = Blueprint("reports", __name__)


@web.app_context_processor
def report_labels():
    return {"status_labels": rules.STATUS_LABELS, "resolution_labels": rules.RESOLUTION_LABELS,
            "open_statuses": rules.OPEN_STATUSES}
residents = roles_required(Role.RESIDENT)


def categories_by_group() -> dict[str, list[Category]]:
    groups: dict[str, list[Category]] = {}
    for category in db.session.scalars(select(Category).where(Category.active.is_(True))
                                       .order_by(Category.group, Category.name)):
        groups.setdefault(category.group or "", []).append(category)
    return groups


@web.get("/report")
def choose():
    return render_template("services/choose.html", groups=categories_by_group())


@web.route("/report/<code>", methods=["GET", "POST"])
@rate_limit(report_limit, key=account_or_address, scope="report")  # one bucket with the API
def report(code: str):
    category = operations.category_by_code(code)
    signed_in = current_user.is_authenticated
    if not signed_in and not category.allow_anonymous:
        return redirect(url_for("identity.login", next=request.path))
    if signed_in and current_user.role is not Role.RESIDENT:
        abort(403)
    errors: dict = {}
    if request.method == "POST":
        reporter = current_user.id if signed_in else None
        # The phone's outbox (static/js/outbox.js) says whose report it is sending: written by
        # one person, it is never filed under another who signed in on the phone since.
        outbox_owner = request.headers.get("Linli-Outbox")
        if outbox_owner is not None and outbox_owner != str(reporter or ""):
            raise Conflict("Signed in as someone else than the person who wrote this report.",
                           reason="outbox-owner")
        report_, errors = attempt(lambda: operations.file_report(
            report_from_form(code, request.form, request.files, reporter_id=reporter), now=utcnow(),
            area_of=area_of))
        if report_ is not None:
            message = _("Thank you. Your reference is %(ref)s: quote it if you call us.", ref=report_.ref)
            url = url_for("reports.track", ref=report_.ref)
            if not wants_problem_json():
                flash(message)
                return redirect(url)
            # A script sent the form (report.js online, the outbox later): the reference as JSON; the
            # page it opens next shows the thanks, the outbox says it in its own words.
            if outbox_owner is None:
                flash(message)
            return jsonify(ref=report_.ref, url=url), 201
        if wants_problem_json():
            raise ValidationFailed("The report was not filed; see errors.", errors=errors)
    return render_template("services/report.html", category=category, errors=errors, form=request.form,
                           questions=operations.questions_of(category.id)), (422 if errors else 200)


def _viewer_state(report_: ServiceRequest) -> dict:
    if not (current_user.is_authenticated and current_user.role is Role.RESIDENT):
        return {}
    uid = current_user.id
    supporter = db.session.get(Supporter, (report_.id, uid)) is not None
    judged = db.session.get(Verdict, (report_.id, uid, report_.round)) is not None
    involved = supporter or report_.reporter_id == uid
    return {"is_reporter": report_.reporter_id == uid, "is_supporter": supporter,
            "can_support": report_.status.value in rules.OPEN_STATUSES and not involved,
            "can_judge": involved and not judged and rules.can_judge(
                status=report_.status.value, closed_at=report_.closed_at, now=utcnow())}


@web.get("/r/<ref>")
def track(ref: str):
    report_ = operations.by_ref(ref)
    category = db.session.get(Category, report_.category_id)
    duplicate_of = db.session.get(ServiceRequest, report_.duplicate_of_id) if report_.duplicate_of_id else None
    return render_template("services/track.html", r=report_, category=category,
                           events=timeline.entries(operations.timeline(report_, public_only=False),
                                                   public_only=True),
                           photos=operations.photos_of(report_), duplicate_of=duplicate_of,
                           viewer=_viewer_state(report_), now=utcnow())


@web.post("/r/<ref>/support")
@residents
def support(ref: str):
    report_ = operations.by_ref(ref)
    added, errors = attempt(lambda: operations.support(report_, current_user.id, utcnow()))
    if errors:
        flash(first_message(errors))
    else:
        if added:
            flash(_("Thank you: you will hear about this report like the person who filed it."))
    return redirect(url_for("reports.track", ref=report_.ref))


@web.post("/r/<ref>/judge")
@residents
def judge(ref: str):
    report_ = operations.by_ref(ref)
    confirmed = request.form.get("verdict") == "fixed"
    _done, errors = attempt(lambda: operations.judge(report_, current_user.id, confirmed=confirmed,
                                                 comment=request.form.get("comment", ""), now=utcnow()))
    if errors:
        flash(first_message(errors))
    else:
        flash(_("Thank you for confirming.") if confirmed else
              _("We are sorry. The work order is open again and goes to the top of the queue."))
    return redirect(url_for("reports.track", ref=report_.ref))


@web.get("/photos/<token>.jpg")
def photo(token: str):
    content = db.session.scalar(select(Photo.content).where(Photo.token == token))
    if content is None:
        abort(404)
    # Photos never change under their token: cache them for a long time.
    return Response(content, mimetype="image/jpeg", headers={"Cache-Control": "public, max-age=31536000, immutable"})


@web.get("/my/reports")
@residents
def mine():
    supported = select(Supporter.request_id).where(Supporter.user_id == current_user.id)
    reports = db.session.execute(
        select(ServiceRequest.ref, ServiceRequest.status, ServiceRequest.created_at, ServiceRequest.expected_at,
               ServiceRequest.reporter_id, Category.name)
        .join(Category, Category.id == ServiceRequest.category_id)
        .where(or_(ServiceRequest.reporter_id == current_user.id, ServiceRequest.id.in_(supported)))
        .order_by(ServiceRequest.created_at.desc()).limit(100)).all()
    return render_template("services/mine.html", reports=reports)


@web.get("/notifications")
@residents
def notifications():
    """Opening the page reads them: one UPDATE marks what was unread and says which it was, so
    those can still be shown as new this once (a notification arriving meanwhile is either
    marked and shown, or left unread for next time; never marked unseen)."""
    now = utcnow()
    fresh = set(db.session.scalars(
        update(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=now).returning(Notification.id).execution_options(synchronize_session=False)))
    rows = db.session.execute(
        select(Notification.id, Notification.kind, Notification.status, Notification.created_at,
               ServiceRequest.ref, ServiceRequest.address, ServiceRequest.description, Category.name.label("category"))
        .join(ServiceRequest, ServiceRequest.id == Notification.request_id)
        .join(Category, Category.id == ServiceRequest.category_id)
        .where(Notification.user_id == current_user.id, Notification.created_at > now - timedelta(days=90))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(100)).all()
    return render_template("services/notifications.html", rows=rows, fresh=fresh)


@web.app_context_processor
def unread_notifications():
    """`unread_notifications()` in a template: the signed-in resident's unread count, asked only
    by the pages that show it."""
    def count() -> int:
        if not (current_user.is_authenticated and current_user.role is Role.RESIDENT):
            return 0
        return operations.unread_count(current_user.id)
    return {"unread_notifications": count}


@web.app_context_processor
def overdue_work():
    """`overdue_work()` in a template: the signed-in staff member's department's overdue work orders."""
    def count() -> int:
        if not (current_user.is_authenticated and current_user.role is Role.STAFF and current_user.department_id):
            return 0
        return operations.overdue_count(current_user.department_id, utcnow())
    return {"overdue_work": count}


MAP_PAGE_SIZE = 20


@web.get("/map")
def neighbourhood_map():
    """Open and recently fixed reports on a map, and under it the same reports as a list: the
    list is the page without JavaScript, and the keyboard's and screen reader's way to them."""
    args = request.args
    status = args.get("status") if args.get("status") in map_rules.STATUSES else "all"
    categories = db.session.execute(select(Category.id, Category.code, Category.name)
                                    .order_by(Category.active.desc(), Category.name)).all()
    chosen = next((c for c in categories if c.code == args.get("category")), None)
    page = min(max(args.get("page", 1, type=int), 1), 10_000)
    found = map_query.listing(now=utcnow(), status=status, category_id=chosen.id if chosen else None,
                              limit=MAP_PAGE_SIZE, offset=(page - 1) * MAP_PAGE_SIZE)
    return render_template("services/map.html", rows=found.rows, total=found.total, page=page,
                           pages=max(1, -(-found.total // MAP_PAGE_SIZE)), status=status,
                           category=chosen.code if chosen else "", categories=categories,
                           names={c.id: c.name for c in categories}, fixed_days=map_rules.FIXED_DAYS,
                           args={k: v for k, v in args.items() if k != "page"})
