"""/api/merchant: a business's profile and coupon campaigns (owners manage, cashiers read)."""

from __future__ import annotations

from functools import wraps

from flask.views import MethodView
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.db import db, utcnow
from core.extensions import Blueprint, problems
from core.identity.access import roles_required
from core.identity.models import Merchant, MerchantRole, Role
from core.pagination import SelectPage
from core.problems import Forbidden
from merchant import operations
from merchant.models import Campaign
from merchant.rules import shows_as
from merchant.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    InventoryIn,
    MerchantOut,
    MerchantPatch,
    StatusQuery,
    TransitionIn,
)

blp = Blueprint("merchant", __name__, url_prefix="/api/merchant", description="Merchant profile and campaigns")

merchant_staff = roles_required(Role.MERCHANT)


def owner_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.merchant_role is not MerchantRole.OWNER:
            raise Forbidden("Only the owner of the business can do this.")
        return view(*args, **kwargs)

    return merchant_staff(wrapper)


def status_filter(stmt, status: str, now):
    """Campaigns that show as `status`: merchant.rules.shows_as over the columns."""
    return stmt.where(shows_as(status, status=Campaign.status, starts_at=Campaign.starts_at,
                               ends_at=Campaign.ends_at, now=now))


@blp.route("/profile")
class Profile(MethodView):
    @merchant_staff
    @blp.response(200, MerchantOut)
    def get(self):
        """My business"""
        return db.session.get(Merchant, current_user.merchant_id)

    @owner_only
    @blp.arguments(MerchantPatch())
    @blp.response(200, MerchantOut)
    def patch(self, data):
        """Change my business's name, address, location, opening hours or tags"""
        merchant = operations.update_merchant(db.session.get(Merchant, current_user.merchant_id), data)
        return merchant


@blp.route("/campaigns")
class Campaigns(MethodView):
    @merchant_staff
    @blp.arguments(StatusQuery(), location="query")
    @blp.response(200, CampaignOut(many=True))
    @blp.paginate(SelectPage)
    def get(self, query):
        """My campaigns, newest first"""
        stmt = (select(Campaign).where(Campaign.merchant_id == current_user.merchant_id)
                .options(selectinload(Campaign.targets)).order_by(Campaign.id.desc()))
        return status_filter(stmt, query["status"], utcnow()) if "status" in query else stmt

    @owner_only
    @blp.arguments(CampaignIn())
    @blp.response(201, CampaignOut)
    def post(self, data):
        """Create a campaign (as a draft)"""
        campaign = operations.create_campaign(current_user.merchant_id, data)
        return campaign


@blp.route("/campaigns/<id:campaign_id>")
class CampaignItem(MethodView):
    @merchant_staff
    @blp.response(200, CampaignOut)
    def get(self, campaign_id):
        """One of my campaigns"""
        return operations.get_campaign(current_user.merchant_id, campaign_id)

    @owner_only
    @blp.arguments(CampaignPatch())
    @blp.response(200, CampaignOut)
    @problems((409, "The campaign has ended, its terms cannot change once published, or it changed meanwhile"))
    def patch(self, data, campaign_id):
        """Change a campaign (terms only while it is a draft)"""
        campaign = operations.update_campaign(operations.get_campaign(current_user.merchant_id, campaign_id), data,
                                              now=utcnow())
        return campaign


@blp.route("/campaigns/<id:campaign_id>/state")
class CampaignState(MethodView):
    @owner_only
    @blp.arguments(TransitionIn())
    @blp.response(200, CampaignOut)
    @problems((409, "Not possible from the campaign's state, or it changed meanwhile"))
    def post(self, data, campaign_id):
        """Publish, pause, resume or end a campaign"""
        campaign = operations.change_state(operations.get_campaign(current_user.merchant_id, campaign_id),
                                           data["action"], now=utcnow(), end_policy=data.get("end_policy"))
        return campaign


@blp.route("/campaigns/<id:campaign_id>/inventory")
class CampaignInventory(MethodView):
    @owner_only
    @blp.arguments(InventoryIn())
    @blp.response(200, CampaignOut)
    @problems((409, "The campaign has ended, or the total is below what has been collected"))
    def post(self, data, campaign_id):
        """Set the total inventory (never below what has been collected)"""
        campaign = operations.set_inventory(operations.get_campaign(current_user.merchant_id, campaign_id),
                                            data["inventory_total"])
        return campaign
