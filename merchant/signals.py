"""Signals the merchant domain sends; domains that depend on it (wallet) subscribe."""

from blinker import Namespace

_signals = Namespace()

#: sent with the Campaign after it ended (campaign.end_policy says honour or void)
campaign_ended = _signals.signal("campaign-ended")

#: sent with the Campaign after any change to it (terms, state, targets, inventory)
campaign_changed = _signals.signal("campaign-changed")
