"""The owner's campaign pages: list, create, and manage one campaign from a phone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.config import district_tz
from core.db import db, utcnow
from core.forms import attempt, first_message
from geofence.operations import active_fence_names
from merchant import operations
from merchant.api import owner_only
from merchant.models import Campaign, EndPolicy
from merchant.rules import BUTTONS, STATUS_LABELS, allowed_actions, display_status
from merchant.schemas import CampaignIn

web = Blueprint("merchant_pages", __name__, url_prefix="/merchant")
DAYS = [(0, _l("Mon")), (1, _l("Tue")), (2, _l("Wed")), (3, _l("Thu")), (4, _l("Fri")), (5, _l("Sat")),
        (6, _l("Sun"))]


def _cents(raw: str | None):
    """'5', '5.5' or '5.50' yuan to cents; anything else is passed on for the schema to refuse."""
    try:
        value = Decimal((raw or "").strip())
    except InvalidOperation:
        return raw
    cents = value * 100
    return int(cents) if cents == cents.to_integral_value() else raw


def _int(raw: str | None):
    return int(raw) if raw and raw.strip().isdigit() else raw


def _local_iso(raw: str | None) -> str | None:
    """A datetime-local input, read in the district's time zone."""
    try:
        naive = datetime.fromisoformat(raw or "")
    except ValueError:
        return raw
    return naive.replace(tzinfo=district_tz()).isoformat()


def _form_to_campaign(form) -> dict:
    valid_days = _int(form.get("valid_days"))
    data = {
        "title": form.get("title", "").strip(), "description": form.get("description", "").strip(),
        "discount_kind": form.get("discount_kind", "amount"),
        "min_spend_cents": _cents(form.get("min_spend_yuan") or "0"),
        "starts_at": _local_iso(form.get("starts_at")), "ends_at": _local_iso(form.get("ends_at")),
        "coupon_valid_s": valid_days * 86400 if isinstance(valid_days, int) else valid_days,
        "inventory_total": _int(form.get("inventory_total")),
        "per_resident_limit": _int(form.get("per_resident_limit") or "1"),
        "target_fence_ids": [int(i) for i in form.getlist("fence") if i.isdigit()],
        "tags": [t.strip().lower() for t in form.get("tags", "").replace("，", ",").split(",") if t.strip()],
    }
    if data["discount_kind"] == "amount":
        data["amount_off_cents"] = _cents(form.get("amount_off_yuan"))
    else:
        data["percent_off"] = _int(form.get("percent_off"))
        if form.get("percent_cap_yuan"):
            data["percent_cap_cents"] = _cents(form.get("percent_cap_yuan"))
    days = [int(d) for d in form.getlist("day") if d.isdigit()]
    if form.get("window") == "times":
        data["airdrop_windows"] = [{"days": days, "start": form.get("window_start", ""),
                                    "end": form.get("window_end", "")}]
    else:
        data["airdrop_windows"] = []
    return data


def _fences():
    return active_fence_names()


def _say(errors: dict) -> str:
    """A refusal in the owner's language: field messages are in the catalogue, the rest is one line."""
    fields = {k: v for k, v in errors.items() if k != "_"}
    if fields:
        return _(first_message(fields))
    return _("That is not possible for this campaign right now.")


@web.app_context_processor
def campaign_labels():
    return {"campaign_status_labels": STATUS_LABELS}


@web.get("/campaigns")
@owner_only
def campaigns():
    now = utcnow()
    rows = db.session.scalars(select(Campaign).where(Campaign.merchant_id == current_user.merchant_id)
                              .order_by(Campaign.id.desc()).limit(100))
    items = [(c, display_status(c.status.value, c.starts_at, c.ends_at, now)) for c in rows]
    return render_template("merchant/campaigns.html", items=items)


@web.route("/campaigns/new", methods=["GET", "POST"])
@owner_only
def new_campaign():
    errors: dict = {}
    if request.method == "POST":
        campaign, errors = attempt(lambda: operations.create_campaign(
            current_user.merchant_id, CampaignIn().load(_form_to_campaign(request.form))))
        if campaign is not None:
            flash(_("Draft saved. Publish it when you are ready."))
            return redirect(url_for("merchant_pages.campaign", campaign_id=campaign.id))
    return render_template("merchant/new_campaign.html", errors=errors, form=request.form, fences=_fences(),
                           days=DAYS), (422 if errors else 200)


@web.get("/campaigns/<id:campaign_id>")
@owner_only
def campaign(campaign_id: int):
    c = operations.get_campaign(current_user.merchant_id, campaign_id)
    names = dict(_fences())
    status = display_status(c.status.value, c.starts_at, c.ends_at, utcnow())
    return render_template("merchant/campaign.html", c=c, status=status,
                           actions=allowed_actions(c.status.value, status), buttons=BUTTONS,
                           fence_names=[names.get(i, f"#{i}") for i in c.target_fence_ids], days=dict(DAYS))


@web.post("/campaigns/<id:campaign_id>/state")
@owner_only
def change_state(campaign_id: int):
    c = operations.get_campaign(current_user.merchant_id, campaign_id)
    policy = request.form.get("end_policy")
    _done, errors = attempt(lambda: operations.change_state(
        c, request.form.get("action", ""), now=utcnow(),
        end_policy=EndPolicy(policy) if policy in ("honour", "void") else None))
    flash(_say(errors) if errors else _("Campaign updated."))
    return redirect(url_for("merchant_pages.campaign", campaign_id=campaign_id))


@web.post("/campaigns/<id:campaign_id>/inventory")
@owner_only
def inventory(campaign_id: int):
    c = operations.get_campaign(current_user.merchant_id, campaign_id)
    new_total = _int(request.form.get("inventory_total"))
    if not isinstance(new_total, int) or new_total < 1:
        flash(_("Enter a whole number of coupons."))
    else:
        _done, errors = attempt(lambda: operations.set_inventory(c, new_total))
        flash(_say(errors) if errors else _("Inventory is now %(n)s.", n=new_total))
    return redirect(url_for("merchant_pages.campaign", campaign_id=campaign_id))
