"""Metrics, the service score, agent tiers, knowledge gaps and `xiaoer metrics`.

Expected numbers are written as the arithmetic that produces them, so each test is its
own hand calculation.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from handoff.gaps import group_questions, knowledge_gaps
from handoff.metrics import (
    EventRecord,
    agent_tier,
    compute_metrics,
    merchant_metrics,
    normalise_first_response,
    service_score,
)

T0 = datetime(2025, 3, 1, 9, 0, 0)
NOW = T0 + timedelta(days=3)


def ev(kind, conv=None, at=T0, /, value=None, agent=None, **data) -> EventRecord:
    return EventRecord(kind, conv, value, agent, data or None, at)


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def bot_conversation(conv, start, *, message_id, wait=2.0, answered=True, rating=None):
    """started → shopper message → bot reply after ``wait`` s → answered/unanswered (→ rating)."""
    events = [
        ev("conversation_started", conv, start, lang="zh"),
        ev("shopper_message", conv, start, message_id=message_id, owner="bot"),
        ev("responded", conv, start + s(wait), value=wait, message_id=message_id),
        ev("answered", conv, start + s(wait), value=0.9, intent="presale", answerer="extractive")
        if answered
        else ev("unanswered", conv, start + s(wait), value=0.2, question="?", reason="low_confidence"),
    ]
    if rating is not None:
        events.append(ev("rating", conv, start + s(60), value=rating))
    return events


# --- the service score -------------------------------------------------------------------


def worked_example_events() -> list[EventRecord]:
    """The README example: 10 conversations; 9 replies in 20 s and one in 40 s; c9 escalated
    (never resolved), c8 not answered; ratings 5, 5, 5, 4, 4; everything is 3 days old."""
    events = []
    for i in range(10):
        start = T0 + timedelta(minutes=i)
        rating = [5, 5, 5, 4, 4][i] if i < 5 else None
        events += bot_conversation(f"c{i}", start, message_id=i, wait=40.0 if i == 9 else 20.0,
                                   answered=i != 8, rating=rating)
    events.append(ev("escalated", "c9", T0 + timedelta(minutes=9, seconds=41), reason="human", ticket_id=1))
    return events


WORKED_EXAMPLE = 5 * (
    0.25 * 0.9                  # response rate 9/10
    + 0.25 * 0.8                # resolution rate 8/10
    + 0.30 * (4.6 - 1) / 4      # csat mean (5+5+5+4+4)/5 = 4.6
    + 0.10 * (60 - 22) / 57     # first response (9*20 + 40)/10 = 22 s
    + 0.10 * (1 - 0.1)          # transfer rate 1/10
)  # = 4.2583…


def test_service_score_worked_example():
    score = service_score(
        response_rate=0.9, resolution_rate=0.8, csat=4.6, avg_first_response_seconds=22.0, transfer_rate=0.1
    )
    assert score.score == pytest.approx(WORKED_EXAMPLE)
    assert score.score == pytest.approx(4.2583, abs=1e-4)
    assert score.display == "4.26" and not score.excellent and score.left_out == []
    assert [round(c.normalised, 4) for c in score.components] == [0.9, 0.8, 0.9, 0.6667, 0.9]
    assert sum(c.weight for c in score.components) == pytest.approx(1.0)


def test_worked_example_from_events():
    m = compute_metrics(worked_example_events(), now=NOW)
    assert (m.conversations, m.shopper_messages, m.responded_in_sla) == (10, 10, 9)
    assert m.response_rate == pytest.approx(0.9)
    assert m.avg_first_response_seconds == pytest.approx(22.0)
    assert m.resolution_rate == pytest.approx(0.8) and m.bot_resolution_rate == pytest.approx(0.8)
    assert m.transfer_rate == pytest.approx(0.1)
    assert m.csat.mean == pytest.approx(4.6) and m.csat.ratings == 5
    assert m.service_score.score == pytest.approx(WORKED_EXAMPLE)


def test_a_component_without_data_is_left_out_and_the_weights_renormalised():
    events = [e for e in worked_example_events() if e.kind != "rating"]
    score = compute_metrics(events, now=NOW).service_score
    assert score.left_out == ["csat"]
    assert [c.name for c in score.components if not c.included] == ["csat"]
    expected = 5 * (0.25 * 0.9 + 0.25 * 0.8 + 0.10 * (60 - 22) / 57 + 0.10 * 0.9) / (0.25 + 0.25 + 0.10 + 0.10)
    assert score.score == pytest.approx(expected)
    assert score.score == pytest.approx(4.1548, abs=1e-4)  # the README's figure


def test_no_data_no_score():
    score = compute_metrics([], now=NOW).service_score
    assert score.score is None and not score.excellent and score.display == "-"
    assert score.left_out == ["response_rate", "resolution_rate", "csat", "first_response", "transfer_rate"]


def test_excellent_line_is_inclusive():
    perfect = dict(resolution_rate=1.0, csat=5.0, avg_first_response_seconds=3.0, transfer_rate=0.0)
    at_line = service_score(response_rate=0.84, **perfect)  # 5 * (0.25 * 0.84 + 0.75) = 4.8
    assert at_line.score == pytest.approx(4.8) and at_line.excellent and at_line.display == "4.80"
    below = service_score(response_rate=0.83, **perfect)  # 5 * (0.25 * 0.83 + 0.75) = 4.7875
    assert below.score == pytest.approx(4.7875) and not below.excellent


@pytest.mark.parametrize(
    "seconds, expected",
    [(0.0, 1.0), (2.9, 1.0), (3.0, 1.0), ((3 + 60) / 2, 0.5), (22.0, (60 - 22) / 57), (60.0, 0.0), (600.0, 0.0)],
)
def test_first_response_normalisation(seconds, expected):
    assert normalise_first_response(seconds) == pytest.approx(expected)


# --- agent tiers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response, resolution, tickets, tier",
    [
        (0.95, 0.90, 5, "master"),
        (0.9499, 0.90, 5, "expert"),
        (0.95, 0.8999, 5, "expert"),
        (0.90, 0.80, 5, "expert"),
        (0.8999, 0.80, 5, "senior"),
        (0.90, 0.7999, 5, "senior"),
        (0.80, 0.70, 5, "senior"),
        (0.7999, 0.70, 5, "uncertified"),
        (0.80, 0.6999, 5, "uncertified"),
        (1.0, 1.0, 4, "uncertified"),  # fewer than 5 claimed tickets
        (None, 1.0, 10, "uncertified"),
    ],
)
def test_tier_boundaries(response, resolution, tickets, tier):
    assert agent_tier(response, resolution, tickets).code == tier


def test_tier_labels():
    assert [agent_tier(r, q, 5).label for r, q in [(1, 1), (0.9, 0.8), (0.8, 0.7), (0, 0)]] == ["专家", "资深", "高级", "未认证"]


def agent_events(agent, tickets, *, resolved, late, pending=2):
    """``tickets`` claims with ``pending`` waiting messages each; every waiting message gets
    a reply 10 s after the claim except ``late`` of them (45 s); ``resolved`` tickets closed."""
    events, late_left = [], late
    for t in range(tickets):
        conv = f"{agent}-c{t}"
        start = T0 + timedelta(hours=t)
        claim = start + timedelta(minutes=5)
        events += [ev("conversation_started", conv, start), ev("escalated", conv, start, reason="human", ticket_id=t)]
        for p in range(pending):
            events.append(ev("shopper_message", conv, start, message_id=f"{conv}-{p}", owner="queued"))
        events.append(ev("ticket_claimed", conv, claim, value=300.0, agent=agent, ticket_id=t, pending=pending))
        for p in range(pending):
            wait = 45.0 if late_left > 0 else 10.0
            late_left -= wait == 45.0
            events.append(ev("responded", conv, claim + s(wait), value=wait, agent=agent, message_id=f"{conv}-{p}"))
        if t < resolved:
            events.append(ev("ticket_resolved", conv, claim + s(600), value=600.0, agent=agent, ticket_id=t))
    return events


def test_agent_figures_and_tiers_from_events():
    events = (
        agent_events("a1", 10, resolved=9, late=1)  # 19/20 = 0.95, 9/10 = 0.90: master, exactly
        + agent_events("a2", 10, resolved=9, late=2)  # 18/20 = 0.90: expert
        + agent_events("a3", 4, resolved=4, late=0)  # perfect but only 4 tickets
    )
    m = compute_metrics(events, now=NOW, agent_names={"a1": "小王", "a4": "New hire"})
    agents = {a.agent_id: a for a in m.agents}
    a1 = agents["a1"]
    assert (a1.name, a1.tickets_claimed, a1.tickets_resolved, a1.messages_owed, a1.responded_in_sla) == ("小王", 10, 9, 20, 19)
    assert (a1.response_rate, a1.resolution_rate, a1.tier, a1.tier_label) == (0.95, 0.90, "master", "专家")
    assert a1.avg_handling_seconds == pytest.approx(600.0)
    assert agents["a2"].tier == "expert" and agents["a2"].response_rate == 0.90
    assert agents["a3"].tier == "uncertified" and agents["a3"].response_rate == 1.0
    assert agents["a4"].tickets_claimed == 0 and agents["a4"].tier == "uncertified"
    assert agents["a4"].response_rate is None


def test_shopper_messages_held_by_an_agent_count_for_the_agent():
    events = [
        ev("conversation_started", "c", T0),
        ev("ticket_claimed", "c", T0 + s(60), value=60.0, agent="a", ticket_id=1, pending=0),
        ev("shopper_message", "c", T0 + s(120), agent="a", message_id=1, owner="human"),
        ev("responded", "c", T0 + s(200), value=80.0, agent="a", message_id=1),
        ev("shopper_message", "c", T0 + s(300), agent="a", message_id=2, owner="human"),
        ev("responded", "c", T0 + s(310), value=10.0, agent="a", message_id=2),
    ]
    (agent,) = compute_metrics(events, now=NOW).agents
    assert (agent.messages_owed, agent.responded_in_sla, agent.response_rate) == (2, 1, 1 / 2)


def test_queue_time_counts_for_the_shop_but_not_for_the_agent():
    # The shopper waited 10 min in the queue; the agent replied 10 s after claiming.
    events = [
        ev("conversation_started", "c", T0),
        ev("shopper_message", "c", T0, message_id=1, owner="queued"),
        ev("ticket_claimed", "c", T0 + s(600), value=600.0, agent="a", ticket_id=1, pending=1),
        ev("responded", "c", T0 + s(610), value=10.0, agent="a", message_id=1),
        # A message sent 5 s before `now` with no reply yet has not failed the SLA yet.
        ev("shopper_message", "c", NOW - s(5), agent="a", message_id=2, owner="human"),
    ]
    m = compute_metrics(events, now=NOW)
    assert (m.shopper_messages, m.pending_messages, m.responded_in_sla, m.response_rate) == (1, 1, 0, 0.0)
    assert m.avg_first_response_seconds == pytest.approx(610.0)
    assert m.agents[0].responded_in_sla == 1


# --- resolution --------------------------------------------------------------------------

H = timedelta(hours=1)


def answered_at(conv, at):
    return [
        ev("conversation_started", conv, at),
        ev("shopper_message", conv, at, message_id=f"{conv}-1"),
        ev("responded", conv, at + s(1), value=1.0, message_id=f"{conv}-1"),
        ev("answered", conv, at + s(1), value=0.9),
    ]


def escalated_resolved_at(conv, at, resolved_after=H):
    return answered_at(conv, at) + [
        ev("escalated", conv, at + s(2), reason="human", ticket_id=1),
        ev("ticket_claimed", conv, at + s(60), value=58.0, agent="a", ticket_id=1, pending=1),
        ev("ticket_resolved", conv, at + resolved_after, value=3600.0, agent="a", ticket_id=1),
    ]


@pytest.mark.parametrize(
    "name, events, resolved, bot_resolved, reopened",
    [
        ("quiet for more than 24 h", answered_at("c", NOW - 25 * H), True, True, False),
        ("quiet for 23 h only", answered_at("c", NOW - 23 * H), False, False, False),
        ("confirmed by a rating of 4", answered_at("c", NOW - 2 * H) + [ev("rating", "c", NOW - H, value=4)], True, True, False),
        ("confirmed by the shopper's thanks", answered_at("c", NOW - 2 * H) + [ev("shopper_message", "c", NOW - H, message_id=9, confirms=True)],
         True, True, False),
        ("a refund offer accepted settles it, quiet for 25 h since",
         [ev("conversation_started", "c", NOW - 26 * H), ev("offer_made", "c", NOW - 26 * H, value=5.0),
          ev("offer_accepted", "c", NOW - 25 * H, value=5.0, saved=None)], True, True, False),
        ("a rating of 3 does not confirm", answered_at("c", NOW - 2 * H) + [ev("rating", "c", NOW - H, value=3)], False, False, False),
        ("confirmed, then the shopper writes again within 24 h",
         answered_at("c", NOW - 5 * H) + [ev("rating", "c", NOW - 4 * H, value=5), ev("shopper_message", "c", NOW - 2 * H, message_id=9)],
         False, False, True),
        ("nothing answered", answered_at("c", NOW - 48 * H)[:3], False, False, False),
        ("escalated: never bot-resolved", answered_at("c", NOW - 48 * H) + [ev("escalated", "c", NOW - 47 * H)], False, False, False),
        ("ticket resolved", escalated_resolved_at("c", NOW - 5 * H), True, False, False),
        ("ticket resolved, reopened after 1 h",
         escalated_resolved_at("c", NOW - 5 * H) + [ev("shopper_message", "c", NOW - 3 * H, message_id=9)], False, False, True),
        ("reopened, then resolved again",
         escalated_resolved_at("c", NOW - 50 * H)
         + [ev("shopper_message", "c", NOW - 48 * H, message_id=9),
            ev("ticket_resolved", "c", NOW - 47 * H, value=60.0, agent="a", ticket_id=1)],
         True, False, False),
        ("a message 8 days after the resolution does not reopen it",
         escalated_resolved_at("c", NOW - 10 * 24 * H) + [ev("shopper_message", "c", NOW - 10 * 24 * H + H + 8 * 24 * H, message_id=9)],
         True, False, False),
        ("a message 6 days after the resolution reopens it",
         escalated_resolved_at("c", NOW - 10 * 24 * H) + [ev("shopper_message", "c", NOW - 10 * 24 * H + H + 6 * 24 * H, message_id=9)],
         False, False, True),
        ("thanks after the resolution confirms it, it does not reopen it",
         escalated_resolved_at("c", NOW - 5 * H) + [ev("shopper_message", "c", NOW - 3 * H, message_id=9, confirms=True)],
         True, False, False),
        ("escalated again after the resolution: a new handoff reopens it",
         escalated_resolved_at("c", NOW - 50 * H) + [ev("escalated", "c", NOW - 10 * H, reason="human", ticket_id=2)],
         False, False, True),
    ],
)
def test_bot_resolved_and_reopened(name, events, resolved, bot_resolved, reopened):
    m = compute_metrics(events, now=NOW)
    assert m.conversations == 1
    assert (m.resolved, m.bot_resolved, m.reopened) == (int(resolved), int(bot_resolved), int(reopened)), name


# --- recovery, period, daily series ----------------------------------------------------------


def test_recovery_figures():
    events = []
    for conv, amount, outcome, saved in [("c1", 20.0, "accepted", 279.0), ("c2", 10.0, "accepted", 0.0), ("c3", 15.0, "declined", None)]:
        events += [
            ev("conversation_started", conv, T0),
            ev("offer_made", conv, T0 + s(5), value=amount, offer_id=conv, kind="coupon", reason="price"),
        ]
        data = {"offer_id": conv, "kind": "coupon"} | ({"saved": saved} if saved is not None else {})
        events.append(ev(f"offer_{outcome}", conv, T0 + s(30), value=amount, **data))
    r = compute_metrics(events, now=NOW).recovery
    assert (r.offers_made, r.offers_accepted, r.offers_declined) == (3, 2, 1)
    assert r.recovery_rate == pytest.approx(2 / 3)
    assert r.amount_saved == 279.0 + 0.0
    assert r.compensation_given == 20.0 + 10.0


def test_period_and_daily_series():
    day1 = datetime(2025, 3, 1)
    events = (
        answered_at("old", day1 - 2 * H)  # started before the period: left out, even its later events
        + [ev("offer_accepted", "old", day1 + H, value=5.0, saved=100.0)]
        + answered_at("a", day1 + 9 * H)  # day 1, bot-resolved (quiet > 24 h)
        + answered_at("b", day1 + 10 * H) + [ev("escalated", "b", day1 + 10 * H + s(5))]  # day 1, escalated
        + answered_at("c", day1 + 2 * 24 * H + 8 * H)  # day 3, offer accepted on day 4: counted on day 3
        + [ev("offer_made", "c", day1 + 3 * 24 * H, value=5.0),
           ev("offer_accepted", "c", day1 + 3 * 24 * H + H, value=5.0, saved=95.0)]
        + answered_at("late", day1 + 3 * 24 * H + 2 * H)  # after `until`: left out
    )
    until = day1 + 3 * 24 * H
    now = day1 + 3 * 24 * H + 12 * H
    m = compute_metrics(events, now=now, since=day1, until=until)
    assert m.conversations == 3 and m.resolved == 1 and m.escalated == 1
    assert m.recovery.offers_accepted == 1 and m.recovery.amount_saved == 95.0
    rows = [(d.day, d.conversations, d.resolved, d.escalated, d.offers_accepted) for d in m.daily]
    assert rows == [
        (date(2025, 3, 1), 2, 1, 1, 0),
        (date(2025, 3, 2), 0, 0, 0, 0),
        (date(2025, 3, 3), 1, 0, 0, 1),
    ]
    assert sum(d.conversations for d in m.daily) == m.conversations


# --- knowledge gaps ------------------------------------------------------------------------


class OneHotEmbedder:
    """Every distinct text is orthogonal to every other: only identical questions can group."""

    name = "onehot"

    def __init__(self):
        self.calls = []

    def embed(self, texts):
        self.calls.append(list(texts))
        return np.eye(len(texts), 8, dtype=np.float32)


def unanswered(question, at, reason="low_confidence"):
    return ev("unanswered", "c", at, value=0.2, question=question, reason=reason)


def test_identical_questions_group_whatever_the_embedder():
    embedder = OneHotEmbedder()
    events = [
        unanswered("Do you ship to Mars?", T0),
        unanswered("  do you ship to MARS?  ", T0 + H, reason="out_of_scope"),
        unanswered("这个外套可以机洗吗？", T0 + 2 * H),
        unanswered("这个外套可以机洗吗?", T0 + 3 * H),  # NFKC: full-width and ASCII "?" are the same
        unanswered("Gift wrap?", T0 + 4 * H),
        ev("answered", "c", T0, value=0.9),  # not a gap
    ]
    gaps = group_questions(events, embedder)
    assert embedder.calls == [["Do you ship to Mars?", "这个外套可以机洗吗？", "Gift wrap?"]]  # each phrasing embedded once
    assert [(g.question, g.count) for g in gaps] == [("这个外套可以机洗吗？", 2), ("Do you ship to Mars?", 2), ("Gift wrap?", 1)]
    assert gaps[1].reasons == ["low_confidence", "out_of_scope"]  # one each: by name
    assert gaps[0].last_seen == T0 + 3 * H  # ties on count: most recent first
    assert group_questions([], embedder) == [] and len(embedder.calls) == 1


def test_zh_and_en_paraphrases_group_and_an_unrelated_question_stays_apart():
    from retrieval.embedders import get_embedder

    questions = [
        "这个外套可以机洗吗？",
        "Can I machine wash this jacket?",
        "外套能不能用洗衣机洗",
        "Do you sell electric guitars?",
        "Is the jacket machine washable?",
        "这个外套可以机洗吗?",
    ]
    events = [unanswered(q, T0 + i * H, reason="no_answer" if i == 2 else "low_confidence") for i, q in enumerate(questions)]
    gaps = group_questions(events, get_embedder(), threshold=0.75)
    assert [g.count for g in gaps] == [5, 1]
    washing, guitars = gaps
    assert set(washing.examples) == {"这个外套可以机洗吗？", "Can I machine wash this jacket?", "外套能不能用洗衣机洗", "Is the jacket machine washable?"}
    assert washing.examples[0] == "这个外套可以机洗吗？"  # asked twice: most asked first
    assert washing.question in washing.examples
    assert washing.reasons == ["low_confidence", "no_answer"]
    assert washing.last_seen == T0 + 5 * H
    assert guitars.question == "Do you sell electric guitars?" and guitars.examples == [guitars.question]
    assert len(group_questions(events, get_embedder(), limit=1)) == 1


# --- the database and the CLI --------------------------------------------------------------


runner = CliRunner()


def fill_merchant(merchant_id: str) -> datetime:
    """One bot conversation (rated 5) and one escalated one handled by agent a1, an hour old,
    plus two unanswered questions; and one conversation 40 days old (outside --days 30)."""
    from bot.events import record_event
    from handoff.models import Agent
    from knowledge import repository
    from xiaoer.db import session_scope, utcnow

    now = utcnow()
    start = now - H

    def at(event, when):
        event.created_at = when

    with session_scope() as session:
        repository.get_or_create_merchant(session, merchant_id, "Metrics shop")
        session.add(Agent(id=f"{merchant_id}-a1", merchant_id=merchant_id, name="小王"))
        for conv, when in ((f"{merchant_id}-c1", start), (f"{merchant_id}-old", now - timedelta(days=40))):
            at(record_event(session, merchant_id, "conversation_started", conversation_id=conv, data={"lang": "zh"}), when)
            at(record_event(session, merchant_id, "shopper_message", conversation_id=conv, data={"message_id": conv, "owner": "bot"}), when)
            at(record_event(session, merchant_id, "responded", conversation_id=conv, value=2.0, data={"message_id": conv}), when + s(2))
            at(record_event(session, merchant_id, "answered", conversation_id=conv, value=0.9, data={"intent": "presale", "answerer": "extractive"}), when + s(2))
        at(record_event(session, merchant_id, "rating", conversation_id=f"{merchant_id}-c1", value=5), start + s(30))
        conv = f"{merchant_id}-c2"
        at(record_event(session, merchant_id, "conversation_started", conversation_id=conv, data={"lang": "en"}), start)
        at(record_event(session, merchant_id, "shopper_message", conversation_id=conv, data={"message_id": conv, "owner": "bot"}), start)
        at(record_event(session, merchant_id, "responded", conversation_id=conv, value=4.0, data={"message_id": conv}), start + s(4))
        at(record_event(session, merchant_id, "unanswered", conversation_id=conv, value=0.1,
                        data={"question": "Do you sell electric guitars?", "reason": "low_confidence"}), start + s(4))
        at(record_event(session, merchant_id, "unanswered", conversation_id=conv, value=0.1,
                        data={"question": "what does [/b] mean", "reason": "low_confidence"}), start + s(5))
        at(record_event(session, merchant_id, "escalated", conversation_id=conv, data={"reason": "low_confidence", "ticket_id": 1}), start + s(4))
        at(record_event(session, merchant_id, "ticket_claimed", conversation_id=conv, value=56.0, agent_id=f"{merchant_id}-a1",
                        data={"ticket_id": 1, "pending": 0}), start + s(60))
        at(record_event(session, merchant_id, "ticket_resolved", conversation_id=conv, value=300.0, agent_id=f"{merchant_id}-a1",
                        data={"ticket_id": 1}), start + s(360))
    return now


def test_merchant_metrics_reads_one_merchant_and_period(merchant_id):
    now = fill_merchant(merchant_id)
    fill_merchant(merchant_id + "x")  # another shop's events never count
    m = merchant_metrics(merchant_id, since=now - timedelta(days=30), now=now + s(1))
    assert (m.conversations, m.resolved, m.bot_resolved, m.escalated) == (2, 2, 1, 1)
    assert m.response_rate == 1.0 and m.avg_first_response_seconds == pytest.approx((2 + 4) / 2)
    assert m.agents[0].name == "小王" and m.agents[0].tickets_resolved == 1
    expected = 5 * (0.25 * 1 + 0.25 * 1 + 0.30 * 1 + 0.10 * 1 + 0.10 * (1 - 1 / 2))
    assert m.service_score.score == pytest.approx(expected)  # 4.75
    assert merchant_metrics(merchant_id, now=now + s(1)).conversations == 3  # no `since`: all time
    gaps = knowledge_gaps(merchant_id, OneHotEmbedder(), since=now - timedelta(days=30))
    assert [(g.question, g.count) for g in gaps] == [("what does [/b] mean", 1), ("Do you sell electric guitars?", 1)]


def test_cli_metrics_json(merchant_id):
    from xiaoer.cli import app

    fill_merchant(merchant_id)
    result = runner.invoke(app, ["metrics", "--merchant", merchant_id, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"service_score", "components", "resolution", "adoption", "recovery", "agents", "knowledge_gaps", "period"}
    assert payload["service_score"]["score"] == pytest.approx(4.75)
    assert payload["service_score"]["excellent"] is False and payload["service_score"]["left_out"] == []
    assert payload["components"]["transfer_rate"]["value"] == 0.5
    assert payload["components"]["csat"]["weight"] == 0.30
    assert payload["period"]["days"] == 30 and payload["period"]["conversations"] == 2
    assert payload["agents"][0]["tier"] == "uncertified" and payload["agents"][0]["name"] == "小王"
    assert payload["recovery"]["offers_made"] == 0
    assert {g["question"] for g in payload["knowledge_gaps"]} == {"Do you sell electric guitars?", "what does [/b] mean"}

    result = runner.invoke(app, ["metrics", "--merchant", merchant_id, "--days", "90"])
    assert result.exit_code == 0, result.output
    # 3 conversations now: transfer 1/3, everything else perfect
    assert f"service score {5 * (0.9 + 0.10 * (1 - 1 / 3)):.2f} / 5" in result.output  # 4.83
    assert "★ excellent ≥ 4.8" in result.output
    assert "小王" in result.output and "guitars" in result.output and "未认证" in result.output
    assert "[/b]" in result.output  # shopper text is printed as text, never as markup

    result = runner.invoke(app, ["metrics", "--merchant", merchant_id])
    assert result.exit_code == 0 and "service score 4.75 / 5" in result.output and "excellent ≥ 4.8" in result.output


def test_cli_metrics_unknown_merchant():
    from xiaoer.cli import app

    result = runner.invoke(app, ["metrics", "--merchant", "no-such-shop-xyz"])
    assert result.exit_code == 2 and "unknown merchant" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["metrics", "--merchant", "../x", "--json"])
    assert result.exit_code == 2 and "invalid merchant id" in result.output


def test_order_figures_and_their_share_of_bot_resolved_conversations():
    events = []
    # c1: order answered, quiet since (bot-resolved); c2: FAQ answer (bot-resolved);
    # c3: stuck order found, escalated; c4: an action confirmed (bot-resolved)
    events += [ev("conversation_started", "c1", T0), ev("order_lookup", "c1", T0 + s(2), order_id="A", topic="where", step="answer")]
    events += [ev("conversation_started", "c2", T0), ev("answered", "c2", T0 + s(2), value=0.9, intent="presale", answerer="extractive")]
    events += [ev("conversation_started", "c3", T0), ev("order_lookup", "c3", T0 + s(2), order_id="B", topic="where", step="answer"),
               ev("order_abnormal", "c3", T0 + s(2), order_id="B", kind="stuck"), ev("escalated", "c3", T0 + s(2), reason="abnormal_order")]
    events += [ev("conversation_started", "c4", T0), ev("order_lookup", "c4", T0 + s(2), order_id="C", topic="cancel", step="restate"),
               ev("order_lookup", "c4", T0 + s(9), order_id="C", topic="cancel", step="confirmed"),
               ev("order_action", "c4", T0 + s(9), order_id="C", kind="cancel")]
    m = compute_metrics(events, now=NOW)
    o = m.orders
    assert (o.lookups, o.abnormal, o.actions) == (4, 1, 1)
    assert m.bot_resolved == 3 and o.bot_resolved_with_order == 2
    assert o.share_of_bot_resolved == pytest.approx(2 / 3)


# --- honest resolution: confirmed / assumed / reopened, through the database -----------------

# conversation → (how long ago its ticket was resolved, what came after: (delay, kind, value))
RESOLUTION_EXAMPLE = {
    "thanks": (72 * H, [(10 * 60, "message", "好的谢谢，解决了")]),  # confirmed: the shopper said so
    "rated": (72 * H, [(5 * 60, "rating", 5)]),  # confirmed: rated 5 (>= 4)
    "silent": (72 * H, []),  # assumed: no reply within 24 h
    "rated-3": (72 * H, [(5 * 60, "rating", 3)]),  # assumed: a 3 confirms nothing, and no reply came
    "again": (72 * H, [(2 * 24 * 3600, "message", "衣服还是开线了，没修好")]),  # reopened: wrote again within 7 days
    "fresh": (2 * H, []),  # pending: resolved 2 h ago, the shopper has 22 h left to answer
}
# Settled: 2 confirmed + 2 assumed + 1 reopened = 5 resolutions (the fresh one is pending).
RESOLUTION_RATES = {"confirmed": 2 / 5, "assumed": 2 / 5, "reopened": 1 / 5}


def fill_resolutions(merchant_id: str, now: datetime) -> None:
    """The example above as real rows: conversations, tickets' events and the shopper's
    messages written with add_message (which marks a confirmation), then moved in time."""
    from sqlalchemy import select

    from bot.conversations import add_message
    from bot.events import record_event
    from bot.models import Conversation, MetricEvent
    from handoff.models import Agent
    from knowledge import repository
    from xiaoer.db import session_scope

    with session_scope() as session:
        repository.get_or_create_merchant(session, merchant_id, "Honest shop")
        agent = f"{merchant_id}-a"
        session.add(Agent(id=agent, merchant_id=merchant_id, name="小李"))
        for name, (ago, after) in RESOLUTION_EXAMPLE.items():
            conversation = Conversation(id=f"{merchant_id}-{name}", merchant_id=merchant_id, lang="zh")
            session.add(conversation)
            session.flush()
            resolved = now - ago
            timeline = [
                (resolved - H, "conversation_started", {"data": {"lang": "zh"}}),
                (resolved - H + s(5), "escalated", {"data": {"reason": "explicit_request", "ticket_id": 1}}),
                (resolved - H + s(60), "ticket_claimed", {"agent_id": agent, "value": 55.0, "data": {"ticket_id": 1, "pending": 0}}),
                (resolved, "ticket_resolved", {"agent_id": agent, "value": 3540.0, "data": {"ticket_id": 1}}),
            ]
            for when, kind, fields in timeline:
                record_event(session, merchant_id, kind, conversation_id=conversation.id, **fields).created_at = when
            for delay, kind, value in after:
                if kind == "rating":
                    record_event(session, merchant_id, "rating", conversation_id=conversation.id, value=value).created_at = resolved + s(delay)
                    continue
                add_message(session, conversation, "shopper", value)
                event = session.scalars(
                    select(MetricEvent).where(MetricEvent.conversation_id == conversation.id, MetricEvent.kind == "shopper_message")
                ).one()
                event.created_at = resolved + s(delay)


def test_resolutions_confirmed_assumed_reopened_hand_computed(client, merchant_id):
    from tests.conftest import make_merchant
    from xiaoer.cli import app
    from xiaoer.db import utcnow

    headers = make_merchant(client, merchant_id)
    now = utcnow()
    fill_resolutions(merchant_id, now)
    m = merchant_metrics(merchant_id, since=now - timedelta(days=30), now=now + s(1))
    r = m.resolution
    assert (r.confirmed, r.assumed, r.reopened, r.pending) == (2, 2, 1, 1)
    assert (r.confirmed_rate, r.assumed_rate, r.reopened_rate) == pytest.approx((0.4, 0.4, 0.2))
    assert (m.conversations, m.resolved, m.reopened) == (6, 2 + 2 + 1, 1)  # an agent's pending resolution counts
    assert m.resolution_rate == pytest.approx(5 / 6)
    # The service score's resolution component is that rate: the reopened one does not count.
    assert next(c for c in m.service_score.components if c.name == "resolution_rate").value == pytest.approx(5 / 6)

    api = client.get(f"/v1/merchants/{merchant_id}/metrics", headers=headers)
    assert api.status_code == 200
    assert {k: api.json()["resolution"][k] for k in ("confirmed", "assumed", "reopened", "pending")} == {
        "confirmed": 2, "assumed": 2, "reopened": 1, "pending": 1}
    assert api.json()["resolution"]["reopened_rate"] == pytest.approx(RESOLUTION_RATES["reopened"])

    result = runner.invoke(app, ["metrics", "--merchant", merchant_id, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resolution"]["confirmed_rate"] == pytest.approx(RESOLUTION_RATES["confirmed"])
    result = runner.invoke(app, ["metrics", "--merchant", merchant_id])
    assert "2 (40.0%)" in result.output and "1 (20.0%)" in result.output


@pytest.mark.parametrize(
    "text, confirms",
    [("好的谢谢", True), ("解决了，谢谢！", True), ("thanks, that worked", True), ("OK thanks!", True), ("👍", True),
     ("谢谢，但是还是没到货", False), ("还是不行", False), ("衣服开线了", False), ("ok but it is still broken", False),
     ("what about shipping? thanks", False)],
)
def test_a_confirmation_is_thanks_and_nothing_else(text, confirms):
    from bot.replies import confirms_resolution

    assert confirms_resolution(text) is confirms
