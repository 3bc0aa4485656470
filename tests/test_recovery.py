"""The pieces of the recovery engine alone: reading reasons and yes/no, pricing under caps,
policy and order validation, and the anger score."""

from __future__ import annotations

import pytest

from bot import recovery
from bot.orders import OrderImportError, parse_orders
from bot.recovery import PolicyError, default_policy, detect_reason, parse_policy, price_offer, read_offer_response
from bot.router import ConversationState, route
from bot.intents import Intent
from bot.sentiment import STRONG_NEGATIVE_LINE, anger


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("尺码偏小，穿不上", "wrong_size"),
        ("it's too small for me", "wrong_size"),
        ("衣服开线了", "quality"),
        ("the zipper is broken", "quality"),
        ("三文鱼收到有股臭味", "quality"),  # spoiled food, a dead device: not only clothes
        ("手表充不进电", "quality"),
        ("手冲壶温度计指针不动 刚买3天 我要退", "quality"),  # a part that stopped working
        ("开关失灵了", "quality"),
        ("等了十天还没到", "late_delivery"),
        ("the parcel hasn't arrived yet", "late_delivery"),
        ("不想要了", "changed_mind"),
        ("I changed my mind", "changed_mind"),
        ("2", "quality"),
        ("其他", "other"),
        ("你好", None),
    ],
)
def test_reason_detection(text, reason):
    assert detect_reason(text) == reason


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("好的", "accept"),
        ("可以，换吧", "accept"),
        ("ok", "accept"),
        ("Yes please", "accept"),
        ("不用了", "decline"),
        ("好的，不用了，还是退款吧", "decline"),  # a decline cue wins
        ("no thanks, just refund me", "decline"),
        ("what colours do you have?", None),
    ],
)
def test_offer_response_reading(text, decision):
    assert read_offer_response(text) == decision


def test_pricing_respects_every_cap():
    policy = default_policy()
    # quality: 20% of the order, cap 50 per order
    assert price_offer(policy, "quality", 100.0, 500.0) == ("partial_compensation", 20.0)
    assert price_offer(policy, "quality", 1000.0, 500.0) == ("partial_compensation", 50.0)
    assert price_offer(policy, "quality", 1000.0, 12.345) == ("partial_compensation", 12.34)  # rounded down
    assert price_offer(policy, "quality", None, 500.0) == ("partial_compensation", 20.0)  # fixed fallback
    assert price_offer(policy, "late_delivery", 100.0, 0.0) is None  # budget spent: no money offer
    assert price_offer(policy, "wrong_size", 100.0, 0.0) == ("size_exchange", 0.0)  # costs no budget
    assert price_offer(policy, "other", 100.0, 500.0) is None


def test_policy_validation_names_the_problem():
    with pytest.raises(PolicyError, match="missing: other"):
        data = default_policy().model_dump()
        del data["reasons"]["other"]
        parse_policy(data)
    with pytest.raises(PolicyError, match="per_order_cap"):
        parse_policy({**default_policy().model_dump(), "per_order_cap": -1})
    with pytest.raises(PolicyError, match="percent"):
        data = default_policy().model_dump()
        data["reasons"]["quality"] = {"kind": "partial_compensation", "percent": 150}
        parse_policy(data)
    with pytest.raises(PolicyError, match="not valid YAML"):
        parse_policy("reasons: [unclosed")
    with pytest.raises(PolicyError, match="mapping"):
        parse_policy("- just a list")
    assert parse_policy(recovery.DEFAULT_POLICY_PATH.read_text(encoding="utf-8")) == default_policy()


def test_order_import_is_all_or_nothing_with_a_clear_error():
    ok = parse_orders("o.csv", "order_id,amount,status,items\nA1,99.5,paid,T恤|袜子\n".encode())
    assert ok[0].amount == 99.5 and ok[0].items == ["T恤", "袜子"]
    assert parse_orders("o.json", b'{"orders": [{"order_id": "A", "amount": 1}]}')[0].order_id == "A"
    for name, data, message in [
        ("o.json", b"[{", "malformed JSON"),
        ("o.json", b'[{"order_id": "A", "amount": -5}]', "order 1: amount"),
        ("o.csv", b"order_id,amount\nA,abc\n", "order 1: amount"),
        ("o.json", b"[]", "no orders"),
        ("o.txt", b"x", ".json or .csv"),
        ("o.csv", b"\xff\xfe\x00", "UTF-8"),
    ]:
        with pytest.raises(OrderImportError, match=message):
            parse_orders(name, data)


def test_anger_score():
    assert anger("你好，请问有货吗") == 0.0
    assert anger("什么破店，垃圾！！") >= STRONG_NEGATIVE_LINE
    assert anger("THIS IS A SCAM") >= STRONG_NEGATIVE_LINE
    assert 0 < anger("有点失望") < STRONG_NEGATIVE_LINE


def _intent(label: str, confidence: float = 0.9) -> Intent:
    return Intent(label=label, confidence=confidence)


def test_router_decisions():
    bot = ConversationState()
    assert route(ConversationState(owner="human"), _intent("refund"), "我要退款", 0.0).kind == "silent"
    assert route(bot, _intent("human"), "转人工", 0.0).reason == "explicit_request"
    assert route(bot, _intent("human"), "how do I reach an agent?", 0.0).reason == "explicit_request"
    assert route(bot, _intent("human"), "你们客服晚上几点下班", 0.0).kind == "answer"  # asks hours: answer
    ruled = Intent(label="human", confidence=1.0, reason="rule:人工客服")
    assert route(bot, ruled, "人工客服几点上班？转人工", 0.0).reason == "explicit_request"  # a rule cue always escalates
    assert route(bot, _intent("refund"), "我要退款", 0.0).kind == "ask_reason"
    assert route(bot, _intent("refund"), "尺码小了要退", 0.0).refund_reason == "wrong_size"
    rich = ConversationState(order_amount=2000.0, high_value_threshold=1000.0)
    assert route(rich, _intent("refund"), "我要退款", 0.0).reason == "high_value"
    assert route(bot, _intent("complaint"), "太差了", 0.6).reason == "angry_complaint"
    assert route(bot, _intent("complaint"), "有点小瑕疵", 0.0).kind == "answer"
    assert route(bot, _intent("presale"), "骗子！！垃圾", 0.9).reason == "anger"
    assert route(bot, _intent("chitchat"), "谢谢", 0.0).kind == "chitchat"
    assert route(bot, _intent("chitchat"), "明天杭州下雨吗", 0.0).kind == "answer"  # not small talk: retrieve
    assert route(ConversationState(repeated=True), _intent("presale"), "多少钱", 0.0).reason == "repeated_question"
    # Asked for a reason: a reason goes on with the refund, an after-sale question is answered first.
    asked = ConversationState(recovery_stage="asked_reason")
    assert route(asked, _intent("aftersale"), "卫生贴撕了还能退吗", 0.0).kind == "answer"
    assert route(asked, _intent("aftersale"), "质量问题", 0.0).kind == "recovery"
    assert route(asked, _intent("refund"), "就是想退", 0.0).kind == "recovery"


def test_the_default_refund_steps_promise_no_window_or_refund_time_the_shop_never_wrote():
    # Every shop without its own policy gets these words: a "7 天内寄回" or "1-3 个工作日"
    # there would contradict a shop whose own policy says 15 days or 48 hours.
    import re

    for lang in ("zh", "en"):
        steps = default_policy().refund_steps[lang]
        assert not re.search(r"\d", steps), steps
