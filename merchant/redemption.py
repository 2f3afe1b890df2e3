"""Redeeming a coupon at the till, and voiding a redemption made by mistake.

Every answer is a (status, body) pair rather than an exception, because the till's retries must
get exactly the first answer back (core.idempotency stores it), refusals included. Whatever the
checks in Python conclude, the redemption itself is one conditional UPDATE: of any number of
concurrent scans of one coupon, the database lets exactly one through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, update

from core.db import db, upsert
from merchant import ledger
from merchant.ledger import EntryKind, LedgerEntry
from merchant.models import Campaign
from merchant.rules import discount_cents
from wallet import tokens
from wallet.models import CouponStatus, PrintedCode, WalletCoupon

VOID_WINDOW = timedelta(minutes=10)

# Refusal reasons: (HTTP status, what the cashier is told). The till translates by reason.
REFUSALS = {
    tokens.MALFORMED: (422, "This is not a Linli coupon code."),
    tokens.NOT_GENUINE: (422, "This code is not genuine."),
    tokens.CODE_EXPIRED: (422, "This code has expired. Ask the customer to open the coupon again (a screenshot "
                               "does not work)."),
    "printed_used": (409, "This printed code has already been used."),
    "other_merchant": (403, "This coupon is for another shop."),
    "already_redeemed": (409, "This coupon has already been used."),
    "voided": (422, "This coupon was cancelled by the shop and no longer works."),
    "coupon_expired": (422, "This coupon has expired."),
    "not_started": (422, "This campaign has not started yet."),
    "min_spend": (422, "The bill is below this coupon's minimum spend."),
}


@dataclass
class Answer:
    status: int
    body: dict
    # What the live dashboard is told after commit (None: nothing it shows changed).
    event: dict | None = field(default=None)


@dataclass(frozen=True)
class Till:
    merchant_id: int
    cashier_id: int
    now: datetime
    tz: ZoneInfo
    printed_key: bytes


def _refuse(till: Till, reason: str, *, coupon=None, **extra) -> Answer:
    status, detail = REFUSALS[reason]
    mine = coupon is not None and coupon.merchant_id == till.merchant_id
    ledger.append(kind=EntryKind.REFUSED, at=till.now, tz=till.tz, merchant_id=till.merchant_id,
                  actor_id=till.cashier_id, reason=reason, coupon_id=coupon.id if mine else None,
                  campaign_id=coupon.campaign_id if mine else None)
    body = {"type": "/problems/redemption-refused", "title": "Coupon not accepted", "status": status,
            "detail": detail, "reason": reason, **extra}
    return Answer(status, body, event={"kind": "refused", "reason": reason, "at": till.now.isoformat()})


# The till is the busiest writer: its statements are built once per process, parameters bound
# per call, and run through Core (no ORM unit of work, no identity map).
@cache
def _coupon_query():
    c, k = WalletCoupon.__table__.c, Campaign.__table__.c
    return (select(c.id, c.merchant_id, c.campaign_id, c.status, c.expires_at, c.redeemed_at, c.totp_secret,
                   k.title, k.discount_kind, k.amount_off_cents, k.percent_off, k.percent_cap_cents,
                   k.min_spend_cents, k.starts_at)
            .join_from(WalletCoupon.__table__, Campaign.__table__, k.id == c.campaign_id)
            .where(c.id == bindparam("coupon_id")))


@cache
def _printed_query():
    p = PrintedCode.__table__.c
    return select(p.coupon_id, p.used_at).where(p.code_hash == bindparam("code_hash"))


@cache
def _redeem_update():
    c = WalletCoupon.__table__.c
    return (WalletCoupon.__table__.update()
            .where(c.id == bindparam("coupon_id"), c.status == CouponStatus.USABLE,
                   c.expires_at > bindparam("now", type_=c.expires_at.type))
            .values(status=CouponStatus.REDEEMED, redeemed_at=bindparam("now", type_=c.redeemed_at.type))
            .returning(c.id))


@cache
def _printed_used():
    p = PrintedCode.__table__.c
    # Parameters named apart from the table's columns, which an UPDATE reserves for itself.
    return PrintedCode.__table__.update().where(p.coupon_id == bindparam("b_coupon")).values(
        used_at=bindparam("b_now", type_=p.used_at.type))


def _coupon(coupon_id: int):
    return db.session.execute(_coupon_query(), {"coupon_id": coupon_id}).first()


def _find(code: tokens.RotatingCode | tokens.PrintedCode, till: Till):
    """The coupon the code names, and what is wrong with the code (None if nothing)."""
    if isinstance(code, tokens.PrintedCode):
        printed = db.session.execute(_printed_query(), {
            "code_hash": tokens.printed_code_hash(code.digits, till.printed_key)}).first()
        if printed is None:
            return None, tokens.NOT_GENUINE
        return _coupon(printed.coupon_id), ("printed_used" if printed.used_at is not None else None)
    coupon = _coupon(code.coupon_id)
    if coupon is None:
        return None, tokens.NOT_GENUINE
    return coupon, tokens.check_rotating(code, coupon.totp_secret, till.now.timestamp())


def redeem(till: Till, *, code_text: str, bill_cents: int, method: str) -> Answer:
    code = tokens.parse(code_text)
    if code is None:
        return _refuse(till, tokens.MALFORMED)
    coupon, problem = _find(code, till)
    if problem is not None:
        return _refuse(till, problem, coupon=coupon)
    if coupon.merchant_id != till.merchant_id:
        return _refuse(till, "other_merchant", coupon=coupon)
    if coupon.status == CouponStatus.REDEEMED:
        return _refuse(till, "already_redeemed", coupon=coupon, redeemed_at=coupon.redeemed_at.isoformat())
    if coupon.status == CouponStatus.VOIDED:
        return _refuse(till, "voided", coupon=coupon)
    if coupon.expires_at <= till.now:
        return _refuse(till, "coupon_expired", coupon=coupon, expired_at=coupon.expires_at.isoformat())
    if coupon.starts_at > till.now:
        return _refuse(till, "not_started", coupon=coupon)
    if bill_cents < coupon.min_spend_cents:
        return _refuse(till, "min_spend", coupon=coupon, min_spend_cents=coupon.min_spend_cents)

    discount = discount_cents(kind=coupon.discount_kind, amount_off_cents=coupon.amount_off_cents,
                              percent_off=coupon.percent_off, percent_cap_cents=coupon.percent_cap_cents,
                              bill_cents=bill_cents)
    params = {"coupon_id": coupon.id, "now": till.now}
    if db.session.execute(_redeem_update(), params).scalar_one_or_none() is None:
        # Another till got there between our read and our write.
        coupon = _coupon(coupon.id)
        return _refuse(till, "already_redeemed", coupon=coupon,
                       redeemed_at=coupon.redeemed_at.isoformat() if coupon.redeemed_at else None)
    if isinstance(code, tokens.PrintedCode):
        db.session.execute(_printed_used(), {"b_coupon": coupon.id, "b_now": till.now})
    entry_id = ledger.append(kind=EntryKind.REDEEMED, at=till.now, tz=till.tz, merchant_id=till.merchant_id,
                             campaign_id=coupon.campaign_id, coupon_id=coupon.id, actor_id=till.cashier_id,
                             bill_cents=bill_cents, discount_cents=discount, reason=method)
    body = {
        "redemption_id": entry_id, "coupon_id": coupon.id, "campaign_id": coupon.campaign_id,
        "campaign_title": coupon.title, "bill_cents": bill_cents, "discount_cents": discount,
        "to_pay_cents": bill_cents - discount, "redeemed_at": till.now.isoformat(),
        "void_until": (till.now + VOID_WINDOW).isoformat(),
    }
    return Answer(200, body, event={"kind": "redeemed", **body, "at": till.now.isoformat()})


def void(till: Till, redemption_id: int) -> Answer:
    """Undo a redemption within VOID_WINDOW: the coupon returns to the wallet, both entries stay."""
    entry = db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.id == redemption_id, LedgerEntry.merchant_id == till.merchant_id,
        LedgerEntry.kind == EntryKind.REDEEMED))
    if entry is None:
        return Answer(404, {"type": "/problems/not-found", "title": "Not found", "status": 404,
                            "detail": "No such redemption at this shop."})
    if till.now - entry.at > VOID_WINDOW:
        return Answer(409, {"type": "/problems/void-window-passed", "title": "Too late to void", "status": 409,
                            "detail": "A redemption can be voided only within 10 minutes.",
                            "void_until": (entry.at + VOID_WINDOW).isoformat()})
    values = ledger.entry_values(kind=EntryKind.VOIDED, at=till.now, tz=till.tz, merchant_id=till.merchant_id,
                                 campaign_id=entry.campaign_id, coupon_id=entry.coupon_id, actor_id=till.cashier_id,
                                 bill_cents=entry.bill_cents, discount_cents=entry.discount_cents,
                                 reverses_id=entry.id)
    void_id = db.session.execute(upsert(LedgerEntry).values(values)
                                 .on_conflict_do_nothing(index_elements=["reverses_id"])
                                 .returning(LedgerEntry.id)).scalar_one_or_none()
    if void_id is None:
        return Answer(409, {"type": "/problems/already-voided", "title": "Already voided", "status": 409,
                            "detail": "This redemption was already voided."})
    db.session.execute(update(WalletCoupon).where(WalletCoupon.id == entry.coupon_id,
                                                  WalletCoupon.status == CouponStatus.REDEEMED)
                       .values(status=CouponStatus.USABLE, redeemed_at=None)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(PrintedCode).where(PrintedCode.coupon_id == entry.coupon_id).values(used_at=None))
    body = {"void_id": void_id, "redemption_id": entry.id, "coupon_id": entry.coupon_id,
            "bill_cents": entry.bill_cents, "discount_cents": entry.discount_cents, "voided_at": till.now.isoformat()}
    return Answer(200, body, event={"kind": "voided", **body, "at": till.now.isoformat()})
