"""/api/fences (public) and /api/admin/fences."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields
from sqlalchemy import select

from core.extensions import Blueprint, problems
from core.identity.access import roles_required
from core.identity.models import Role
from core.pagination import SelectPage
from core.schemas import MAX_ID, Range, StrictSchema
from geofence import operations
from geofence.models import Fence
from geofence.schemas import FenceIn, FenceOut, FencePatch

blp = Blueprint("fences", __name__, url_prefix="/api", description="Geofences around community centres")

CONFLICT = (409, "Another admin changed (or deleted) the fence since `version`: the answer's `current` is the "
                 "fence as it is now (null when deleted)")


class DeleteQuery(StrictSchema):
    # A query string is text: parsed from digits ("2.5" is still refused).
    version = fields.Integer(validate=Range(1, MAX_ID), metadata={
        "description": "the version the deletion was decided on (409 if the fence changed since)"})


@blp.route("/fences")
class Fences(MethodView):
    @blp.response(200, FenceOut(many=True))
    @blp.paginate(SelectPage)
    def get(self):
        """Active geofences (public: they are community centres); deleted ones are gone"""
        return select(Fence).where(Fence.active.is_(True), Fence.deleted_at.is_(None)).order_by(Fence.id)


@blp.route("/admin/fences")
class AdminFences(MethodView):
    @roles_required(Role.ADMIN)
    @blp.arguments(FenceIn())
    @blp.response(201, FenceOut)
    def post(self, data):
        """Create a circle or polygon geofence"""
        fence = operations.create_fence(data)
        return fence


@blp.route("/admin/fences/<id:fence_id>")
class AdminFence(MethodView):
    @roles_required(Role.ADMIN)
    @blp.arguments(FencePatch())
    @blp.response(200, FenceOut)
    @problems(404, CONFLICT)
    def patch(self, data, fence_id):
        """Rename, move or resize a circle, redraw a polygon, or switch a geofence off

        A polygon is checked as on creation (valid GeoJSON, not crossing itself, at most 500 corners,
        at most 50 km across); a circle keeps its kind, a polygon too. Every worker's index follows
        within `LINLI_FENCE_INDEX_CHECK_S`."""
        fence = operations.update_fence(fence_id, data)
        return fence

    @roles_required(Role.ADMIN)
    @blp.arguments(DeleteQuery(), location="query")
    @blp.response(204)
    @problems(404, CONFLICT)
    def delete(self, query, fence_id):
        """Delete a geofence: it stops dropping coupons on every worker within `LINLI_FENCE_INDEX_CHECK_S`

        The row is kept (deleted, inactive), so campaigns keep their targets and coupons the fence
        they dropped in; it is gone from every list and can't be edited or switched on again."""
        operations.delete_fence(fence_id, query.get("version"))
