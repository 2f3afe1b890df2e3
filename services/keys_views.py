"""Admins issue and revoke Open311 API keys."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.db import utcnow
from core.identity.access import roles_required
from core.identity.models import Role
from services import keys

web = Blueprint("open311_keys", __name__, url_prefix="/admin/open311-keys")


@web.route("", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def keys_page():
    errors: dict[str, list[str]] = {}
    new_key = None
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if not name:
            errors["name"] = [_("Name the client this key is for.")]
        elif len(name) > keys.MAX_NAME:
            errors["name"] = [_("At most %(n)s characters.", n=keys.MAX_NAME)]
        else:
            new_key, key = keys.issue(name, current_user.id, utcnow())
            flash(_("API key issued for %(name)s.", name=key.name))
    # The new key is shown in this answer and never again: a redirect would have to carry it
    # through the session cookie, which is signed but not encrypted.
    response = render_template("admin/open311_keys.html", keys=keys.listing(), new_key=new_key, errors=errors,
                               form=request.form)
    status = 422 if errors else (201 if new_key else 200)
    return response, status, {"Cache-Control": "no-store"}


@web.post("/<id:key_id>/revoke")
@roles_required(Role.ADMIN)
def revoke(key_id: int):
    key = keys.revoke(key_id, utcnow())
    flash(_("API key of %(name)s revoked: it no longer works.", name=key.name))
    return redirect(url_for("open311_keys.keys_page"))
