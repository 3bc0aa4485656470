"""The agent console as a team works in it all day (headless Chromium against the shared
live server): a long conversation scrolls in its own pane, new tickets chime and notify,
the shopper's context, canned replies, presence, the chat limit and transfers.

The server is shared with other test files: each test finds its own tickets by
conversation id and puts back what it changed (presence, limits)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from bot.order_access import sign_shopper
from tests.conftest import SCREENSHOTS
from tests.test_web_console import (
    agent_api,
    console_as,
    merchant_api,
    new_page,
    queue_item,
)

pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

# Records desktop notifications and Web Audio tones instead of showing or playing them.
SPIES = """
(() => {
  window.__asked = 0; window.__notes = []; window.__tones = 0;
  class FakeNotification {
    constructor(title, options) { window.__notes.push({ title, body: (options || {}).body || '' }); }
    close() {}
  }
  FakeNotification.permission = 'default';
  FakeNotification.requestPermission = () => { window.__asked += 1; FakeNotification.permission = 'granted'; return Promise.resolve('granted'); };
  window.Notification = FakeNotification;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) { window.__tones += 1; return start.apply(this, args); };
})();
"""


def console_with_spies(browser, server, agent: str):
    """The console signed in by a click (the gesture that unlocks sound), with SPIES installed."""
    context, page = new_page(browser)
    page.add_init_script(SPIES)
    page.goto(f"{server.base}/console")
    page.fill("#agent-key", server.agent_keys[agent])
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#queue-live")).to_have_text("实时")
    return context, page


def escalated(server, **extra) -> tuple[str, int]:
    body = {"merchant_id": "demo", "message": "转人工", **extra}
    turn = httpx.post(f"{server.base}/v1/chat", json=body, timeout=60).json()
    return turn["conversation_id"], turn["handoff"]["ticket_id"]


def in_view(page, selector: str) -> bool:
    """The element's box lies inside the window (not merely rendered somewhere down the page)."""
    return page.locator(selector).first.evaluate(
        "n => { const r = n.getBoundingClientRect(); return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight; }"
    )


def test_a_long_conversation_scrolls_in_its_own_pane_and_the_actions_stay_in_view(live_server, browser):
    # A question first: suggestions come from the shopper's own words (a bare "转人工" has none).
    asked = httpx.post(f"{live_server.base}/v1/chat", json={"merchant_id": "demo", "message": "发什么快递"}, timeout=60).json()
    conv, ticket = escalated(live_server, conversation_id=asked["conversation_id"])
    context, page = console_as(browser, live_server, "xiaomei")
    try:
        queue_item(page, conv).click()
        page.click("#claim-btn")
        expect(page.locator("#ticket-status")).to_have_text("我处理中")
        for n in range(34):  # the agent writes while the page is open: it grows live
            sent = agent_api(live_server, "xiaomei", "POST", f"/tickets/{ticket}/messages", json={"text": f"第 {n + 1} 条：请稍等，我帮您查一下。"})
            assert sent.status_code == 201
        expect(page.locator("#transcript .msg")).to_have_count(39, timeout=15_000)  # the question, its answer and the handoff's messages, then 34 from the agent

        sizes = page.evaluate(
            """() => { const t = document.querySelector('#transcript');
                return { page: document.scrollingElement.scrollHeight, window: innerHeight, scrollY,
                         pane: t.scrollHeight, paneView: t.clientHeight, bottomGap: t.scrollHeight - t.scrollTop - t.clientHeight }; }"""
        )
        assert sizes["page"] <= sizes["window"], sizes  # the page does not grow
        assert sizes["scrollY"] == 0, sizes  # and did not jump
        assert sizes["pane"] > sizes["paneView"], sizes  # the transcript scrolls instead
        assert sizes["bottomGap"] < 80, sizes  # following the newest message
        for selector in ("#resolve-btn", "#handback-btn", "#transfer-btn", "#summary", "#suggestions .suggestion", "#send-btn"):
            assert in_view(page, selector), selector
        expect(page.locator("#transcript .msg").last).to_be_in_viewport()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-long.png"))
        assert page.js_errors == []
    finally:
        agent_api(live_server, "xiaomei", "POST", f"/tickets/{ticket}/resolve")
        context.close()


