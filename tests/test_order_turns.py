"""The bot reads the shopper's own order and acts on it (issue 14): access checks,
answers, the abnormal rule and confirmed actions, end to end through ShopAssistant.handle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import recovery
from bot.models import Conversation, MetricEvent
from bot.order_access import order_settings, sign_shopper
from bot.order_models import OrderAction
from bot.orders import OrderRecord, upsert_orders
from bot.turn import TurnRequest
from xiaoer.db import session_scope, utcnow

NOW = utcnow()


def ago(hours: float):
    return NOW - timedelta(hours=hours)


def orders() -> list[OrderRecord]:
    return [
        OrderRecord(  # shipped, moving
            order_id="QS2001", amount=299, status="shipped", items=["山岚冲锋衣 M"], shopper_id="alice", phone="13800138001", created_at=ago(60),
            paid_at=ago(50), shipped_at=ago(30), carrier="顺丰速运", tracking_no="SF1000000001",
            promised_delivery_by=NOW + timedelta(days=2),
            events=[{"time": ago(30), "location": "广州", "description": "已揽收"},
                    {"time": ago(5), "location": "杭州", "description": "已到达杭州转运中心"}],
            address="浙江省杭州市西湖区文三路100号3幢501室",
        ),
        OrderRecord(  # paid, promised in the future
            order_id="QS2002", amount=89, status="paid", items=["速干T恤 L"], shopper_id="alice", phone="13800138001", created_at=ago(4),
            paid_at=ago(3), promised_ship_by=NOW + timedelta(hours=40),
        ),
        OrderRecord(  # bob's: stuck for three days
            order_id="QS3001", amount=199, status="shipped", items=["羊毛袜"], shopper_id="bob", phone="13900139002",
            shipped_at=ago(100), carrier="中通快递", tracking_no="ZT3000000001",
            events=[{"time": ago(80), "location": "上海", "description": "运输中"}],
        ),
        OrderRecord(  # bob's: refunding
            order_id="QS3002", amount=120, status="refunding", items=["帽子"], shopper_id="bob",
            refund={"status": "approved", "amount": 120, "updated_at": ago(20)},
        ),
        OrderRecord(  # carol's: late to ship
            order_id="QS4001", amount=59, status="paid", items=["手套"], shopper_id="carol",
            paid_at=ago(90), promised_ship_by=ago(18),
        ),
    ]


@pytest.fixture
def shop(assistant, merchant_id):
    assistant.knowledge.ensure_merchant(merchant_id)
    with session_scope() as s:
        recovery.save_policy(s, merchant_id, recovery.default_policy())
        upsert_orders(s, merchant_id, orders())
        secret = order_settings(s, merchant_id).identity_secret
    return merchant_id, secret


def say(assistant, merchant, text, conversation=None, **extra):
    return assistant.handle(TurnRequest(merchant_id=merchant, message=text, conversation_id=conversation, **extra))


def as_shopper(secret, shopper_id):
    return {"shopper_id": shopper_id, "shopper_hmac": sign_shopper(secret, shopper_id)}


def kinds(conversation_id):
    with session_scope() as s:
        return [e.kind for e in s.scalars(select(MetricEvent).where(MetricEvent.conversation_id == conversation_id))]


def test_a_shop_with_no_orders_to_look_up_asks_for_no_order_number(assistant, merchant_id):
    # Nothing imported and no order system connected: "请告诉我您的订单号" could only end in
    # "没有找到订单", so the message goes the way any other does.
    assistant.knowledge.ensure_merchant(merchant_id)
    for text in ("我的快递到哪了", "还没发货 帮我取消订单"):
        assert say(assistant, merchant_id, text).route != "order"


# ----------------------------------------------------------------------------- access


def test_verified_shopper_with_several_orders_picks_one_and_is_told_where_it_is(assistant, shop):
    merchant, secret = shop
    me = as_shopper(secret, "alice")
    r1 = say(assistant, merchant, "我的订单到哪了", **me)
    assert r1.route == "order" and "哪一个" in r1.reply
    assert [q.label.split(" ")[0] for q in r1.quick_replies] == ["QS2002", "QS2001"]  # newest first
    r2 = say(assistant, merchant, r1.quick_replies[1].label, r1.conversation_id, **me)
    assert r2.route == "order"
    assert "顺丰速运" in r2.reply and "SF1000000001" in r2.reply and "杭州转运中心" in r2.reply
    r3 = say(assistant, merchant, "什么时候能到", r2.conversation_id, **me)  # a follow-up about the same order
    assert "预计" in r3.reply and "送达" in r3.reply
    assert "order_lookup" in kinds(r2.conversation_id)


def test_another_shoppers_order_reads_exactly_like_an_unknown_one(assistant, shop):
    merchant, secret = shop
    theirs = say(assistant, merchant, "订单 QS3001 到哪了", **as_shopper(secret, "alice"))
    unknown = say(assistant, merchant, "订单 QS9999 到哪了", **as_shopper(secret, "alice"))
    assert theirs.route == unknown.route == "order"
    assert theirs.reply == unknown.reply.replace("QS9999", "QS3001")
    assert "ZT3000000001" not in theirs.reply and "中通" not in theirs.reply and "上海" not in theirs.reply


def test_forged_hmac_is_anonymous(assistant, shop):
    merchant, secret = shop
    forged = {"shopper_id": "bob", "shopper_hmac": sign_shopper("not-the-secret", "bob")}
    r = say(assistant, merchant, "my order QS3001, where is it?", **forged)
    assert r.route == "order" and "last four digits" in r.reply
    assert "ZT3000000001" not in r.reply
    r2 = say(assistant, merchant, "where is my parcel?", **forged)  # no number: asked for one, nothing listed
    assert "order number" in r2.reply and "QS3" not in r2.reply


def test_anonymous_shopper_needs_the_phone_check(assistant, shop):
    merchant, _ = shop
    r1 = say(assistant, merchant, "我的订单QS2001到哪了")
    assert "找到订单 QS2001" in r1.reply and "后四位" in r1.reply and "SF1000000001" not in r1.reply
    r2 = say(assistant, merchant, "0000", r1.conversation_id)
    assert "不匹配" in r2.reply and "SF1000000001" not in r2.reply
    r3 = say(assistant, merchant, "8001", r1.conversation_id)
    assert "SF1000000001" in r3.reply
    # unlocked for this order only, in this conversation only
    r4 = say(assistant, merchant, "QS2002 什么时候发货", r1.conversation_id)
    assert "后四位" in r4.reply and "速干" not in r4.reply
    assert "后四位" in say(assistant, merchant, "我的订单QS2001到哪了").reply


def test_guessing_is_cut_off(assistant, shop):
    merchant, _ = shop
    conv = None
    for n in range(5):
        r = say(assistant, merchant, f"订单 QS{5000 + n} 到哪了", conv)
        conv = r.conversation_id
        assert "没有找到" in r.reply
    assert say(assistant, merchant, "订单 QS2001 到哪了", conv).handoff["reason"] == "order_check_failed"

    r = say(assistant, merchant, "订单 QS2001 到哪了")
    for digits in ("1111", "2222"):
        assert "不匹配" in say(assistant, merchant, digits, r.conversation_id).reply
    third = say(assistant, merchant, "3333", r.conversation_id)
    assert third.handoff["reason"] == "order_check_failed"
    last = say(assistant, merchant, "8001", r.conversation_id)  # right, but after the third wrong try
    assert "SF1000000001" not in last.reply


def test_general_shipping_question_is_not_an_order_turn(assistant, shop):
    merchant, secret = shop
    assert say(assistant, merchant, "你们一般几天发货？").route != "order"
    assert say(assistant, merchant, "do you ship abroad?", **as_shopper(secret, "alice")).route != "order"


# ----------------------------------------------------------------------------- answers


def test_when_will_it_ship_against_the_promise(assistant, shop):
    merchant, secret = shop
    r = say(assistant, merchant, "QS2002什么时候发货", **as_shopper(secret, "alice"))
    assert "还没有发货" in r.reply and "承诺" in r.reply and r.offer is None and r.handoff is None


def test_refund_progress_in_english(assistant, shop):
    merchant, secret = shop
    r = say(assistant, merchant, "where is my refund?", **as_shopper(secret, "bob"))
    assert r.route == "order" and r.lang == "en"
    assert "QS3002" in r.reply and "approved" in r.reply and "120" in r.reply


def test_delivered_and_status_answers(assistant, merchant_id):
    assistant.knowledge.ensure_merchant(merchant_id)
    with session_scope() as s:
        upsert_orders(s, merchant_id, [OrderRecord(order_id="D1", amount=10, status="delivered", shopper_id="dan",
                                                   delivered_at=ago(24), items=["杯子"])])
        secret = order_settings(s, merchant_id).identity_secret
    r = say(assistant, merchant_id, "where is my order?", **as_shopper(secret, "dan"))
    assert "delivered on" in r.reply and "D1" in r.reply


# ----------------------------------------------------------------------------- abnormal orders


def test_stuck_parcel_apologises_and_offers_the_policy_remedy(assistant, shop):
    merchant, secret = shop
    r = say(assistant, merchant, "我的快递怎么三天没动了，到哪了", **as_shopper(secret, "bob"))
    assert r.route == "order" and "48 小时" in r.reply and "抱歉" in r.reply
    assert r.offer["kind"] == "coupon" and r.offer["amount"] == 10  # from the policy, not invented
    assert [q.action for q in r.quick_replies] == ["accept_offer", "decline_offer"]
    accepted = say(assistant, merchant, "好的", r.conversation_id, **as_shopper(secret, "bob"))
    assert accepted.route == "offer_response" and accepted.offer["status"] == "accepted"
    assert "order_abnormal" in kinds(r.conversation_id)


def test_late_shipment_escalates_when_the_policy_offers_nothing(assistant, shop):
    merchant, secret = shop
    with session_scope() as s:
        data = recovery.load_policy(s, merchant).model_dump()
        data["reasons"]["late_delivery"] = {"kind": "none"}
        recovery.save_policy(s, merchant, recovery.parse_policy(data))
    r = say(assistant, merchant, "我的订单怎么还没发货", **as_shopper(secret, "carol"))
    assert "超过承诺的发货时间" in r.reply and r.offer is None
    assert r.handoff["reason"] == "abnormal_order" and r.owner == "queued"


# ----------------------------------------------------------------------------- actions


def test_cancel_is_restated_confirmed_and_recorded_once(assistant, shop):
    merchant, secret = shop
    me = as_shopper(secret, "alice")
    r1 = say(assistant, merchant, "帮我取消订单QS2002", **me)
    assert "请确认" in r1.reply and [q.label for q in r1.quick_replies] == ["确认", "先不了"]
    r2 = say(assistant, merchant, "确认", r1.conversation_id, **me)
    assert "已为您提交" in r2.reply
    r3 = say(assistant, merchant, "帮我取消订单QS2002", r1.conversation_id, **me)
    r4 = say(assistant, merchant, "确认", r3.conversation_id, **me)
    assert "之前已经提交过" in r4.reply
    with session_scope() as s:
        rows = list(s.scalars(select(OrderAction).where(OrderAction.merchant_id == merchant)))
    assert [(a.order_id, a.kind) for a in rows] == [("QS2002", "cancel")]
    assert kinds(r1.conversation_id).count("order_action") == 1


def test_declining_the_restated_action_changes_nothing(assistant, shop):
    merchant, secret = shop
    me = as_shopper(secret, "alice")
    r1 = say(assistant, merchant, "can you hurry order QS2002?", **me)
    assert "hurry" in r1.reply and "Shall I go ahead" in r1.reply
    r2 = say(assistant, merchant, "no, not now", r1.conversation_id, **me)
    assert "nothing changed" in r2.reply
    with session_scope() as s:
        assert s.scalar(select(OrderAction).where(OrderAction.merchant_id == merchant)) is None


def test_change_address_asks_for_it_then_confirms_masked(assistant, shop):
    merchant, secret = shop
    me = as_shopper(secret, "alice")
    r1 = say(assistant, merchant, "QS2002 能改地址吗", **me)
    assert "新的收货地址" in r1.reply
    r2 = say(assistant, merchant, "上海市浦东新区世纪大道88号5楼", r1.conversation_id, **me)
    assert "上海市浦东新区****" in r2.reply and "世纪大道" not in r2.reply
    r3 = say(assistant, merchant, "确认", r1.conversation_id, **me)
    assert "改地址申请" in r3.reply
    with session_scope() as s:
        action = s.scalar(select(OrderAction).where(OrderAction.merchant_id == merchant))
    assert action.kind == "change_address" and action.payload == {"address": "上海市浦东新区世纪大道88号5楼"}


def test_after_shipment_explains_why_not_and_what_instead(assistant, shop):
    merchant, secret = shop
    me = as_shopper(secret, "alice")
    r = say(assistant, merchant, "我要取消订单QS2001", **me)
    assert "不能直接取消" in r.reply and "拒收" in r.reply and r.quick_replies[0].action == "human"
    r = say(assistant, merchant, "I need to change the address for QS2001", **me)
    assert "can't be changed" in r.reply and "carrier" in r.reply
    r = say(assistant, merchant, "催一下QS2001发货", **me)
    assert "已经发货" in r.reply and "SF1000000001" in r.reply
    with session_scope() as s:
        assert s.scalar(select(OrderAction).where(OrderAction.merchant_id == merchant)) is None
        conv = s.get(Conversation, r.conversation_id)
        assert conv.order_id == "QS2001"


def test_a_refund_request_naming_the_order_still_goes_to_recovery(assistant, shop):
    merchant, secret = shop
    r = say(assistant, merchant, "我要退款，订单QS2002", **as_shopper(secret, "alice"))
    assert r.route in ("ask_reason", "recovery") and "QS2002" not in r.reply


def test_refund_question_without_a_refund_under_way_is_answered_from_knowledge(assistant, shop):
    merchant, secret = shop
    r = say(assistant, merchant, "退款多久到账", **as_shopper(secret, "alice"))
    assert r.route != "order"
    assert say(assistant, merchant, "退款多久到账", **as_shopper(secret, "bob")).route == "order"


def test_how_long_a_refund_takes_is_the_policy_for_a_shopper_not_signed_in(assistant, shop):
    merchant, secret = shop
    # "我" about the shopper's card, not an order to look up: how long, from knowledge.
    assert say(assistant, merchant, "退款几天到账 我付款用的银行卡").route != "order"
    assert say(assistant, merchant, "我的退款到哪了").route == "order"  # where it is: the order number is asked
    assert say(assistant, merchant, "退款几天到账 我付款用的银行卡", **as_shopper(secret, "bob")).route == "order"  # bob's is under way
