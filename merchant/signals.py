"""What the merchant domain announces. Listeners (the live feed, the airdrop's campaign
snapshot, later notifications) subscribe in the app factory; each one that has an effect
outside the database queues it with core.tx.after_commit, so nothing is announced that a
rollback then takes back. Every path that changes a dashboard figure sends one of these,
which is why the dashboard hears about it: the signal does, not the view.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the WalletCoupon just collected (airdrop, staff desk, demo alike)
coupon_claimed = _signals.signal("coupon-claimed")

#: sender: merchant id; kw: event (the redemption as the dashboard lists it)
coupon_redeemed = _signals.signal("coupon-redeemed")

#: sender: merchant id; kw: event (reason and time of a refused scan)
redemption_refused = _signals.signal("redemption-refused")

#: sender: merchant id; kw: event (a coupon whose codes stop working after too many wrong ones)
coupon_codes_locked = _signals.signal("coupon-codes-locked")

#: sender: merchant id; kw: event (the void and the redemption it reverses)
redemption_voided = _signals.signal("redemption-voided")

#: sender: the Campaign after it ended (campaign.end_policy says honour or void)
campaign_ended = _signals.signal("campaign-ended")

#: sender: the Campaign after any change to it (terms, state, targets, inventory)
campaign_changed = _signals.signal("campaign-changed")
