"""The resident's card wallet (pages and API over the merchant domain's coupons) and the
community-centre desk that gives and prints coupons for residents without a smartphone."""
