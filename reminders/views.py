"""/settings/notifications: a resident's devices, kinds, quiet hours and the shops and places they
follow. A plain form (works without JavaScript); only "Turn on for this phone" needs it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.db import db
from core.identity.access import roles_required
from core.identity.models import Merchant, Role
from core.problems import NotFound
from core.redirects import same_site_path
from geofence.models import Fence
from reminders import operations, rules
from reminders.models import ShopFollow

web = Blueprint("reminders", __name__, url_prefix="/settings")
resident = roles_required(Role.RESIDENT)


def _page(errors: dict | None = None, status: int = 200):
    shops_followed, fences_followed = operations.followed(current_user.id)
    shops = list(db.session.scalars(select(Merchant).order_by(Merchant.name).limit(100)))
    fences = list(db.session.scalars(select(Fence).where(Fence.active.is_(True)).order_by(Fence.name).limit(50)))
    return render_template("reminders/settings.html", devices=operations.devices(current_user.id),
                           prefs=operations.preferences(current_user.id), shops=shops, fences=fences,
                           shops_followed=shops_followed, fences_followed=fences_followed, errors=errors or {},
                           budget=current_app.config["PUSH_DAILY_BUDGET"]), status


@web.get("/notifications")
@resident
def settings():
    return _page()


def _ids(name: str) -> set[int]:
    return {int(v) for v in request.form.getlist(name) if v.isdigit()}


@web.post("/notifications")
@resident
def save():
    form, errors = request.form, {}
    try:
        start, end = rules.parse_clock(form.get("quiet_start")), rules.parse_clock(form.get("quiet_end"))
    except ValueError:
        start = end = None
        errors["quiet_start"] = [_("Give both times as HH:MM, or leave both empty.")]
    if (start is None) != (end is None) and not errors:
        errors["quiet_start"] = [_("Give both times as HH:MM, or leave both empty.")]
    if errors:
        db.session.rollback()
        return _page(errors, 422)
    operations.save_preferences(current_user.id, rules.Preferences(
        airdrops=form.get("airdrops") == "on", reports=form.get("reports") == "on",
        expiring=form.get("expiring") == "on", quiet_start=start, quiet_end=end))
    operations.set_follows(current_user.id, merchant_ids=_ids("shop"), fence_ids=_ids("fence"))
    flash(_("Your notification settings are saved."))
    return redirect(url_for("reminders.settings"))


@web.app_template_global("follows_shop")
def follows_shop(merchant_id: int) -> bool:
    if not current_user.is_authenticated or current_user.role is not Role.RESIDENT:
        return False
    return db.session.get(ShopFollow, (current_user.id, merchant_id)) is not None


@web.post("/notifications/shops/<int:merchant_id>")
@resident
def follow_shop(merchant_id: int):
    """The coupon page's "Follow this shop" button (a form: works without JavaScript)."""
    try:
        operations.follow_shop(current_user.id, merchant_id, follow=request.form.get("follow") != "off")
    except NotFound:
        db.session.rollback()
        return _page(status=404)
    return redirect(same_site_path(request.form.get("next")) or url_for("reminders.settings"))


@web.post("/notifications/devices/<int:subscription_id>/remove")
@resident
def remove_device(subscription_id: int):
    try:
        operations.unsubscribe(current_user.id, subscription_id=subscription_id)
    except NotFound:
        db.session.rollback()
        return _page(status=404)
    flash(_("That device will get no more notifications."))
    return redirect(url_for("reminders.settings"))
