"""Businesses' coupon campaigns and the whole coupon lifecycle: claim, redemption, void,
inventory and the ledger, with the till, the dashboard and its live feed."""
