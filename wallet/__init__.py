"""The resident's card wallet of collected coupons."""