def test_a_new_ticket_chimes_and_notifies_and_permission_is_asked_once(live_server, browser):
    context, page = console_with_spies(browser, live_server, "ali")
    try:
        expect(page.locator("#me-name")).to_have_text("阿力 Ali")
        assert page.evaluate("window.__asked") == 1  # asked at the sign-in click
        page.wait_for_timeout(2500)  # a full queue poll: what was waiting at sign-in is not announced
        assert page.evaluate("window.__notes") == []

        conv, ticket = escalated(live_server)
        expect(queue_item(page, conv)).to_be_visible()
        page.wait_for_function("window.__notes.length >= 1")
        note = page.evaluate("window.__notes")[-1]
        assert note["title"] == "新的排队顾客" and "顾客要求转人工" in note["body"]
        assert page.evaluate("window.__tones") >= 2  # the two-tone chime

        page.reload()  # signed in from the saved key: the permission is not asked again
        expect(page.locator("#me-name")).to_have_text("阿力 Ali")
        page.mouse.click(5, 300)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__asked") == 0
        assert page.js_errors == []
    finally:
        agent_api(live_server, "ali", "POST", f"/tickets/{ticket}/claim")
        agent_api(live_server, "ali", "POST", f"/tickets/{ticket}/resolve")
        context.close()


def test_shopper_context_canned_reply_and_transfer_with_a_note(live_server, browser):
    secret = merchant_api(live_server, "GET", "/identity").json()["secret"]
    shopper = f"vip-{uuid.uuid4().hex[:8]}"
    signed = {"shopper_id": shopper, "shopper_hmac": sign_shopper(secret, shopper)}
    earlier = httpx.post(
        f"{live_server.base}/v1/chat", json={"merchant_id": "demo", "message": "羽绒服可以机洗吗？", **signed}, timeout=60
    ).json()
    conv, ticket = escalated(live_server, page="http://127.0.0.1/products/down-jacket?color=red", **signed)
    shortcut = f"thanks{conv[-4:]}"
    canned = merchant_api(live_server, "POST", "/canned-replies", json={"shortcut": shortcut, "text": "感谢您的耐心等待，马上为您处理～"})
    assert canned.status_code == 201, canned.text
    mei_context, mei = console_as(browser, live_server, "xiaomei")
    ali_context, ali = console_with_spies(browser, live_server, "ali")
    try:
        queue_item(mei, conv).click()
        mei.click("#claim-btn")
        expect(mei.locator("#ticket-status")).to_have_text("我处理中")
        info = mei.locator("#shopper-info")
        expect(info.locator("[data-field=identity]")).to_contain_text(f"{shopper} · 已验证")
        link = info.locator("[data-field=page] a")
        expect(link).to_have_attribute("href", "http://127.0.0.1/products/down-jacket?color=red")
        expect(info.locator("[data-field=lang]")).to_contain_text("中文")
        past = mei.locator(f"#shopper-past li[data-conversation='{earlier['conversation_id']}']")
        expect(past).to_contain_text("羽绒服可以机洗吗？")

        box = mei.locator("#reply-input")
        box.press_sequentially("/" + shortcut[:-2])  # "/" opens the picker, filtered by what follows
        picker = mei.locator("#canned-picker")
        expect(picker.locator(f"li[data-shortcut='{shortcut}']")).to_be_visible()
        box.press("Enter")  # inserts the highlighted reply; does not send
        expect(box).to_have_value("感谢您的耐心等待，马上为您处理～")
        expect(picker).to_be_hidden()
        expect(mei.locator("#transcript .msg.agent")).to_have_count(0)
        mei.click("#send-btn")
        expect(mei.locator("#transcript .msg.agent .bubble")).to_have_text(["感谢您的耐心等待，马上为您处理～"])

        mei.click("#transfer-btn")
        expect(mei.locator("#transfer-dialog")).to_be_visible()
        mei.select_option("#transfer-to", "ali")
        mei.fill("#transfer-note", "顾客是老客户，想换红色 L 码")
        mei.click("#transfer-ok")
        expect(mei.locator("#ticket-banner")).to_have_text("已转给 阿力 Ali。")
        expect(mei.locator("#ticket-status")).to_have_text("阿力 Ali 处理中")
        expect(mei.locator("#composer")).to_be_hidden()

        item = queue_item(ali, conv)
        expect(item.locator(".tag.status")).to_have_text("我处理中")
        ali.wait_for_function("window.__notes.some(n => n.title === '小美 Xiaomei 转给您的会话')")  # announced to the receiver
        item.click()
        expect(ali.locator("#ticket-transfer")).to_have_text("小美 Xiaomei 转交给您：顾客是老客户，想换红色 L 码")
        expect(ali.locator("#composer")).to_be_visible()
        ali.click("#lang-toggle")
        expect(ali.locator("#ticket-transfer")).to_have_text("小美 Xiaomei transferred this to you: 顾客是老客户，想换红色 L 码")
        expect(ali.locator("#shopper-info [data-field=identity]")).to_contain_text(f"{shopper} · verified")
        expect(ali.locator("#presence option:checked")).to_have_text("Online")
        assert mei.js_errors == [] and ali.js_errors == []
    finally:
        agent_api(live_server, "ali", "POST", f"/tickets/{ticket}/resolve")
        agent_api(live_server, "xiaomei", "POST", f"/tickets/{ticket}/resolve")
        merchant_api(live_server, "DELETE", f"/canned-replies/{canned.json()['id']}")
        mei_context.close()
        ali_context.close()


