"""The merchant domain's hot-path statements, built once per process.

The till and the claim are the busiest writers. Building a SQLAlchemy statement costs more
than running it here, so these are constructed on first use (functools.cache), take every value
as a bound parameter, and run through Core: no ORM unit of work, no identity map. Everything
else in the domain uses ordinary ORM statements; only what a benchmark showed to matter is here.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, case, insert, literal, select, union_all

from merchant.models import Campaign, ClaimCount, CouponStatus, DailyDrops, LedgerEntry, PrintedCode, WalletCoupon


@cache
def coupon_for_till():
    """A coupon with the terms its redemption checks, by :coupon_id."""
    c, k = WalletCoupon.__table__.c, Campaign.__table__.c
    return (select(c.id, c.merchant_id, c.campaign_id, c.status, c.expires_at, c.redeemed_at, c.totp_secret,
                   c.wrong_codes, c.codes_locked_until,
                   k.title, k.translations, k.discount_kind, k.amount_off_cents, k.percent_off, k.percent_cap_cents,
                   k.min_spend_cents, k.starts_at, k.status.label("campaign_status"), k.end_policy)
            .join_from(WalletCoupon.__table__, Campaign.__table__, k.id == c.campaign_id)
            .where(c.id == bindparam("coupon_id")))


@cache
def printed_by_hash():
    p = PrintedCode.__table__.c
    return select(p.coupon_id, p.used_at).where(p.code_hash == bindparam("code_hash"))


@cache
def redeem_coupon():
    """The redemption itself: only a usable, unexpired coupon changes, so one of many scans wins."""
    c = WalletCoupon.__table__.c
    return (WalletCoupon.__table__.update()
            .where(c.id == bindparam("coupon_id"), c.status == CouponStatus.USABLE,
                   c.expires_at > bindparam("now", type_=c.expires_at.type))
            .values(status=CouponStatus.REDEEMED, redeemed_at=bindparam("now", type_=c.redeemed_at.type),
                    wrong_codes=0)
            .returning(c.id))


@cache
def redeem_and_enter():
    """PostgreSQL: the redemption and its ledger entry as one statement, one round trip. The entry
    is inserted only from the row the UPDATE returned, so a scan that loses inserts nothing."""
    t = LedgerEntry.__table__
    won = redeem_coupon().cte("won")
    columns = [c for c in ledger_columns() if c != "coupon_id"]
    entry = select(*[bindparam(f"e_{c}", type_=t.c[c].type) for c in columns], won.c.id)
    return insert(t).from_select([*columns, "coupon_id"], entry).returning(t.c.id)


def ledger_columns() -> tuple[str, ...]:
    return ("kind", "at", "local_date", "local_weekday", "local_hour", "merchant_id", "campaign_id", "coupon_id",
            "actor_id", "bill_cents", "discount_cents", "reason", "reverses_id")


@cache
def count_wrong_code():
    """One more wrong code for a coupon; the one that reaches the limit locks its codes until :b_until."""
    c = WalletCoupon.__table__.c
    return (WalletCoupon.__table__.update().where(c.id == bindparam("b_coupon"))
            .values(wrong_codes=c.wrong_codes + 1,
                    codes_locked_until=case((c.wrong_codes + 1 >= bindparam("b_limit"),
                                             bindparam("b_until", type_=c.codes_locked_until.type)),
                                            else_=c.codes_locked_until))
            .returning(c.wrong_codes))


@cache
def printed_used():
    p = PrintedCode.__table__.c
    # Parameters named apart from the table's columns, which an UPDATE reserves for itself.
    return PrintedCode.__table__.update().where(p.coupon_id == bindparam("b_coupon")).values(
        used_at=bindparam("b_now", type_=p.used_at.type))


@cache
def ledger_insert():
    return insert(LedgerEntry.__table__).returning(LedgerEntry.__table__.c.id)


@cache
def resident_claim_state():
    """What a resident holds of some campaigns, got today, and used of the day's budget: one round trip."""
    resident, day = bindparam("resident"), bindparam("day")
    ids = bindparam("ids", expanding=True)
    held = select(ClaimCount.campaign_id, ClaimCount.n, literal("held").label("kind")).where(
        ClaimCount.resident_id == resident, ClaimCount.campaign_id.in_(ids))
    today = select(WalletCoupon.campaign_id, literal(1), literal("today")).where(
        WalletCoupon.resident_id == resident, WalletCoupon.drop_date == day, WalletCoupon.campaign_id.in_(ids))
    budget = select(literal(0), DailyDrops.n, literal("budget")).where(
        DailyDrops.resident_id == resident, DailyDrops.day == day)
    return union_all(held, today, budget)
