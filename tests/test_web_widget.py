"""The shopper widget in a real browser: headless Chromium (Playwright) against `xiaoer demo`
served by uvicorn on 127.0.0.1 (the `live_server` and `browser` fixtures in conftest.py).

Every test gets a fresh browser context (so a fresh sessionStorage) and fails if the page
tries to load anything that is not on the live server.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import SCREENSHOTS

# The first turns load models in the server; on a busy 2-core box they take a few seconds.
expect.set_options(timeout=15_000)

OPEN_ZH = "打开在线客服"
INPUT_ZH = "输入您的问题"


_warmed: set[str] = set()


def warm(live_server) -> None:
    """The server loads its models on its first turn (long on a busy box): that turn is
    taken here, once, in a shop of its own, so no test's first reply waits for it."""
    if live_server.base in _warmed:
        return
    with httpx.Client(base_url=live_server.base, timeout=300) as http:
        made = http.post("/v1/merchants", json={"id": "warmup", "name": "Warm-up"},
                         headers={"Authorization": f"Bearer {live_server.admin_token}"})
        assert made.status_code in (201, 409), made.text
        http.post("/v1/chat", json={"merchant_id": "warmup", "message": "你好，退货运费谁出？"}).raise_for_status()
    _warmed.add(live_server.base)


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(**context_options)`` → a Page in a fresh context; 127.0.0.1 traffic only."""
    warm(live_server)
    contexts, strays = [], []

    def make(**options) -> Page:
        options.setdefault("viewport", {"width": 1280, "height": 860})
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(**options)
        contexts.append(context)
        context.on("request", lambda r: None if r.url.startswith((live_server.base, "data:")) else strays.append(r.url))
        context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]|data:).*"), lambda route: route.abort())
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not strays, f"the page tried to reach other hosts: {strays}"


@pytest.fixture
def agent(live_server):
    """The agent API as agent xiaomei; tickets claimed here are resolved afterwards."""
    claimed: list[tuple[httpx.Client, int]] = []

    def client(name: str = "xiaomei") -> httpx.Client:
        return httpx.Client(base_url=live_server.base, headers={"X-Agent-Key": live_server.agent_keys[name]}, timeout=30)

    def claim(conversation_id: str, name: str = "xiaomei") -> tuple[httpx.Client, int]:
        http = client(name)
        queue = http.get("/v1/agent/queue")
        queue.raise_for_status()
        tickets = [t for t in queue.json() if t["conversation_id"] == conversation_id and t["status"] == "queued"]
        assert tickets, f"no queued ticket for {conversation_id}: {queue.json()}"
        ticket_id = tickets[0]["id"]
        http.post(f"/v1/agent/tickets/{ticket_id}/claim").raise_for_status()
        claimed.append((http, ticket_id))
        return http, ticket_id

    yield claim
    for http, ticket_id in claimed:
        http.post(f"/v1/agent/tickets/{ticket_id}/resolve")
        http.close()


def open_widget(page: Page, url: str | None, launcher: str = OPEN_ZH, textbox: str = INPUT_ZH):
    if url:
        page.goto(url)
    page.get_by_role("button", name=launcher).click()
    box = page.get_by_role("textbox", name=textbox)
    expect(box).to_be_focused()
    return box


def ask(box, text: str) -> None:
    box.fill(text)
    box.press("Enter")


def replies_done(page: Page) -> None:
    """Every reply has arrived and finished rendering (no typing indicator left)."""
    expect(page.locator("#xiaoer-widget .typing")).to_have_count(0)


def socket_frames(page: Page) -> list[str]:
    """The frames the page sends on its WebSockets, as they are sent."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    return frames