def test_away_agents_get_no_new_tickets_and_a_claim_past_the_limit_says_why(live_server, browser):
    context, page = console_as(browser, live_server, "ali")
    opened: list[int] = []
    try:
        page.select_option("#presence", "away")
        expect(page.locator("#me")).to_have_class("me away")
        assert agent_api(live_server, "ali", "GET", "/me").json()["presence"] == "away"
        conv, ticket = escalated(live_server)
        opened.append(ticket)
        page.wait_for_timeout(2500)  # a full queue poll
        expect(queue_item(page, conv)).to_have_count(0)  # not offered while away

        page.select_option("#presence", "online")
        expect(queue_item(page, conv)).to_be_visible()
        _, other = escalated(live_server)
        opened.append(other)
        assert agent_api(live_server, "ali", "POST", f"/tickets/{other}/claim").status_code == 200
        held = agent_api(live_server, "ali", "GET", "/me").json()["chats"]
        assert merchant_api(live_server, "PATCH", "/agents/ali", json={"max_chats": held}).status_code == 200
        expect(page.locator("#load")).to_have_text(f"{held}/{held}")
        queue_item(page, conv).click()
        page.click("#claim-btn")
        expect(page.locator("#ticket-banner")).to_have_text(f"您已接待 {held} / {held} 个会话，达到上限：请先解决或交还一个再接入。")
        expect(page.locator("#ticket-status")).to_have_text("排队中")
        assert page.js_errors == []
    finally:
        agent_api(live_server, "ali", "PUT", "/me/presence", json={"presence": "online"})
        merchant_api(live_server, "PATCH", "/agents/ali", json={"max_chats": 5})
        for ticket in opened:
            agent_api(live_server, "ali", "POST", f"/tickets/{ticket}/claim")
            agent_api(live_server, "ali", "POST", f"/tickets/{ticket}/resolve")
        context.close()
