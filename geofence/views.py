"""Pages: the admins' geofence list."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.db import db
from core.forms import attempt, load_form
from core.identity.access import roles_required
from core.identity.models import Role
from geofence import operations
from geofence.models import Fence
from geofence.schemas import FenceForm

web = Blueprint("geofence_pages", __name__)


@web.route("/admin/fences", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def admin_fences():
    errors: dict = {}
    if request.method == "POST":
        fence, errors = attempt(lambda: operations.create_fence(load_form(FenceForm())))
        if fence is not None:
            flash(_("Geofence %(name)s created.", name=fence.name))
            return redirect(url_for("geofence_pages.admin_fences"))
    fences = list(db.session.scalars(select(Fence).order_by(Fence.active.desc(), Fence.name).limit(200)))
    return render_template("geofence/admin_fences.html", fences=fences, errors=errors, form=request.form), \
        (422 if errors else 200)


@web.post("/admin/fences/<id:fence_id>/active")
@roles_required(Role.ADMIN)
def toggle_fence(fence_id: int):
    fence = operations.update_fence(fence_id, {"active": request.form.get("active") == "on"})
    flash(_("Geofence %(name)s switched on.", name=fence.name) if fence.active
          else _("Geofence %(name)s switched off.", name=fence.name))
    return redirect(url_for("geofence_pages.admin_fences"))
