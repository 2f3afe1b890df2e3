"""Staff pages for residents without a smartphone: find the resident, give a coupon that is
live now, and print a coupon as a one-time code the till can scan or type."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.config import district_tz
from core.db import db, utcnow
from core.forms import attempt
from core.identity.access import roles_required
from core.identity.models import Merchant, Role, User
from core.identity.rules import N_
from core.problems import NotFound
from merchant import printed, tokens
from merchant.claims import ClaimRefused, claim
from merchant.models import Campaign, CampaignStatus
from wallet import assisted
from wallet.queries import coupon_view, my_coupon, shelf_query

web = Blueprint("assisted", __name__, url_prefix="/staff/coupons")
staff_only = roles_required(Role.STAFF, Role.ADMIN)
REASONS = {
    "already_today": N_("the resident already has it today"),
    "limit_reached": N_("the resident has as many as a resident may hold"),
    "budget_used": N_("the resident has had today's coupons"),
    "sold_out": N_("the campaign has none left"),
}


def _live_campaigns(now):
    return db.session.execute(
        select(Campaign.id, Campaign.title, Merchant.name.label("merchant_name"))
        .join(Merchant, Merchant.id == Campaign.merchant_id)
        .where(Campaign.status == CampaignStatus.PUBLISHED, Campaign.starts_at <= now, Campaign.ends_at > now,
               Campaign.remaining > 0)
        .order_by(Merchant.name, Campaign.title).limit(50)).all()


@web.get("")
@staff_only
def find():
    who = request.args.get("who", "").strip()
    resident, coupons, campaigns, problem, new_phone = None, [], [], None, None
    if who:
        try:
            resident = assisted.find_resident(who)
        except NotFound as exc:
            problem = _(exc.detail)
            new_phone = assisted.unregistered_phone(who)
        else:
            now = utcnow()
            query = shelf_query(resident.id, "usable", now)
            rows = db.session.execute(query.rows, {**query.params, "limit": 50, "offset": 0})
            coupons = [coupon_view(row, now) for row in rows]
            campaigns = _live_campaigns(now)
    return render_template("wallet/assisted.html", who=who, resident=resident, coupons=coupons,
                           campaigns=campaigns, problem=problem, new_phone=new_phone, errors={},
                           form={}), (404 if problem else 200)


@web.post("/register")
@staff_only
def register():
    """Someone at the desk with no account: a name and a mobile number, then their coupon."""
    form = request.form
    result, errors = attempt(lambda: assisted.register_resident(display_name=form.get("display_name", ""),
                                                                phone=form.get("phone", "")))
    if errors:
        return render_template("wallet/assisted.html", who=form.get("phone", "").strip(), resident=None, coupons=[],
                               campaigns=[], problem=None, new_phone=form.get("phone", "").strip(), errors=errors,
                               form=form), 422
    resident, created = result
    if created:
        flash(_("%(name)s is registered. Give a coupon, then print it.", name=resident.display_name))
    else:
        flash(_("This mobile number is already registered to %(name)s.", name=resident.display_name))
    return redirect(url_for("assisted.find", who=resident.identifier))


@web.post("/give")
@staff_only
def give():
    resident = db.session.get(User, request.form.get("resident_id", type=int) or 0)
    campaign = db.session.get(Campaign, request.form.get("campaign_id", type=int) or 0)
    if resident is None or resident.role is not Role.RESIDENT or campaign is None:
        raise NotFound("No such resident or campaign.")
    tz, now = district_tz(), utcnow()
    try:  # the same limits as an airdrop, the daily budget included
        claim(resident_id=resident.id, campaign=campaign, fence_id=None, now=now, local_day=now.astimezone(tz).date(),
              daily_budget=current_app.config["AIRDROP_DAILY_BUDGET"], tz=tz)
    except ClaimRefused as refused:  # a refused claim leaves nothing behind (merchant.claims)
        flash(_("This coupon cannot be given now (%(reason)s).", reason=_(REASONS[refused.reason])))
    else:
        flash(_("Coupon given. Print it for the resident below."))
    return redirect(url_for("assisted.find", who=resident.identifier))


@web.post("/<id:coupon_id>/print")
@staff_only
def print_coupon(coupon_id: int):
    resident_id = request.form.get("resident_id", type=int) or 0
    slip = printed.print_code(coupon_id=coupon_id, resident_id=resident_id, staff_id=current_user.id,
                                  now=utcnow(), key=tokens.printed_key(current_app.config["SECRET_KEY"]))
    coupon = my_coupon(resident_id, coupon_id, utcnow())
    resident = db.session.get(User, resident_id)
    svg = qrcode.make(slip.payload, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    return render_template("wallet/printed.html", coupon=coupon, digits=tokens.group_digits(slip.digits),
                           qr_svg=svg.to_string(encoding="unicode"),
                           back=url_for("assisted.find", who=resident.identifier if resident else None))
