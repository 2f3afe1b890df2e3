"""The owner's campaign pages: list, create, and manage one campaign from a phone."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.db import db, utcnow
from core.forms import attempt, first_message, load_form
from core.identity.models import Merchant
from core.identity.rules import N_
from geofence.operations import active_fence_names
from merchant import operations
from merchant.api import owner_only
from merchant.models import Campaign
from merchant.rules import BUTTONS, STATUS_LABELS, allowed_actions, display_status
from merchant.schemas import CampaignForm, CampaignTextsForm, InventoryForm, ShopForm, TransitionIn
from merchant.texts import text_of, texts_of

web = Blueprint("merchant_pages", __name__, url_prefix="/merchant")
DAYS = [(0, _l("Mon")), (1, _l("Tue")), (2, _l("Wed")), (3, _l("Thu")), (4, _l("Fri")), (5, _l("Sat")),
        (6, _l("Sun"))]


def _fences():
    return active_fence_names()


def _say(errors: dict) -> str:
    """A refusal in the owner's language (core.forms.attempt): a field's sentence, or one line."""
    fields = {k: v for k, v in errors.items() if k != "_"}
    if fields:
        return first_message(fields)
    return _("That is not possible for this campaign right now.")


@web.app_template_global("tr")
def tr(obj, field: str) -> str:
    """A merchant's text in the reader's language, else the other one: `{{ tr(shop, 'name') }}`.
    Plain str, never Markup, never through gettext: autoescape escapes it like any data."""
    return text_of(obj, field, get_locale())


@web.app_template_global("given_in")
def given_in(obj, field: str) -> dict:
    """The languages a text was given in, for the two boxes of a form."""
    return texts_of(obj, field)


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
            current_user.merchant_id, load_form(CampaignForm())))
        if campaign is not None:
            flash(_("Draft saved. Publish it when you are ready."))
            return redirect(url_for("merchant_pages.campaign", campaign_id=campaign.id))
    return render_template("merchant/new_campaign.html", errors=errors, form=request.form, fences=_fences(),
                           days=DAYS), (422 if errors else 200)


@web.get("/campaigns/<id:campaign_id>")
@owner_only
def campaign(campaign_id: int, errors: dict | None = None):
    c = operations.get_campaign(current_user.merchant_id, campaign_id)
    names = dict(_fences())
    status = display_status(c.status.value, c.starts_at, c.ends_at, utcnow())
    # The texts form shows what was typed after a refusal, else what is stored.
    texts = ({name: {"en": request.form.get(name, ""), "zh": request.form.get(f"{name}_zh", "")}
              for name in CampaignTextsForm.TEXTS} if errors else
             {name: texts_of(c, name) for name in CampaignTextsForm.TEXTS})
    return render_template("merchant/campaign.html", c=c, status=status,
                           actions=allowed_actions(c.status.value, status), buttons=BUTTONS,
                           fence_names=[names.get(i, f"#{i}") for i in c.target_fence_ids], days=dict(DAYS),
                           texts=texts, errors=errors or {}), (422 if errors else 200)


@web.post("/campaigns/<id:campaign_id>/texts")
@owner_only
def texts(campaign_id: int):
    """The title and description in English and Chinese; allowed while published too.

    The page's version decides: a campaign changed on another phone since this page was shown is
    not overwritten (the ORM's UPDATE ... WHERE version = the one read catches a change committed
    in between)."""
    c = operations.get_campaign(current_user.merchant_id, campaign_id)

    def change():
        data = load_form(CampaignTextsForm())
        if data.pop("version") != c.version:
            raise operations.CampaignStateConflict(
                N_("This campaign was changed on another device meanwhile. Here it is as it is now."))
        return operations.update_campaign(c, data, now=utcnow())
    _done, errors = attempt(change)
    if errors and set(errors) <= {"_"}:  # not about a box: say it at the top of the page as it is now
        flash(first_message(errors))
        return redirect(url_for("merchant_pages.campaign", campaign_id=campaign_id))
    if errors:
        return campaign(campaign_id, errors=errors)
    flash(_("Campaign updated."))
    return redirect(url_for("merchant_pages.campaign", campaign_id=campaign_id))


@web.post("/campaigns/<id:campaign_id>/state")
@owner_only
def change_state(campaign_id: int):
    c = operations.get_campaign(current_user.merchant_id, campaign_id)

    def change():
        data = load_form(TransitionIn())
        return operations.change_state(c, data["action"], now=utcnow(), end_policy=data.get("end_policy"))
    _done, errors = attempt(change)
    flash(_say(errors) if errors else _("Campaign updated."))
    return redirect(url_for("merchant_pages.campaign", campaign_id=campaign_id))


@web.post("/campaigns/<id:campaign_id>/inventory")
@owner_only
def inventory(campaign_id: int):
    c = operations.get_campaign(current_user.merchant_id, campaign_id)
    _done, errors = attempt(lambda: operations.set_inventory(c, load_form(InventoryForm())["inventory_total"]))
    flash(_say(errors) if errors else _("Inventory is now %(n)s.", n=c.inventory_total))
    return redirect(url_for("merchant_pages.campaign", campaign_id=campaign_id))


@web.route("/shop", methods=["GET", "POST"])
@owner_only
def shop():
    """The shop's name, address and opening hours as residents read them, in both languages.

    No version check: a business has one owner (uq_user_account_one_owner), so two people never
    edit these at once; the same owner on two phones gets the last save, as they would expect."""
    merchant = db.session.get(Merchant, current_user.merchant_id)
    errors: dict = {}
    if request.method == "POST":
        _done, errors = attempt(lambda: operations.update_merchant(merchant, load_form(ShopForm())))
        if not errors:
            flash(_("Shop details saved."))
            return redirect(url_for("merchant_pages.shop"))
    values = ({name: {"en": request.form.get(name, ""), "zh": request.form.get(f"{name}_zh", "")}
               for name in ShopForm.TEXTS} if errors else {name: texts_of(merchant, name) for name in ShopForm.TEXTS})
    return render_template("merchant/shop.html", values=values, errors=errors), (422 if errors else 200)
