"""What the wallet does when other domains announce something."""

from __future__ import annotations

from merchant.models import EndPolicy
from merchant.signals import campaign_ended
from wallet.operations import void_unredeemed


def _on_campaign_ended(campaign, **_):
    if campaign.end_policy is EndPolicy.VOID:
        void_unredeemed(campaign.id, reason="campaign_ended")


def subscribe() -> None:
    # weak=False: the receiver is a module function, but be explicit that it must live forever.
    campaign_ended.connect(_on_campaign_ended, weak=False)
