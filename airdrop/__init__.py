"""The airdrop: a check-in inside a geofence drops ranked coupons into the wallet; the public schedule."""
