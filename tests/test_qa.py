"""Quality inspection (handoff/qa.py): each rule on a hand-built ticket, the score by hand,
the merchant's rules over the API, the QA threshold in the tiers, and `xiaoer qa`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from handoff.metrics import agent_tier
from handoff.qa import MessageRecord, QaRulesError, TicketRecord, default_rules, find_phrase, parse_rules, qa_report, score_ticket
from tests.conftest import make_merchant

T0 = datetime(2026, 3, 2, 10, 0, 0)
RULES = default_rules()
W = RULES.weights  # first_response 15, greeting 10, solution 20, forbidden 25, anger 10, resolution 10, rating 10


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def msg(i: int, role: str, text: str, at: float, agent: str | None = None) -> MessageRecord:
    return MessageRecord(id=i, role=role, text=text, created_at=s(at), agent_id=agent if role == "agent" else None)


def ticket(messages, *, status="resolved", rating=None, claimed=10.0, closed=600.0, agent="a1", tid=1) -> TicketRecord:
    return TicketRecord(
        id=tid, conversation_id=f"c{tid}", agent_id=agent, status=status, created_at=T0, claimed_at=s(claimed),
        closed_at=None if status == "claimed" else s(closed), rating=rating, messages=messages,
    )


GOOD = [
    msg(1, "shopper", "衣服开线了", 0),
    msg(2, "agent", "您好，我是小美，很抱歉给您带来不便。", 30, "a1"),
    msg(3, "agent", "已为您安排补发一件新的。", 60, "a1"),
]


def test_a_good_ticket_scores_100_and_raises_no_flag():
    qa = score_ticket(ticket(GOOD), RULES)
    # rating unrated and no angry message: those two checks do not apply
    assert qa.checks == {"first_response": 1, "greeting": 1, "solution": 1, "forbidden": 1, "anger": None,
                         "resolution": 1, "rating": None}
    assert qa.score == 100 and qa.flags == []


def test_first_response_is_counted_from_the_claim():
    slow = [msg(1, "shopper", "在吗", 0), msg(2, "agent", "您好，已为您查询。", 10 + 61, "a1")]
    qa = score_ticket(ticket(slow), RULES)
    assert qa.checks["first_response"] == 0
    [flag] = qa.flags
    assert (flag.rule, flag.detail, flag.message_id) == ("first_response", "61 s > 60 s", 2)
    # 1 - 15 / (15 + 10 + 20 + 25 + 10) = 65 / 80
    assert qa.score == pytest.approx(100 * 65 / 80)
    on_time = [msg(1, "shopper", "在吗", 0), msg(2, "agent", "您好，已为您查询。", 10 + 60, "a1")]
    assert score_ticket(ticket(on_time), RULES).checks["first_response"] == 1  # 60 s is within


def test_no_reply_at_all_fails_response_greeting_and_solution():
    qa = score_ticket(ticket([msg(1, "shopper", "在吗", 0)], status="handed_back"), RULES)
    assert qa.checks == {"first_response": 0, "greeting": 0, "solution": 0, "forbidden": None, "anger": None,
                         "resolution": 0, "rating": None}
    assert qa.score == 0
    assert [(f.rule, f.message_id) for f in qa.flags] == [("first_response", None), ("resolution", None)]


def test_greeting_is_looked_for_in_the_first_reply_only():
    late = [msg(1, "shopper", "my parcel?", 0), msg(2, "agent", "I've checked: it ships today.", 20, "a1"),
            msg(3, "agent", "Hello again!", 40, "a1")]
    qa = score_ticket(ticket(late), RULES)
    assert qa.checks["greeting"] == 0 and [(f.rule, f.message_id) for f in qa.flags] == [("greeting", 2)]
    assert qa.score == pytest.approx(100 * (80 - 10) / 80)


def test_english_phrases_match_whole_words():
    assert find_phrase("Hi there", RULES.greetings) == "hi"
    assert find_phrase("This shipping is late", RULES.greetings) is None
    assert find_phrase("亲，在的", RULES.greetings) == "亲"


def test_no_solution_flags_the_last_reply():
    vague = [msg(1, "shopper", "坏了", 0), msg(2, "agent", "您好", 20, "a1"), msg(3, "agent", "嗯嗯，知道了", 30, "a1")]
    qa = score_ticket(ticket(vague), RULES)
    assert qa.checks["solution"] == 0 and [(f.rule, f.message_id) for f in qa.flags] == [("solution", 3)]
    assert qa.score == pytest.approx(100 * 60 / 80)


@pytest.mark.parametrize(
    "text, detail",
    [
        ("您好，加微信 abc123 我给您便宜点，已为您备注", "off_platform: 加微信"),
        ("Hello, WeChat me and I will refund you", "off_platform: wechat me"),
        ("您好，我保证明天到，已为您催促", "absolute_promise: 保证"),
        ("Hi, it is 100% fixed, I've checked", "absolute_promise: 100%"),
        ("您好，你懂不懂啊，已为您处理", "insult: 你懂不懂"),
    ],
)
def test_forbidden_phrases_flag_the_message_with_category_and_phrase(text, detail):
    qa = score_ticket(ticket([msg(1, "shopper", "?", 0), msg(2, "agent", text, 20, "a1")]), RULES)
    assert qa.checks["forbidden"] == 0
    [flag] = qa.flags
    assert (flag.rule, flag.detail, flag.message_id, flag.text) == ("forbidden", detail, 2, text)
    assert qa.score == pytest.approx(100 * 55 / 80)


def test_an_angry_message_needs_a_reply_after_it():
    messages = [
        msg(1, "shopper", "垃圾店，骗子！！", 0),  # while queued: answered by the reply at 30 s
        msg(2, "agent", "您好，非常抱歉，已为您安排退款。", 30, "a1"),
        msg(3, "shopper", "太气人了，投诉你们", 100),  # nothing after it
    ]
    qa = score_ticket(ticket(messages), RULES)
    assert qa.checks["anger"] == pytest.approx(1 / 2)
    assert [(f.rule, f.message_id) for f in qa.flags] == [("anger", 3)]
    # weights 15+10+20+25+10+10 = 90; lost 10 * 1/2
    assert qa.score == pytest.approx(100 * (90 - 5) / 90)


def test_rating_scales_and_a_low_rating_is_flagged():
    qa = score_ticket(ticket(GOOD, rating=2), RULES)
    assert qa.checks["rating"] == pytest.approx(0.25)
    assert [(f.rule, f.detail) for f in qa.flags] == [("rating", "rated 2/5")]
    assert qa.score == pytest.approx(100 * (80 + 10 * 0.25) / 90)
    assert score_ticket(ticket(GOOD, rating=4), RULES).flags == []


def test_an_open_ticket_is_not_judged_on_resolution_and_other_agents_replies_do_not_count():
    messages = [msg(1, "shopper", "?", 0), msg(2, "agent", "加微信", 5, "a2"), *GOOD[1:]]
    qa = score_ticket(ticket(messages, status="claimed"), RULES)
    assert qa.checks["resolution"] is None and qa.checks["forbidden"] == 1 and qa.score == 100


def test_agent_score_is_the_mean_of_ticket_scores():
    vague = [msg(1, "shopper", "坏了", 0), msg(2, "agent", "您好", 20, "a1")]
    bens = [msg(m.id, m.role, m.text, (m.created_at - T0).total_seconds(), "b") for m in GOOD]
    report = qa_report([ticket(GOOD, tid=1), ticket(vague, tid=2), ticket(bens, tid=3, agent="b")], RULES,
                       agent_names={"a1": "小美", "b": "Ben", "c": "Cy"})
    by_id = {a.agent_id: a for a in report.agents}
    assert by_id["a1"].score == pytest.approx((100 + 100 * 60 / 80) / 2) and by_id["a1"].flags == 1
    assert by_id["a1"].name == "小美" and by_id["b"].score == 100
    assert by_id["c"].tickets == 0 and by_id["c"].score is None


def test_merchant_rules_merge_over_the_defaults():
    rules = parse_rules({"forbidden": {"competitor": ["某宝更便宜"]}, "weights": {"greeting": 0}})
    assert rules.forbidden["off_platform"] == RULES.forbidden["off_platform"]
    assert rules.weights["greeting"] == 0 and rules.weights["solution"] == 20
    qa = score_ticket(ticket([msg(1, "shopper", "?", 0), msg(2, "agent", "已为您备注，某宝更便宜", 20, "a1")]), rules)
    # greeting weight 0: the check is off (no flag, no cost); forbidden costs 25 of 70
    assert [(f.rule, f.detail) for f in qa.flags] == [("forbidden", "competitor: 某宝更便宜")]
    assert qa.score == pytest.approx(100 * 45 / 70)
    with pytest.raises(QaRulesError, match="unknown checks"):
        parse_rules({"weights": {"speed": 3}})
    with pytest.raises(QaRulesError, match="first_response_seconds"):
        parse_rules({"first_response_seconds": -1})


@pytest.mark.parametrize(
    "qa_score, tier",
    [(None, "master"), (90.0, "master"), (89.9, "expert"), (80.0, "expert"), (79.9, "senior"), (70.0, "senior"),
     (69.9, "uncertified")],
)
def test_the_qa_score_is_a_tier_threshold(qa_score, tier):
    # rates good enough for 专家 (0.95 / 0.90); the QA score alone decides the tier
    assert agent_tier(0.96, 0.92, 5, qa_score).code == tier


def test_the_qa_score_moves_an_agent_down_a_tier_in_the_metrics():
    from handoff.metrics import compute_metrics
    from tests.test_metrics import NOW, agent_events

    events = agent_events("a1", 10, resolved=9, late=1) + agent_events("a2", 10, resolved=9, late=1)
    # both: response 19/20 = 0.95, resolution 9/10 = 0.90 (专家 on the rates); QA decides
    # a1: tickets scoring 100, 100, 68.75 -> mean 89.58 < 90 -> 资深; a2: 90 -> 专家
    qa = {"a1": (100 + 100 + 100 * 55 / 80) / 3, "a2": 90.0}
    agents = {a.agent_id: a for a in compute_metrics(events, now=NOW, qa_scores=qa).agents}
    assert agents["a1"].qa_score == pytest.approx(89.583, abs=1e-3) and agents["a1"].tier_label == "资深"
    assert agents["a2"].tier_label == "专家"
    assert {a.tier_label for a in compute_metrics(events, now=NOW).agents} == {"专家"}  # no QA given


# --- through the API and the CLI ---------------------------------------------------------------


def agent_ticket(client, merchant_id, key, reply: str) -> tuple[str, int]:
    """A shopper asks for a person, agent Ann claims, replies ``reply`` and resolves."""
    a = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-a", "name": "Ann"}).json()
    ann = {"X-Agent-Key": a["api_key"]}
    turn = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "转人工"}).json()
    ticket = turn["handoff"]["ticket_id"]
    assert client.post(f"/v1/agent/tickets/{ticket}/claim", headers=ann).status_code == 200
    assert client.post(f"/v1/agent/tickets/{ticket}/messages", headers=ann, json={"text": reply}).status_code == 201
    assert client.post(f"/v1/agent/tickets/{ticket}/resolve", headers=ann).status_code == 200
    return f"{merchant_id}-a", ticket


def test_qa_rules_and_report_over_the_api(client, merchant_id):
    key = make_merchant(client, merchant_id)
    base = f"/v1/merchants/{merchant_id}"
    assert client.get(f"{base}/qa-rules", headers=key).json()["weights"]["forbidden"] == 25
    bad = client.put(f"{base}/qa-rules", headers=key, json={"weights": {"speed": 1}})
    assert bad.status_code == 422 and "unknown checks" in bad.json()["detail"]
    assert client.put(f"{base}/qa-rules", headers=key, json=["x"]).status_code == 422
    put = client.put(f"{base}/qa-rules", headers=key, json={"forbidden": {"competitor": ["拼夕夕"]}})
    assert put.status_code == 200 and put.json()["forbidden"]["competitor"] == ["拼夕夕"]
    assert client.get(f"{base}/qa-rules", headers=key).json()["forbidden"]["insult"]  # defaults kept

    agent, ticket = agent_ticket(client, merchant_id, key, "您好，拼夕夕更便宜，加微信聊，已为您备注")
    report = client.get(f"{base}/qa", headers=key).json()
    [a] = report["agents"]
    assert (a["agent_id"], a["tickets"], a["flags"]) == (agent, 1, 2)
    assert a["score"] == pytest.approx(100 * 55 / 80)
    assert {(f["rule"], f["detail"], f["ticket_id"]) for f in report["flags"]} == {
        ("forbidden", "off_platform: 加微信", ticket), ("forbidden", "competitor: 拼夕夕", ticket)}
    assert client.get(f"{base}/qa").status_code == 401
    metrics = client.get(f"{base}/metrics", headers=key).json()
    assert metrics["agents"][0]["qa_score"] == pytest.approx(100 * 55 / 80)


def test_cli_qa_json_and_table(client, merchant_id):
    from xiaoer.cli import app

    key = make_merchant(client, merchant_id)
    agent_ticket(client, merchant_id, key, "Hi, I guarantee it, I've sent a new one")
    runner = CliRunner()
    result = runner.invoke(app, ["qa", "--merchant", merchant_id, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["agents"][0]["score"] == pytest.approx(100 * 55 / 80)
    assert [f["detail"] for f in payload["flags"]] == ["absolute_promise: guarantee"]
    future = runner.invoke(app, ["qa", "--merchant", merchant_id, "--since", "2999-01-01", "--json"])
    assert json.loads(future.stdout)["tickets"] == []
    table = runner.invoke(app, ["qa", "--merchant", merchant_id])
    assert table.exit_code == 0 and "Ann" in table.output and "absolute_promise" in table.output
