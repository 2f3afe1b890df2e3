"""The dashboard's figures and the settlement statement, both read from the ledger alone.

Redeemed figures are net of voids: a redemption counts in the period it happened, its void (if
any) is subtracted in the period the void happened, exactly as the statement lists them, so the
dashboard and the statement for the same period always agree to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from core.db import db
from core.identity.models import User
from merchant import reconcile
from merchant.models import Campaign, EntryKind, LedgerEntry, WalletCoupon
from merchant.stats import Money, days, grid, rate
from merchant.texts import given_texts, texts_of

L = LedgerEntry


def _in_period(merchant_id: int, first: date, last: date):
    return (L.merchant_id == merchant_id) & (L.local_date >= first) & (L.local_date <= last)


@dataclass
class CampaignFigures:
    campaign_id: int
    title: str
    collected: int = 0
    redeemed: Money = field(default_factory=Money)
    voided: Money = field(default_factory=Money)
    title_i18n: dict = field(default_factory=dict)

    @property
    def net(self) -> Money:
        return self.redeemed.minus(self.voided)

    def as_dict(self) -> dict:
        net = self.net
        return {"campaign_id": self.campaign_id, "title": self.title, "title_i18n": self.title_i18n,
                "collected": self.collected,
                "redeemed": net.count, "redemption_rate": rate(net.count, self.collected),
                "discount_cents": net.discount_cents, "bill_cents": net.bill_cents}


def figures(merchant_id: int, first: date, last: date) -> dict:
    period = _in_period(merchant_id, first, last)
    by_campaign: dict[int, CampaignFigures] = {}
    total = CampaignFigures(0, "")
    money_kinds = (EntryKind.COLLECTED, EntryKind.REDEEMED, EntryKind.VOIDED)
    rows = db.session.execute(
        select(L.campaign_id, Campaign.title, L.kind, func.count(), func.coalesce(func.sum(L.bill_cents), 0),
               func.coalesce(func.sum(L.discount_cents), 0))
        .join(Campaign, Campaign.id == L.campaign_id)
        .where(period, L.kind.in_(money_kinds)).group_by(L.campaign_id, Campaign.title, L.kind))
    for campaign_id, title, kind, n, bill, discount in rows:
        figures_ = by_campaign.setdefault(campaign_id, CampaignFigures(campaign_id, title))
        for target in (figures_, total):
            if kind is EntryKind.COLLECTED:
                target.collected += n
            else:
                (target.redeemed if kind is EntryKind.REDEEMED else target.voided).add(bill, discount, n)

    # The owner reads the titles in their language: the translations of the few campaigns listed
    # (a JSON column cannot be grouped by on PostgreSQL, so not in the query above).
    for campaign_id, title, translations in db.session.execute(
            select(Campaign.id, Campaign.title, Campaign.translations).where(Campaign.id.in_(list(by_campaign)))):
        by_campaign[campaign_id].title_i18n = given_texts(title, (translations or {}).get("title"))

    refusals = dict(db.session.execute(
        select(L.reason, func.count()).where(period, L.kind == EntryKind.REFUSED).group_by(L.reason)).all())

    daily = {d: {"collected": 0, "redeemed": 0} for d in days(first, last)}
    for day, kind, n in db.session.execute(
            select(L.local_date, L.kind, func.count()).where(period, L.kind.in_(money_kinds))
            .group_by(L.local_date, L.kind)):
        if kind is EntryKind.COLLECTED:
            daily[day]["collected"] += n
        else:
            daily[day]["redeemed"] += n if kind is EntryKind.REDEEMED else -n

    # Peak hours: collections, and redemptions that were not voided.
    void = aliased(L)
    kept = ~select(void.id).where(void.reverses_id == L.id).exists()
    heat = {}
    for kind, extra in ((EntryKind.COLLECTED, True), (EntryKind.REDEEMED, kept)):
        heat[kind.value] = grid(db.session.execute(
            select(L.local_weekday, L.local_hour, func.count()).where(period, L.kind == kind, extra)
            .group_by(L.local_weekday, L.local_hour)).all())

    summary = total.as_dict()
    del summary["campaign_id"], summary["title"], summary["title_i18n"]
    return {
        "first_day": first, "last_day": last, **summary,
        "refused": sum(refusals.values()), "refusals": refusals,
        "campaigns": sorted((c.as_dict() for c in by_campaign.values()), key=lambda c: (-c["redeemed"], c["title"])),
        "daily": [{"day": d, **v} for d, v in daily.items()],
        "heatmap": heat,
    }


@dataclass
class StatementLine:
    entry_id: int
    kind: str
    at: datetime
    coupon_id: int | None
    campaign_title: str
    cashier: str
    bill_cents: int
    discount_cents: int
    reverses_id: int | None
    campaign_title_i18n: dict = field(default_factory=dict)

    @property
    def paid_cents(self) -> int:
        return self.bill_cents - self.discount_cents


@dataclass
class Statement:
    first: date
    last: date
    lines: list[StatementLine]
    redeemed: Money
    voided: Money
    # The period's totals by the database's own aggregate, read in the same statement as the lines.
    ledger_redeemed: Money
    ledger_voided: Money
    # Lines that disagree with their campaign's terms, the redemption they void or their coupon.
    discrepancies: list[reconcile.Discrepancy] = field(default_factory=list)

    @property
    def net(self) -> Money:
        return self.redeemed.minus(self.voided)

    @property
    def reconciles(self) -> bool:
        return (self.redeemed == self.ledger_redeemed and self.voided == self.ledger_voided
                and not self.discrepancies)


def statement(merchant_id: int, first: date, last: date) -> Statement:
    """Every redemption and void of the period, read by ONE statement (one snapshot on every
    engine, so a redemption committing meanwhile is either wholly in it or wholly out), with what
    reconciliation checks each line against."""
    period = _in_period(merchant_id, first, last)
    cashier, reversed_, other = aliased(User), aliased(L), aliased(L)
    ledger_net = (select(func.coalesce(func.sum(case((other.kind == EntryKind.REDEEMED, 1),
                                                     (other.kind == EntryKind.VOIDED, -1), else_=0)), 0))
                  .where(other.coupon_id == L.coupon_id).scalar_subquery())
    per_kind = {"partition_by": L.kind}
    rows = db.session.execute(
        select(L.id, L.kind, L.at, L.coupon_id, Campaign.title, cashier.display_name, L.bill_cents,
               L.discount_cents, L.reverses_id, Campaign.discount_kind, Campaign.amount_off_cents,
               Campaign.percent_off, Campaign.percent_cap_cents, reversed_.bill_cents, reversed_.discount_cents,
               WalletCoupon.status, ledger_net, func.count().over(**per_kind),
               func.sum(L.bill_cents).over(**per_kind), func.sum(L.discount_cents).over(**per_kind),
               Campaign.translations)
        .join(Campaign, Campaign.id == L.campaign_id)
        .outerjoin(cashier, cashier.id == L.actor_id)
        .outerjoin(reversed_, reversed_.id == L.reverses_id)
        .outerjoin(WalletCoupon, WalletCoupon.id == L.coupon_id)
        .where(period, L.kind.in_((EntryKind.REDEEMED, EntryKind.VOIDED)))
        .order_by(L.at, L.id))
    lines, checked = [], []
    sums = {EntryKind.REDEEMED: Money(), EntryKind.VOIDED: Money()}
    ledger = {EntryKind.REDEEMED: Money(), EntryKind.VOIDED: Money()}
    for (entry_id, kind, at, coupon_id, title, name, bill, discount, reverses, discount_kind, amount_off,
         percent_off, percent_cap, reversed_bill, reversed_discount, coupon_status, net, n, bill_sum,
         discount_sum, translations) in rows:
        lines.append(StatementLine(entry_id, kind.value, at, coupon_id, title, name or "", bill, discount, reverses,
                                   given_texts(title, (translations or {}).get("title"))))
        sums[kind].add(bill, discount)
        ledger[kind] = Money(n, bill_sum, discount_sum)
        checked.append(reconcile.Checked(
            entry_id, kind.value, coupon_id, bill, discount, discount_kind.value, amount_off, percent_off,
            percent_cap, reversed_bill, reversed_discount, coupon_status.value if coupon_status else None, net))
    return Statement(first, last, lines, sums[EntryKind.REDEEMED], sums[EntryKind.VOIDED],
                     ledger[EntryKind.REDEEMED], ledger[EntryKind.VOIDED], reconcile.discrepancies(checked))


def recent_redemptions(merchant_id: int, since: datetime, limit: int = 20) -> list[dict]:
    """The till's own recent redemptions, newest first, with whether each was voided."""
    void = aliased(L)
    rows = db.session.execute(
        select(L.id, L.at, L.coupon_id, Campaign.title, L.bill_cents, L.discount_cents, void.id.label("void_id"),
               Campaign.translations)
        .join(Campaign, Campaign.id == L.campaign_id)
        .outerjoin(void, and_(void.reverses_id == L.id))
        .where(L.merchant_id == merchant_id, L.kind == EntryKind.REDEEMED, L.at >= since)
        .order_by(L.at.desc(), L.id.desc()).limit(limit))
    return [{**row._asdict(), "title_i18n": texts_of(row, "title")} for row in rows]
