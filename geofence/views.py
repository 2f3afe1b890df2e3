"""Pages: the admins' geofences on a map, each fence's page (rename, move, reshape, delete).

Every page is a plain form that works without JavaScript: the drawing tool
(static/js/fence-editor.js) only writes into the form's fields (a circle's centre and radius, a
polygon's WGS-84 GeoJSON), so the server's validation is the one path and its sentences are
shown beside the fields."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.db import db
from core.forms import attempt, attempt_with_status, first_message, load_form, whole
from core.identity.access import roles_required
from core.identity.models import Role
from geofence import operations
from geofence.models import Fence, FenceKind
from geofence.presence_rules import screen_token
from geofence.schemas import FenceEditForm, FenceForm

web = Blueprint("geofence_pages", __name__)

NO_STORE = {"Cache-Control": "no-store"}
# Where the map opens when there is no fence yet: the demo district's community centre.
DEFAULT_CENTRE = (31.1600, 121.5010)




def _shape(fence: Fence) -> dict:
    """What the map draws: WGS-84, as stored."""
    return {"id": fence.id, "name": fence.name, "kind": fence.kind.value, "active": fence.active,
            "lat": fence.center_lat, "lon": fence.center_lon, "radius_m": fence.radius_m, "polygon": fence.polygon,
            "url": url_for("geofence_pages.fence_page", fence_id=fence.id)}


def _as_form(fence: Fence) -> dict:
    form = {"name": fence.name, "version": str(fence.version)}
    if fence.kind is FenceKind.CIRCLE:
        form.update(center_lat=f"{fence.center_lat:.6f}", center_lon=f"{fence.center_lon:.6f}",
                    radius_m=f"{fence.radius_m:g}")
    else:
        form["polygon"] = json.dumps(fence.polygon, separators=(",", ":"))
    return form


@web.route("/admin/fences", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def admin_fences():
    errors: dict = {}
    if request.method == "POST":
        fence, errors = attempt(lambda: operations.create_fence(load_form(FenceForm())))
        if fence is not None:
            flash(_("Geofence %(name)s created.", name=fence.name))
            return redirect(url_for("geofence_pages.admin_fences"))
    fences = list(db.session.scalars(select(Fence).where(Fence.deleted_at.is_(None))
                                     .order_by(Fence.active.desc(), Fence.name).limit(200)))
    centre = (fences[0].center_lat, fences[0].center_lon) if fences else DEFAULT_CENTRE
    return render_template("geofence/admin_fences.html", fences=fences, shapes=[_shape(f) for f in fences],
                           centre=centre, errors=errors, form=request.form), (422 if errors else 200), NO_STORE


def _fence_page(fence: Fence, *, form: dict | None = None, errors: dict | None = None, status: int = 200):
    """The fence's page: what was typed, with the sentences beside it; after a clash (409) the
    fence as it is now, so the admin decides again on the current version."""
    errors = errors or {}
    changed_meanwhile = status == 409
    shown = _as_form(fence) if form is None or changed_meanwhile else form
    return render_template("geofence/fence.html", fence=fence, shape=_shape(fence), form=shown, errors=errors,
                           changed_meanwhile=changed_meanwhile, screen_url=_screen_url(fence)), status, NO_STORE


def _screen_url(fence: Fence) -> str:
    """The signage link that also shows the rotating presence code: only admins see it."""
    token = screen_token(fence.presence_secret, fence.id)
    return url_for("airdrop_pages.signage", fence_id=fence.id, screen=token, _external=True)


@web.post("/admin/fences/<id:fence_id>/screen-code")
@roles_required(Role.ADMIN)
def new_screen_code(fence_id: int):
    """A new presence secret: the old screen link stops showing codes and its codes stop counting."""
    fence = operations.live_fence(fence_id)
    fence.rotate_presence_secret()
    flash(_("New screen code for %(name)s. Open the new screen link on its screen.", name=fence.name))
    return redirect(url_for("geofence_pages.fence_page", fence_id=fence_id) + "#screen-title")


@web.route("/admin/fences/<id:fence_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def fence_page(fence_id: int):
    fence = operations.live_fence(fence_id)
    if request.method == "GET":
        return _fence_page(fence)
    kind = fence.kind
    result, errors, status = attempt_with_status(
        lambda: operations.update_fence(fence_id, load_form(FenceEditForm(kind))))
    if errors:
        fence = db.session.get(Fence, fence_id)  # reloaded: the refusal rolled the session back
        if fence is None or fence.deleted_at is not None:  # another admin deleted it meanwhile
            flash(first_message(errors))
            return redirect(url_for("geofence_pages.admin_fences"))
        return _fence_page(fence, form=request.form.to_dict(), errors=errors, status=status)
    flash(_("Geofence %(name)s saved.", name=result.name))
    return redirect(url_for("geofence_pages.fence_page", fence_id=fence_id))


@web.route("/admin/fences/<id:fence_id>/delete", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def delete_fence(fence_id: int):
    """A confirmation step, then the soft delete (decided on the version the page showed)."""
    fence = operations.live_fence(fence_id)
    if request.method == "GET":
        return render_template("geofence/delete.html", fence=fence, errors={}), 200, NO_STORE
    name = fence.name
    seen = whole(request.form.get("version"))
    seen = seen if isinstance(seen, int) and 0 < seen < 2**31 else 0  # a mangled version matches nothing
    errors, status = attempt_with_status(lambda: operations.delete_fence(fence_id, seen))[1:]
    if errors:
        fence = db.session.get(Fence, fence_id)
        if fence is None or fence.deleted_at is not None:  # another admin deleted it meanwhile
            flash(first_message(errors))
            return redirect(url_for("geofence_pages.admin_fences"))
        return render_template("geofence/delete.html", fence=fence, errors=errors), status, NO_STORE
    flash(_("Geofence %(name)s deleted. It no longer drops coupons.", name=name))
    return redirect(url_for("geofence_pages.admin_fences"))


@web.post("/admin/fences/<id:fence_id>/active")
@roles_required(Role.ADMIN)
def toggle_fence(fence_id: int):
    fence = operations.update_fence(fence_id, {"active": request.form.get("active") == "on"})
    flash(_("Geofence %(name)s switched on.", name=fence.name) if fence.active
          else _("Geofence %(name)s switched off.", name=fence.name))
    return redirect(url_for("geofence_pages.admin_fences"))
