"""/api/reports and /api/staff: reports as JSON (the pages and Open311 share the operations)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from marshmallow import fields

from core.db import db, utcnow
from core.extensions import Blueprint, problems
from core.identity.access import roles_required
from core.identity.models import Role
from core.pagination import MAX_OFFSET
from core.ratelimit import account_or_address, rate_limit
from core.schemas import Float, Id, Integer, Length, OneOf, Range, StrictSchema
from services import operations
from services.models import Category, Status
from services.operations import NewReport, area_of

blp = Blueprint("services", __name__, url_prefix="/api", description="Service requests and work orders")


class NearbyQuery(StrictSchema):
    category = fields.String(required=True, validate=Length(min=1, max=40))
    # Query strings are text: parsed here, unlike strict JSON numbers in bodies.
    lat = fields.Float(required=True, allow_nan=False, validate=Range(-90, 90))
    lon = fields.Float(required=True, allow_nan=False, validate=Range(-180, 180))


class NearbyItem(StrictSchema):
    ref = fields.String()
    description = fields.String()
    lat = fields.Float(metadata={"description": "WGS-84, as on its public page's map"})
    lon = fields.Float()
    distance_m = Integer()
    supporters = Integer()
    created_at = fields.AwareDateTime()
    status = fields.String()


class NearbyOut(StrictSchema):
    nearby = fields.List(fields.Nested(NearbyItem), metadata={"description": "At most five, nearest first"})


class ReportIn(StrictSchema):
    service_code = fields.String(required=True, validate=Length(min=1, max=40))
    description = fields.String(required=True, validate=Length(min=1, max=4000))
    lat = Float(validate=Range(-90, 90), allow_none=True)
    lon = Float(validate=Range(-180, 180), allow_none=True)
    address = fields.String(validate=Length(max=255))
    answers = fields.Dict(keys=fields.String(validate=Length(max=40)), load_default=dict)


class ReportOut(StrictSchema):
    ref = fields.String()
    service_code = fields.String()
    status = fields.String()
    description = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    address = fields.String()
    supporters = Integer()
    created_at = fields.AwareDateTime()
    expected_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    resolution = fields.String(allow_none=True)


class QueueQuery(StrictSchema):
    status = fields.String(validate=OneOf([s.value for s in Status if s is not Status.RESOLVED]))
    category_id = Id()
    area_id = Id()
    overdue = fields.Boolean(load_default=False)


class QueueItem(StrictSchema):
    ref = fields.String()
    category_id = Integer()
    status = fields.String()
    description = fields.String()
    supporters = Integer()
    reopened = fields.Boolean()
    created_at = fields.AwareDateTime()
    expected_at = fields.AwareDateTime()
    assignee_id = Integer(allow_none=True)


def report_limit() -> str:
    return current_app.config["REPORT_RATE_LIMIT"]


def _out(report, code: str | None = None) -> dict:
    code = code or db.session.get(Category, report.category_id).code
    return {"ref": report.ref, "service_code": code, "status": report.status.value,
            "description": report.description, "lat": report.lat, "lon": report.lon, "address": report.address,
            "supporters": report.supporters, "created_at": report.created_at, "expected_at": report.expected_at,
            "closed_at": report.closed_at, "resolution": report.resolution.value if report.resolution else None}


@blp.route("/reports/nearby")
class Nearby(MethodView):
    @blp.arguments(NearbyQuery(), location="query")
    @blp.response(200, NearbyOut)
    @problems((404, "No such service category"))
    def get(self, query):
        """Open reports of this kind within about 50 m: support one instead of filing a duplicate"""
        category = operations.category_by_code(query["category"])
        return {"nearby": operations.nearby_open(category.id, query["lat"], query["lon"])}


@blp.route("/reports")
class Reports(MethodView):
    @roles_required(Role.RESIDENT)
    @rate_limit(report_limit, key=account_or_address, scope="report")
    @blp.arguments(ReportIn())
    @blp.response(201, ReportOut)
    @problems((404, "No such service (service_code)"))
    def post(self, data):
        """File a report (photos are added through the report page)"""
        report = operations.file_report(NewReport(
            category_code=data["service_code"], description=data["description"], lat=data.get("lat"),
            lon=data.get("lon"), address=data.get("address"), answers=data["answers"], reporter_id=current_user.id),
            now=utcnow(), area_of=area_of)
        # Built before the commit: afterwards every attribute would be reloaded from the database.
        out = _out(report, data["service_code"])
        return out


@blp.route("/reports/<ref>")
class Report(MethodView):
    @blp.response(200, ReportOut)
    def get(self, ref):
        """A report by its public reference (no personal details)"""
        return _out(operations.by_ref(ref))


@blp.route("/staff/queue")
class Queue(MethodView):
    @roles_required(Role.STAFF)
    @blp.arguments(QueueQuery(), location="query")
    @blp.response(200, QueueItem(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """My department's open work: reopened first, then overdue, most supported, oldest"""
        found = operations.queue(current_user.department_id, utcnow(), limit=pagination_parameters.page_size,
                                 offset=min(pagination_parameters.first_item, MAX_OFFSET),
                                 status=query.get("status"), category_id=query.get("category_id"),
                                 area_fence_id=query.get("area_id"), overdue=query["overdue"])
        pagination_parameters.item_count = found.total
        return found.reports