def host_page(page: Page, live_server, html_lang: str | None, data_lang: str | None = None) -> None:
    """Another shop's page carrying the tag. It is written into a document the live server
    served (Chromium's local-network checks stop a page that has no address, e.g. one
    fulfilled by page.route, from opening sockets to 127.0.0.1)."""
    lang = f' lang="{html_lang}"' if html_lang else ""
    extra = f' data-lang="{data_lang}"' if data_lang else ""
    page.goto(live_server.base + "/healthz")
    page.set_content(
        f"<!doctype html><html{lang}><head><meta charset='utf-8'><title>Shop</title></head>"
        f"<body><h1>Another shop</h1>"
        f"<script src='{live_server.base}/widget.js' data-merchant='demo'{extra} defer></script></body></html>"
    )


def conversation_id(page: Page) -> str:
    """The widget's conversation id, once the turn's result has arrived (the reply text can
    be on screen, streamed, a moment before)."""
    page.wait_for_function("() => window.XiaoerWidget && window.XiaoerWidget.conversationId()")
    cid = page.evaluate("window.XiaoerWidget.conversationId()")
    assert cid
    return cid


def test_cited_answer_streams_and_citations_expand(open_page, live_server):
    page = open_page()
    frames = socket_frames(page)
    box = open_widget(page, live_server.base + "/")
    # The host page styles every <button> (2px borders, uppercase); none of it reaches the widget.
    assert page.locator("#xiaoer-widget .launcher").evaluate("e => getComputedStyle(e).borderTopWidth") == "0px"
    log = page.get_by_role("log")
    # Record what the bot bubble shows over time, to see the reply arrive in pieces.
    page.evaluate(
        """() => {
            window.__seen = [];
            const root = document.querySelector('#xiaoer-widget').shadowRoot;
            new MutationObserver(() => {
                const bubbles = root.querySelectorAll('.row.bot .bubble');
                const last = bubbles[bubbles.length - 1];
                if (last) window.__seen.push(last.textContent);
            }).observe(root, {subtree: true, childList: true, characterData: true});
        }"""
    )
    ask(box, "退货运费谁出？")
    expect(log).to_contain_text("退货运费谁出？")
    expect(log).to_contain_text("买家承担")
    replies_done(page)
    final = page.locator("#xiaoer-widget .row.bot .bubble").last.text_content()
    partial = [t for t in page.evaluate("window.__seen") if t and t != final and final.startswith(t)]
    assert partial, "the reply was not rendered progressively"
    assert any("退货运费谁出？" in f for f in frames), "the turn did not go over the WebSocket"

    sources = page.get_by_role("button", name=re.compile(r"^参考资料（\d+）$")).last
    citation = page.locator("#xiaoer-widget .src").filter(has_text="常见问题").first  # a readable source
    expect(citation).to_be_hidden()  # collapsed by default
    expect(sources).to_have_attribute("aria-expanded", "false")
    sources.click()
    expect(citation).to_be_visible()
    expect(citation).to_contain_text("退货运费谁出？")  # the FAQ question it came from, and its snippet
    assert ".csv" not in page.locator("#xiaoer-widget .srclist").last.inner_text()  # never a file name
    page.get_by_role("button", name="收起参考资料").click()
    expect(citation).to_be_hidden()

    # A reload continues the conversation: the transcript comes back, citations included.
    cid = conversation_id(page)
    page.reload()
    expect(page.get_by_role("log")).to_contain_text("买家承担")
    assert conversation_id(page) == cid
    expect(page.get_by_role("button", name=re.compile(r"^参考资料（\d+）$"))).to_have_count(1)


