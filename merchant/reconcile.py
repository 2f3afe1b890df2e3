"""The statement's reconciliation: pure checks of ledger lines against independent facts.

A sum compared with itself proves nothing. Each line of the statement is checked against
something the ledger does not decide alone: a redemption's discount against its campaign's terms
(which cannot change once published), a void against the redemption it reverses, and every
coupon's own state against what the ledger says happened to it. A row edited behind the ledger's
back fails a check; concurrent redemptions do not, because the lines are read in one snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from merchant.rules import discount_cents


@dataclass(frozen=True)
class Checked:
    entry_id: int
    kind: str  # redeemed | voided
    coupon_id: int | None
    bill_cents: int
    discount_cents: int
    # the campaign's terms
    discount_kind: str
    amount_off_cents: int | None
    percent_off: int | None
    percent_cap_cents: int | None
    # for a void: the redemption it reverses
    reversed_bill_cents: int | None
    reversed_discount_cents: int | None
    # the coupon now, and the ledger's net count of its redemptions (all time)
    coupon_status: str | None
    ledger_net: int


@dataclass(frozen=True)
class Discrepancy:
    entry_id: int
    what: str  # discount_not_terms | void_mismatch | coupon_state


def discrepancies(lines: Iterable[Checked]) -> list[Discrepancy]:
    found, seen_coupons = [], set()
    for line in lines:
        if line.kind == "redeemed":
            expected = discount_cents(kind=line.discount_kind, amount_off_cents=line.amount_off_cents,
                                      percent_off=line.percent_off, percent_cap_cents=line.percent_cap_cents,
                                      bill_cents=line.bill_cents)
            if line.discount_cents != expected:
                found.append(Discrepancy(line.entry_id, "discount_not_terms"))
        elif (line.bill_cents, line.discount_cents) != (line.reversed_bill_cents, line.reversed_discount_cents):
            found.append(Discrepancy(line.entry_id, "void_mismatch"))
        if line.coupon_id is not None and line.coupon_id not in seen_coupons:
            seen_coupons.add(line.coupon_id)
            redeemed_now = line.coupon_status == "redeemed"
            if line.ledger_net not in (0, 1) or redeemed_now != (line.ledger_net == 1):
                found.append(Discrepancy(line.entry_id, "coupon_state"))
    return found
