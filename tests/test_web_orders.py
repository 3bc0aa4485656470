"""Orders in the browser (issue 14): a signed-in shopper picks an order in the widget and is
told where it is; an agent sees the conversation's order and its timeline in the console."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
from playwright.sync_api import expect

from bot.order_access import sign_shopper
from tests.conftest import SCREENSHOTS
from tests.test_web_console import console_as, queue_item
from tests.test_web_widget import open_page, open_widget, replies_done  # noqa: F401 (open_page: a fixture)
from xiaoer.db import utcnow


def _import_orders(server, shopper: str, prefix: str) -> str:
    """Two orders of ``shopper`` in the demo shop, times relative to now; the identity secret."""
    now = utcnow()
    at = lambda hours: (now - timedelta(hours=hours)).isoformat()  # noqa: E731
    orders = [
        {"order_id": f"{prefix}1", "amount": 399, "status": "shipped", "items": ["云雾三合一冲锋衣 L"], "shopper_id": shopper,
         "created_at": at(40), "shipped_at": at(30), "carrier": "顺丰速运", "tracking_no": "SF5550001111",
         "promised_delivery_by": (now + timedelta(days=2)).isoformat(), "address": "浙江省杭州市西湖区文三路100号",
         "events": [{"time": at(30), "location": "广州", "description": "顺丰已揽收"},
                    {"time": at(2), "location": "杭州", "description": "快件已到达杭州转运中心"}]},
        {"order_id": f"{prefix}2", "amount": 129, "status": "paid", "items": ["晨风速干T恤 M"], "shopper_id": shopper,
         "created_at": at(3), "promised_ship_by": (now + timedelta(hours=40)).isoformat()},
    ]
    headers = {"X-Api-Key": server.merchant_key}
    r = httpx.post(f"{server.base}/v1/merchants/demo/orders", headers=headers,
                   files={"file": ("orders.json", json.dumps(orders).encode())}, timeout=30)
    assert r.status_code == 200, r.text
    return httpx.get(f"{server.base}/v1/merchants/demo/identity", headers=headers, timeout=30).json()["secret"]


def test_signed_in_shopper_picks_an_order_and_is_told_where_it_is(open_page, live_server):
    secret = _import_orders(live_server, "wshop1", "WS7100")
    page = open_page()
    page.goto(live_server.base + "/healthz")
    page.set_content(
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>Shop</title></head><body><h1>My orders</h1>"
        f"<script src='{live_server.base}/widget.js' data-merchant='demo' data-shopper-id='wshop1' "
        f"data-shopper-hmac='{sign_shopper(secret, 'wshop1')}' defer></script></body></html>"
    )
    box = open_widget(page, None)
    box.fill("我的快递到哪了")
    box.press("Enter")
    log = page.get_by_role("log")
    expect(log).to_contain_text("想查询哪一个", timeout=30_000)  # the server's first turn loads its models
    shipped = page.get_by_role("button", name=re.compile(r"^WS71001 · "))
    expect(shipped).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^WS71002 · "))).to_be_visible()
    shipped.click()
    expect(log).to_contain_text("SF5550001111")
    expect(log).to_contain_text("快件已到达杭州转运中心")
    expect(shipped).to_have_count(0)
    replies_done(page)
    assert "文三路" not in log.text_content()


def test_agent_sees_the_order_and_its_timeline_in_the_console(live_server, browser):
    secret = _import_orders(live_server, "wshop2", "WS7200")
    me = {"shopper_id": "wshop2", "shopper_hmac": sign_shopper(secret, "wshop2")}
    first = httpx.post(f"{live_server.base}/v1/chat", json={"merchant_id": "demo", "message": "WS72001 到哪了", **me}, timeout=60).json()
    assert "SF5550001111" in first["reply"]
    conv = first["conversation_id"]
    handoff = httpx.post(f"{live_server.base}/v1/chat", json={"merchant_id": "demo", "message": "转人工",
                                                              "conversation_id": conv, **me}, timeout=60).json()
    assert handoff["handoff"]
    context, page = console_as(browser, live_server, "xiaomei")
    try:
        queue_item(page, conv).click()
        card = page.locator("#order-card")
        expect(card).to_be_visible()
        expect(card).to_contain_text("WS72001")
        expect(card.locator(".tag.abnormal")).to_have_count(0)  # moving, on time
        expect(card).not_to_contain_text("null")
        expect(card).to_contain_text("顺丰速运 SF5550001111")
        expect(card).to_contain_text("浙江省杭州市西湖区****")
        expect(page.locator("#order-timeline li")).to_have_count(2)
        expect(page.locator("#order-timeline li").first).to_contain_text("快件已到达杭州转运中心")  # newest first
        expect(page.locator("#summary")).to_contain_text("WS72001")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        card.screenshot(path=str(SCREENSHOTS / "console-order.png"))
        assert page.js_errors == []
    finally:
        context.close()
