"""Merchant businesses and their coupon campaigns."""
