"""Campaign use cases for a merchant owner. They flush and send signals; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm.exc import StaleDataError

from core.db import db
from core.identity.models import Merchant
from core.identity.rules import N_
from core.problems import Conflict, NotFound, ValidationFailed
from geofence.models import Fence
from merchant import rules
from merchant.claims import void_unredeemed
from merchant.models import Campaign, CampaignStatus, CampaignTarget, EndPolicy
from merchant.signals import campaign_changed, campaign_ended
from merchant.texts import apply_texts

# "texts": the title and description in either language (merchant.schemas._Texts).
EDITABLE_WHEN_PUBLISHED = {"texts", "airdrop_windows", "target_fence_ids", "tags", "ends_at"}
# Texts that must stay given in one language at least.
REQUIRED_TEXTS = {"title", "name", "address"}


class CampaignStateConflict(Conflict):
    type, title = "/problems/campaign-state", "Not possible in this state"


def get_campaign(merchant_id: int, campaign_id: int) -> Campaign:
    """A campaign of this merchant; someone else's id is simply not found."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.id == campaign_id,
                                                        Campaign.merchant_id == merchant_id))
    if campaign is None:
        raise NotFound("No such campaign.")
    return campaign


def target_ids(campaign_id: int) -> list[int]:
    return list(db.session.scalars(select(CampaignTarget.fence_id).where(CampaignTarget.campaign_id == campaign_id)
                                   .order_by(CampaignTarget.fence_id)))


def _set_targets(campaign_id: int, fence_ids: list[int]) -> None:
    wanted = sorted(set(fence_ids))
    found = set(db.session.scalars(select(Fence.id).where(Fence.id.in_(wanted), Fence.active.is_(True))))
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationFailed("Unknown geofence.", errors={"target_fence_ids": [N_("Unknown geofence.")]},
                               unknown=missing)
    db.session.execute(delete(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id))
    db.session.add_all(CampaignTarget(campaign_id=campaign_id, fence_id=i) for i in wanted)


def _set_texts(obj, texts: dict) -> None:
    """Both languages of each text (merchant.texts); a required one left with neither is refused."""
    missing = sorted(set(apply_texts(obj, texts)) & REQUIRED_TEXTS)
    if missing:
        raise ValidationFailed("Give this text in English, in Chinese, or in both.",
                               errors={f: [N_("Give this text in English, in Chinese, or in both.")]
                                       for f in missing})


def create_campaign(merchant_id: int, data: dict) -> Campaign:
    data = dict(data)
    targets = data.pop("target_fence_ids", [])
    texts = data.pop("texts", {})
    campaign = Campaign(merchant_id=merchant_id, remaining=data["inventory_total"], status=CampaignStatus.DRAFT,
                        translations={}, **data)
    _set_texts(campaign, texts)
    db.session.add(campaign)
    db.session.flush()
    _set_targets(campaign.id, targets)
    db.session.flush()
    campaign_changed.send(campaign)
    return campaign


def update_campaign(campaign: Campaign, data: dict, *, now: datetime) -> Campaign:
    if campaign.status is CampaignStatus.ENDED:
        raise CampaignStateConflict("An ended campaign cannot change.")
    if campaign.status is not CampaignStatus.DRAFT and set(data) - EDITABLE_WHEN_PUBLISHED:
        fields = sorted(set(data) - EDITABLE_WHEN_PUBLISHED)
        raise CampaignStateConflict("Terms cannot change once published.",
                                    errors={f: [N_("Cannot change once published.")] for f in fields})
    data = dict(data)
    if "target_fence_ids" in data:
        _set_targets(campaign.id, data.pop("target_fence_ids"))
    _set_texts(campaign, data.pop("texts", {}))
    for key, value in data.items():
        setattr(campaign, key, value)
    if campaign.ends_at <= campaign.starts_at:
        raise ValidationFailed("The campaign must end after it starts.",
                               errors={"ends_at": [N_("Must be after the start.")]})
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise CampaignStateConflict("The campaign changed meanwhile; reload and try again.") from exc
    campaign_changed.send(campaign)
    return campaign


def change_state(campaign: Campaign, action: str, *, now: datetime, end_policy: EndPolicy | None = None) -> Campaign:
    try:
        new = rules.next_status(campaign.status.value, action)
    except rules.InvalidTransition as exc:
        raise CampaignStateConflict(str(exc)) from exc
    values: dict = {"status": CampaignStatus(new)}
    if action == "publish" and not target_ids(campaign.id):
        raise ValidationFailed("Choose at least one geofence first.",
                               errors={"target_fence_ids": [N_("Choose at least one geofence.")]})
    if action == "end":
        if end_policy is None:
            raise ValidationFailed("Say whether collected coupons are honoured or voided.",
                                   errors={"end_policy": [N_("Choose honour or void.")]})
        values.update(end_policy=end_policy, ended_at=now)
    # Conditional on the state we read: two owners tapping at once cannot both succeed, and the
    # version bump makes any edit still based on the old state fail too.
    changed = db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id, Campaign.status == campaign.status)
        .values(**values, version=Campaign.version + 1)
        .returning(Campaign.id)).scalar_one_or_none()
    if changed is None:
        raise CampaignStateConflict("The campaign changed meanwhile; reload and try again.")
    db.session.refresh(campaign)
    if action == "end":
        if campaign.end_policy is EndPolicy.VOID:
            void_unredeemed(campaign.id, reason="campaign_ended")
        campaign_ended.send(campaign)
    campaign_changed.send(campaign)
    return campaign


def set_inventory(campaign: Campaign, new_total: int) -> Campaign:
    """Raise, or lower down to what residents have collected; the database checks, not Python."""
    if campaign.status is CampaignStatus.ENDED:
        raise CampaignStateConflict("An ended campaign cannot change.")
    changed = db.session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.inventory_total - Campaign.remaining <= new_total)
        .values(remaining=Campaign.remaining + (new_total - Campaign.inventory_total), inventory_total=new_total)
        .returning(Campaign.id)).scalar_one_or_none()
    if changed is None:
        raise CampaignStateConflict("Inventory cannot go below what has been collected.",
                                    errors={"inventory_total": [N_("Below what has been collected.")]})
    db.session.refresh(campaign)
    campaign_changed.send(campaign)
    return campaign


def update_merchant(merchant: Merchant, data: dict) -> Merchant:
    data = dict(data)
    _set_texts(merchant, data.pop("texts", {}))
    for key, value in data.items():
        setattr(merchant, key, value)
    db.session.flush()
    return merchant
