"""Redeeming a coupon at the till, and voiding a redemption made by mistake.

A redemption answers with an outcome rather than an exception - Redeemed, or Refused with its
reason - because a refusal is kept too: it is a ledger row, and the till's retries must get the
same answer back (the API stores it with the Idempotency-Key). Whatever the checks in Python
conclude, the redemption itself is one conditional UPDATE: of any number of concurrent scans of
one coupon, the database lets exactly one through. A void that cannot happen writes nothing,
so it raises a domain error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from core.db import db, upsert
from core.problems import Conflict, NotFound
from core.schemas import MAX_ID
from merchant import ledger, statements, tokens
from merchant.models import (
    Campaign,
    CampaignStatus,
    CouponStatus,
    EndPolicy,
    EntryKind,
    LedgerEntry,
    PrintedCode,
    WalletCoupon,
)
from merchant.rules import discount_cents
from merchant.signals import coupon_codes_locked, coupon_redeemed, redemption_refused, redemption_voided
from merchant.texts import texts_of

VOID_WINDOW = timedelta(minutes=10)
# Wrong codes a coupon takes before its rotating codes stop working for CODE_LOCK. A code is
# right with odds of 3 in a million per guess (6 digits, 3 time steps), so a cashier account that
# guesses at every usable coupon of its own shop wins with odds of about 1.5e-5 per coupon a day.
MAX_WRONG_CODES = 5
CODE_LOCK = timedelta(hours=24)

# Why a code was not accepted (tokens adds malformed, not_genuine and code_expired).
PRINTED_USED, OTHER_MERCHANT, ALREADY_REDEEMED = "printed_used", "other_merchant", "already_redeemed"
VOIDED, COUPON_EXPIRED, NOT_STARTED, MIN_SPEND = "voided", "coupon_expired", "not_started", "min_spend"
CODES_LOCKED = "codes_locked"


@dataclass(frozen=True)
class Redeemed:
    redemption_id: int
    coupon_id: int
    campaign_id: int
    campaign_title: str
    bill_cents: int
    discount_cents: int
    to_pay_cents: int
    redeemed_at: datetime
    void_until: datetime
    # The title in the languages the owner gave (merchant.texts): the till shows the cashier's.
    campaign_title_i18n: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Refused:
    reason: str
    redeemed_at: datetime | None = None
    expired_at: datetime | None = None
    min_spend_cents: int | None = None


@dataclass(frozen=True)
class Voided:
    void_id: int
    redemption_id: int
    coupon_id: int
    bill_cents: int
    discount_cents: int
    voided_at: datetime
    coupon_status: str  # "usable": back in the wallet; "voided": its campaign has ended with "void"


class RedemptionNotFound(NotFound):
    pass


class VoidWindowPassed(Conflict):
    type, title = "/problems/void-window-passed", "Too late to void"


class AlreadyVoided(Conflict):
    type, title = "/problems/already-voided", "Already voided"


@dataclass(frozen=True)
class Till:
    merchant_id: int
    cashier_id: int
    now: datetime
    tz: ZoneInfo
    printed_key: bytes


def _refuse(till: Till, reason: str, *, coupon=None, **extra) -> Refused:
    mine = coupon is not None and coupon.merchant_id == till.merchant_id
    ledger.append(kind=EntryKind.REFUSED, at=till.now, tz=till.tz, merchant_id=till.merchant_id,
                  actor_id=till.cashier_id, reason=reason, coupon_id=coupon.id if mine else None,
                  campaign_id=coupon.campaign_id if mine else None)
    redemption_refused.send(till.merchant_id, event={"kind": "refused", "reason": reason,
                                                     "at": till.now.isoformat()})
    return Refused(reason, **extra)


def _coupon(coupon_id: int):
    if coupon_id > MAX_ID:  # a code can name any number; the column holds 32 bits
        return None
    return db.session.execute(statements.coupon_for_till(), {"coupon_id": coupon_id}).first()


def _find(code: tokens.RotatingCode | tokens.PrintedCode, till: Till):
    """The coupon the code names, and what is wrong with the code (None if nothing)."""
    if isinstance(code, tokens.PrintedCode):
        printed = db.session.execute(statements.printed_by_hash(), {
            "code_hash": tokens.printed_code_hash(code.digits, till.printed_key)}).first()
        if printed is None:
            return None, tokens.NOT_GENUINE
        return _coupon(printed.coupon_id), ("printed_used" if printed.used_at is not None else None)
    coupon = _coupon(code.coupon_id)
    if coupon is None:
        return None, tokens.NOT_GENUINE
    if coupon.merchant_id != till.merchant_id:
        return coupon, OTHER_MERCHANT  # before the code: another shop's coupon is not ours to test guesses on
    if coupon.codes_locked_until is not None and coupon.codes_locked_until > till.now:
        return coupon, CODES_LOCKED
    problem = tokens.check_rotating(code, coupon.totp_secret, till.now.timestamp())
    if problem == tokens.NOT_GENUINE:
        _count_wrong_code(coupon, till)
    return coupon, problem


def _count_wrong_code(coupon, till: Till) -> None:
    wrong = db.session.execute(statements.count_wrong_code(), {
        "b_coupon": coupon.id, "b_limit": MAX_WRONG_CODES, "b_until": till.now + CODE_LOCK}).scalar_one()
    if wrong == MAX_WRONG_CODES:  # exactly once, when the lock starts: the owner hears of it live
        coupon_codes_locked.send(till.merchant_id, event={
            "kind": "codes_locked", "coupon_id": coupon.id, "campaign_id": coupon.campaign_id,
            "campaign_title": coupon.title, "until": (till.now + CODE_LOCK).isoformat(), "at": till.now.isoformat()})


def redeem(till: Till, *, code_text: str, bill_cents: int, method: str) -> Redeemed | Refused:
    code = tokens.parse(code_text)
    if code is None:
        return _refuse(till, tokens.MALFORMED)
    coupon, problem = _find(code, till)
    if problem is not None:
        return _refuse(till, problem, coupon=coupon)
    if coupon.merchant_id != till.merchant_id:
        return _refuse(till, OTHER_MERCHANT, coupon=coupon)
    if coupon.status == CouponStatus.REDEEMED:
        return _refuse(till, ALREADY_REDEEMED, coupon=coupon, redeemed_at=coupon.redeemed_at)
    if coupon.status == CouponStatus.VOIDED or _campaign_voided(coupon):
        return _refuse(till, VOIDED, coupon=coupon)
    if coupon.expires_at <= till.now:
        return _refuse(till, COUPON_EXPIRED, coupon=coupon, expired_at=coupon.expires_at)
    if coupon.starts_at > till.now:
        return _refuse(till, NOT_STARTED, coupon=coupon)
    if bill_cents < coupon.min_spend_cents:
        return _refuse(till, MIN_SPEND, coupon=coupon, min_spend_cents=coupon.min_spend_cents)

    discount = discount_cents(kind=coupon.discount_kind, amount_off_cents=coupon.amount_off_cents,
                              percent_off=coupon.percent_off, percent_cap_cents=coupon.percent_cap_cents,
                              bill_cents=bill_cents)
    entry_id = _redeem_and_enter(till, ledger.row(
        kind=EntryKind.REDEEMED, at=till.now, tz=till.tz, merchant_id=till.merchant_id, campaign_id=coupon.campaign_id,
        coupon_id=coupon.id, actor_id=till.cashier_id, bill_cents=bill_cents, discount_cents=discount, reason=method))
    if entry_id is None:
        # Another till got there between our read and our write.
        coupon = _coupon(coupon.id)
        return _refuse(till, ALREADY_REDEEMED, coupon=coupon, redeemed_at=coupon.redeemed_at)
    if isinstance(code, tokens.PrintedCode):
        db.session.execute(statements.printed_used(), {"b_coupon": coupon.id, "b_now": till.now})
    redeemed = Redeemed(redemption_id=entry_id, coupon_id=coupon.id, campaign_id=coupon.campaign_id,
                        campaign_title=coupon.title, bill_cents=bill_cents, discount_cents=discount,
                        to_pay_cents=bill_cents - discount, redeemed_at=till.now, void_until=till.now + VOID_WINDOW,
                        campaign_title_i18n=texts_of(coupon, "title"))
    coupon_redeemed.send(till.merchant_id, event={
        "kind": "redeemed", **{k: _wire(v) for k, v in vars(redeemed).items()}, "at": till.now.isoformat()})
    return redeemed


def _redeem_and_enter(till: Till, entry: dict) -> int | None:
    """The conditional UPDATE and, only if it changed the coupon, the ledger entry; the entry's id,
    or None when another scan won. One statement on PostgreSQL (a round trip saved on every
    redemption), two on SQLite, which has no data-modifying CTEs and no round trips to save."""
    params = {"coupon_id": entry["coupon_id"], "now": till.now}
    if db.session.get_bind().dialect.name == "postgresql":
        params.update({f"e_{k}": v for k, v in entry.items() if k != "coupon_id"})
        return db.session.execute(statements.redeem_and_enter(), params).scalar_one_or_none()
    if db.session.execute(statements.redeem_coupon(), params).scalar_one_or_none() is None:
        return None
    return db.session.execute(statements.ledger_insert(), entry).scalar_one()


def _campaign_voided(row) -> bool:
    return row.campaign_status == CampaignStatus.ENDED and row.end_policy == EndPolicy.VOID


def _wire(value):
    return value.isoformat() if isinstance(value, datetime) else value


def voided_at(merchant_id: int, redemption_id: int) -> datetime | None:
    """When this redemption was voided, if it was."""
    return db.session.scalar(select(LedgerEntry.at).where(LedgerEntry.reverses_id == redemption_id,
                                                          LedgerEntry.merchant_id == merchant_id))


def void(till: Till, redemption_id: int) -> Voided:
    """Undo a redemption within VOID_WINDOW: the coupon returns to the wallet (voided, if its campaign
    has since ended with the void policy), both entries stay."""
    entry = db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.id == redemption_id, LedgerEntry.merchant_id == till.merchant_id,
        LedgerEntry.kind == EntryKind.REDEEMED))
    if entry is None:
        raise RedemptionNotFound("No such redemption at this shop.")
    if till.now - entry.at > VOID_WINDOW:
        raise VoidWindowPassed("A redemption can be voided only within 10 minutes.",
                               void_until=(entry.at + VOID_WINDOW).isoformat())
    values = ledger.entry_values(kind=EntryKind.VOIDED, at=till.now, tz=till.tz, merchant_id=till.merchant_id,
                                 campaign_id=entry.campaign_id, coupon_id=entry.coupon_id, actor_id=till.cashier_id,
                                 bill_cents=entry.bill_cents, discount_cents=entry.discount_cents,
                                 reverses_id=entry.id)
    void_id = db.session.execute(upsert(LedgerEntry).values(values)
                                 .on_conflict_do_nothing(index_elements=["reverses_id"])
                                 .returning(LedgerEntry.id)).scalar_one_or_none()
    if void_id is None:
        raise AlreadyVoided("This redemption was already voided.")
    # The campaign row is locked first, so a concurrent "end and void" is either wholly before this
    # void (the coupon comes back voided) or wholly after it (its void_unredeemed catches the coupon).
    campaign = db.session.execute(select(Campaign.status, Campaign.end_policy)
                                  .where(Campaign.id == entry.campaign_id).with_for_update()).one()
    dead = campaign.status == CampaignStatus.ENDED and campaign.end_policy == EndPolicy.VOID
    db.session.execute(update(WalletCoupon).where(WalletCoupon.id == entry.coupon_id,
                                                  WalletCoupon.status == CouponStatus.REDEEMED)
                       .values(status=CouponStatus.VOIDED if dead else CouponStatus.USABLE, redeemed_at=None,
                               void_reason="campaign_ended" if dead else None, wrong_codes=0)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(PrintedCode).where(PrintedCode.coupon_id == entry.coupon_id).values(used_at=None))
    voided = Voided(void_id=void_id, redemption_id=entry.id, coupon_id=entry.coupon_id, bill_cents=entry.bill_cents,
                    discount_cents=entry.discount_cents, voided_at=till.now,
                    coupon_status=(CouponStatus.VOIDED if dead else CouponStatus.USABLE).value)
    redemption_voided.send(till.merchant_id, event={
        "kind": "voided", **{k: _wire(v) for k, v in vars(voided).items()}, "at": till.now.isoformat()})
    return voided
