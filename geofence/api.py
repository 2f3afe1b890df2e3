"""/api/fences (public) and /api/admin/fences."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from core.extensions import Blueprint
from core.identity.access import roles_required
from core.identity.models import Role
from core.pagination import SelectPage
from geofence import operations
from geofence.models import Fence
from geofence.schemas import FenceIn, FenceOut, FencePatch

blp = Blueprint("fences", __name__, url_prefix="/api", description="Geofences around community centres")


@blp.route("/fences")
class Fences(MethodView):
    @blp.response(200, FenceOut(many=True))
    @blp.paginate(SelectPage)
    def get(self):
        """Active geofences (public: they are community centres)"""
        return select(Fence).where(Fence.active.is_(True)).order_by(Fence.id)


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
    def patch(self, data, fence_id):
        """Rename, resize, or switch a geofence off"""
        fence = operations.update_fence(fence_id, data)
        return fence
