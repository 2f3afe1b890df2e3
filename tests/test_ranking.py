"""The department ranking's figures and the timeline's sentences, as plain functions: no app, no
database."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services import rules, timeline

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
H = timedelta(hours=1)


def report(*, closed_after_h=None, due_in_h=48, filed_h_ago=100, ack_after_h=None, disputes=0):
    """(created_at, acknowledged_at, closed_at, expected_at, disputes) as operations.ranking reads them."""
    created = NOW - filed_h_ago * H
    return (created, created + ack_after_h * H if ack_after_h is not None else None,
            created + closed_after_h * H if closed_after_h is not None else None,
            created + due_in_h * H, disputes)


def figures(rows, name="Roads"):
    return rules.department_figures(1, name, rows, NOW)


def test_open_work_past_its_promised_time_counts_as_missed():
    on_time = [report(closed_after_h=10) for _ in range(5)]
    overdue = [report() for _ in range(5)]  # filed 100 h ago, due after 48 h, still open
    f = figures(on_time + overdue)
    assert (f.filed, f.due, f.on_time, f.missed, f.overdue_open) == (10, 10, 5, 5, 5)
    assert f.within_sla == 0.5
    # Before: only closed reports counted, and this department read "100 %".
    assert figures(on_time).within_sla == 1.0


def test_open_work_not_yet_due_is_not_judged_and_late_closes_are_missed():
    f = figures([report(filed_h_ago=2), report(closed_after_h=60)])
    assert (f.due, f.on_time, f.overdue_open) == (1, 0, 0) and f.within_sla == 0.0
    assert figures([report(filed_h_ago=2)]).within_sla is None  # nothing to judge yet: "–", not "0 %"


def test_a_reopened_report_is_open_again_and_counts_as_missed_once_overdue():
    reopened = report(closed_after_h=None, ack_after_h=1, disputes=1)  # a dispute cleared closed_at
    f = figures([reopened, report(closed_after_h=5, ack_after_h=2)])
    assert (f.due, f.on_time, f.overdue_open) == (2, 1, 1)
    assert f.disputed == 0.5 and f.median_ack_h == 1.5 and f.median_close_h == 5


def test_a_department_with_overdue_work_ranks_below_one_that_keeps_its_promises():
    punctual = rules.department_figures(1, "Parks", [report(closed_after_h=40)] * 2, NOW)
    hiding = rules.department_figures(2, "Roads", [report(closed_after_h=1)] * 2 + [report()] * 5, NOW)
    idle = rules.department_figures(3, "Water", [], NOW)
    assert [f.name for f in rules.rank([idle, hiding, punctual])] == ["Parks", "Roads", "Water"]
    assert idle.within_sla is None and idle.disputed is None


def test_every_ranking_column_says_how_it_is_computed():
    assert list(rules.RANKING_FIGURES) == ["filed", "ack", "close", "within", "disputed"]
    for label, explanation in rules.RANKING_FIGURES.values():
        assert str(label) and len(str(explanation)) > len(str(label))
    assert "missed" in str(rules.RANKING_FIGURES["within"][1])


@dataclass
class E:
    kind: str
    status: str | None = None
    actor_id: int | None = 7
    public: bool = True
    note: str = ""
    detail: dict = field(default_factory=dict)
    at: datetime = NOW


def test_timeline_entries_know_the_status_before_each_change():
    events = [E("received", "received", actor_id=3), E("assigned", None, public=False, detail={"assignee_id": 7}),
              E("status", "acknowledged", public=False), E("status", "in_progress"), E("note", note="Ladder"),
              E("resolved", "resolved", detail={"resolution": "fixed"}), E("disputed", "in_progress", actor_id=3),
              E("status", "acknowledged")]
    staff = timeline.entries(events, public_only=False)
    assert [e.sentence for e in staff] == ["received", "took_on", "status", "status", "note", "resolved",
                                           "disputed", "status"]
    assert [(e.old_status, e.new_status) for e in staff if e.sentence == "status"] == [
        ("received", "acknowledged"), ("acknowledged", "in_progress"), ("in_progress", "acknowledged")]
    public = timeline.entries(events, public_only=True)
    assert [e.sentence for e in public] == ["received", "status", "note", "resolved", "disputed", "status"]
    # The internal acknowledgement is not shown, but the public change still starts from it.
    assert (public[1].old_status, public[1].new_status) == ("acknowledged", "in_progress")


def test_timeline_says_who_gave_work_to_whom_who_filed_for_a_caller_and_never_a_raw_kind():
    given = timeline.entries([E("assigned", detail={"assignee_id": 9, "assignee": "Li Na"})], public_only=False)[0]
    assert (given.sentence, given.assignee) == ("assigned", "Li Na")
    phoned = timeline.entries([E("received", "received", detail={"channel": "phone"})], public_only=False)[0]
    assert (phoned.sentence, phoned.channel) == ("filed_for", "phone")
    assert timeline.entries([E("archived")], public_only=False)[0].sentence == "updated"
    assert {e.sentence for e in timeline.entries([E(k) for k in ("note", "confirmed", "supported")],
                                                 public_only=False)} <= set(timeline.SENTENCES)
