"""Geofences around community centres, where coupons may be airdropped."""