def test_refund_reason_offer_and_decline(open_page, live_server):
    page = open_page(viewport={"width": 1280, "height": 900})
    box = open_widget(page, live_server.base + "/")
    log = page.get_by_role("log")
    ask(box, "退货运费谁出？")
    expect(log).to_contain_text("买家承担")
    page.get_by_role("button", name=re.compile(r"^参考资料")).last.click()

    ask(box, "我要退款")
    wrong_size = page.get_by_role("button", name="尺码不合适")
    expect(wrong_size).to_be_visible()
    expect(page.get_by_role("button", name="质量问题")).to_be_visible()
    wrong_size.click()
    expect(wrong_size).to_have_count(0)  # the reason buttons go once one is chosen
    accept = page.get_by_role("button", name="接受")
    decline = page.get_by_role("button", name="不用了，直接退款")
    expect(accept).to_be_visible()
    expect(decline).to_be_visible()
    expect(log).to_contain_text("免费更换")
    replies_done(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget.png"))

    page.reload()  # the offer's buttons survive a reload
    expect(decline).to_be_visible()
    decline.click()
    expect(log).to_contain_text("申请退款")
    expect(accept).to_have_count(0)


def test_talk_to_a_person_and_live_agent_messages(open_page, live_server, agent):
    page = open_page()
    box = open_widget(page, live_server.base + "/")
    log = page.get_by_role("log")
    ask(box, "衣服偏大还是偏小？")
    expect(log).to_contain_text("羽绒服")
    page.get_by_role("button", name="转人工").click()
    # Said once: the bot's reply, marked as the handoff; no second notice.
    expect(page.locator("#xiaoer-widget .row.handoff")).to_contain_text("转接人工客服")
    expect(page.locator("#xiaoer-widget .status")).to_contain_text("正在为您转接人工客服")
    replies_done(page)
    expect(page.locator("#xiaoer-widget .notice.handoff")).to_have_count(0)
    page.evaluate("window.__sameDocument = true")

    http, ticket = agent(conversation_id(page))
    # At once, before the agent writes: who joined, by display name and its initial.
    status = page.locator("#xiaoer-widget .status")
    expect(status).to_contain_text("客服 小美 Xiaomei 已加入")
    expect(page.locator("#xiaoer-widget .head .avatar")).to_have_text("小")
    expect(log).to_contain_text("客服 小美 Xiaomei 已加入，为您服务")
    sent = http.post(f"/v1/agent/tickets/{ticket}/messages", json={"text": "您好，我是小美，<b>马上</b>帮您看看～"})
    assert sent.status_code == 201, sent.text
    expect(log).to_contain_text("您好，我是小美，<b>马上</b>帮您看看～")  # live, and as literal text
    expect(log).to_contain_text("客服 小美 Xiaomei")
    expect(page.locator("#xiaoer-widget .row.agent .avatar").last).to_have_text("小")
    assert "xiaomei" not in log.inner_text()  # never the login id
    expect(status).to_contain_text("客服 小美 Xiaomei 已加入")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened

    # While a person holds the conversation the bot stays silent: no bot bubble at all.
    bots = page.locator("#xiaoer-widget .row.bot")
    before = bots.count()
    ask(box, "好的，我等一下")
    replies_done(page)
    expect(log).to_contain_text("好的，我等一下")
    expect(bots).to_have_count(before)

    # With the panel closed, a new agent message shows as an unread badge.
    page.get_by_role("button", name="收起对话窗口").first.click()
    http.post(f"/v1/agent/tickets/{ticket}/messages", json={"text": "已为您查到订单"}).raise_for_status()
    badge = page.locator("#xiaoer-widget .badge")
    expect(badge).to_have_text("1")
    page.get_by_role("button", name=OPEN_ZH).click()
    expect(badge).to_be_hidden()
    expect(log).to_contain_text("已为您查到订单")


def test_english_ui_and_answer(open_page, live_server):
    page = open_page(locale="en-US")
    frames = socket_frames(page)
    host_page(page, live_server, "en")
    box = open_widget(page, None, launcher="Open customer service chat", textbox="Type your question")
    expect(page.get_by_role("button", name="Talk to a person")).to_be_visible()
    expect(page.get_by_role("button", name="End chat")).to_be_disabled()  # nothing to rate yet
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_visible()
    log = page.get_by_role("log")
    expect(log).to_contain_text("I'm the shop's assistant")
    ask(box, "who pays for return shipping?")
    expect(log).to_contain_text("you pay the return postage")
    assert any("who pays for return shipping?" in f for f in frames)
    page.get_by_role("button", name=re.compile(r"^\d+ sources?$")).last.click()
    expect(page.locator("#xiaoer-widget .src").filter(has_text="FAQ").first).to_be_visible()
    assert ".csv" not in page.locator("#xiaoer-widget .srclist").last.inner_text()
    expect(page.get_by_role("button", name="End chat")).to_be_enabled()


@pytest.mark.parametrize(
    ("html_lang", "data_lang", "locale", "label"),
    [
        (None, None, "en-US", "Open customer service chat"),  # no page language: the browser's
        (None, None, "zh-CN", OPEN_ZH),
        ("zh-CN", "en", "zh-CN", "Open customer service chat"),  # data-lang wins
        ("zh-CN", None, "en-US", "Open customer service chat"),  # then the browser's, over the page's
        ("en", None, "zh-CN", OPEN_ZH),
        ("zh-CN", None, "en-GB", "Open customer service chat"),
    ],
)
def test_language_choice(open_page, live_server, html_lang, data_lang, locale, label):
    page = open_page(locale=locale)
    host_page(page, live_server, html_lang, data_lang)
    expect(page.get_by_role("button", name=label)).to_be_visible()


def test_messages_are_escaped(open_page, live_server):
    page = open_page()
    box = open_widget(page, live_server.base + "/")
    payload = "<img src=x onerror=window.__pwned=1><b>bold</b>"
    ask(box, payload)
    mine = page.locator("#xiaoer-widget .row.me .bubble").last
    expect(mine).to_have_text(payload)
    replies_done(page)
    expect(page.locator("#xiaoer-widget img")).to_have_count(0)
    expect(page.locator("#xiaoer-widget .log b")).to_have_count(0)
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_phone_sized_panel_fills_the_screen(open_page, live_server):
    page = open_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    box = open_widget(page, live_server.base + "/")
    panel = page.get_by_role("dialog")
    expect(panel).to_be_visible()
    assert panel.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
    expect(page.locator("#xiaoer-widget .launcher")).to_be_hidden()  # the header's button closes it
    input_box = box.bounding_box()
    assert input_box["y"] + input_box["height"] <= 844 and input_box["width"] > 250
    assert box.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16  # no zoom-on-focus on iOS
    ask(box, "运费多少钱？包邮吗？")
    log = page.get_by_role("log")
    expect(log).to_contain_text("99")
    replies_done(page)
    page.get_by_role("button", name=re.compile(r"^参考资料")).click()
    expect(page.locator("#xiaoer-widget .src").first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-phone.png"))
    page.get_by_role("button", name="收起对话窗口").click()
    expect(panel).to_be_hidden()
    expect(page.get_by_role("button", name=OPEN_ZH)).to_be_visible()


def test_end_chat_rating_reaches_metrics(open_page, live_server):
    metrics_url = f"{live_server.base}/v1/merchants/demo/metrics"
    headers = {"X-Api-Key": live_server.merchant_key}
    before = httpx.get(metrics_url, headers=headers, timeout=30).json()["csat"]["ratings"]

    page = open_page()
    box = open_widget(page, live_server.base + "/")
    ask(box, "退货运费谁出？")
    expect(page.get_by_role("log")).to_contain_text("买家承担")
    page.get_by_role("button", name="结束对话").click()
    expect(page.get_by_text("请为本次服务打分")).to_be_visible()
    page.get_by_role("button", name="5 星").click()
    expect(page.get_by_text("感谢您的评价")).to_be_visible()

    metrics = httpx.get(metrics_url, headers=headers, timeout=30)
    assert metrics.status_code == 200, metrics.text
    csat = metrics.json()["csat"]
    assert csat["ratings"] >= max(1, before + 1)
    assert csat["mean"] is not None

    # "Start a new chat" forgets the conversation.
    old = conversation_id(page)
    page.get_by_role("button", name="开始新对话").click()
    assert page.evaluate("window.XiaoerWidget.conversationId()") is None
    ask(box, "你好")
    replies_done(page)
    assert conversation_id(page) != old


def test_socket_drop_reconnects_and_continues(open_page, live_server):
    page = open_page()
    connections = []

    def through(ws):
        server = ws.connect_to_server()
        connections.append((ws.url, server))

    page.route_web_socket(re.compile(r".*/v1/ws/chat.*"), through)
    box = open_widget(page, live_server.base + "/")
    log = page.get_by_role("log")
    ask(box, "退货运费谁出？")
    expect(log).to_contain_text("买家承担")
    cid = conversation_id(page)
    assert len(connections) == 1

    connections[0][1].close()  # the server side drops
    expect(page.get_by_text("连接中断，正在重连…")).to_be_visible()
    expect(page.get_by_text("连接中断，正在重连…")).to_be_hidden()  # back, after a short backoff
    assert len(connections) == 2
    assert f"conversation_id={cid}" in connections[1][0]
    ask(box, "运费险怎么理赔？")
    expect(log).to_contain_text("72小时")
    assert conversation_id(page) == cid


def test_a_first_message_whose_socket_drops_is_sent_again_not_lost(open_page, live_server):
    page = open_page()

    def drop_on_first_message(ws):
        ws.connect_to_server()  # opens, then closes as soon as the shopper's first frame arrives
        ws.on_message(lambda message: ws.close())

    page.route_web_socket(re.compile(r".*/v1/ws/chat.*"), drop_on_first_message)
    chats = []
    page.on("request", lambda r: chats.append(r.url) if r.url.endswith("/v1/chat") else None)
    box = open_widget(page, live_server.base + "/")
    page.wait_for_function("() => document.querySelector('#xiaoer-widget') !== null")
    page.wait_for_timeout(300)  # the socket is open
    ask(box, "退货运费谁出？")
    expect(page.get_by_role("log")).to_contain_text("买家承担")  # answered over HTTP after the drop
    assert conversation_id(page)
    assert chats, "the dropped turn was not sent again over POST /v1/chat"


def test_http_fallback_without_websocket(open_page, live_server, agent):
    page = open_page()
    page.add_init_script("delete window.WebSocket")
    chats = []
    page.on("request", lambda r: chats.append(r.url) if r.url.endswith("/v1/chat") else None)
    box = open_widget(page, live_server.base + "/")
    log = page.get_by_role("log")
    ask(box, "退货运费谁出？")
    expect(log).to_contain_text("买家承担")
    assert chats, "the turn did not go through POST /v1/chat"
    page.get_by_role("button", name="转人工").click()
    expect(page.locator("#xiaoer-widget .row.handoff")).to_be_visible()
    http, ticket = agent(conversation_id(page), name="ali")
    expect(page.locator("#xiaoer-widget .status")).to_contain_text("客服 阿力 Ali 已加入")  # polled too
    http.post(f"/v1/agent/tickets/{ticket}/messages", json={"text": "我是阿力，来帮您了"}).raise_for_status()
    expect(log).to_contain_text("我是阿力，来帮您了")  # polled from the transcript
    expect(log).to_contain_text("客服 阿力 Ali")


def test_a_rate_limited_message_says_to_slow_down(open_page, live_server):
    """A 429 (tests/test_ratelimit.py makes real ones) reads as "too fast", not a failure."""
    page = open_page()
    page.add_init_script("delete window.WebSocket")
    page.route("**/v1/chat", lambda route: route.fulfill(
        status=429, headers={"retry-after": "30", "content-type": "application/json"},
        body='{"detail": "too many messages: rate limit reached for this conversation (30 per 1 minute); retry in 30 s"}'))
    box = open_widget(page, live_server.base + "/")
    ask(box, "几天发货？")
    expect(page.locator("#xiaoer-widget .notice.error")).to_contain_text("您发送得太快了")
