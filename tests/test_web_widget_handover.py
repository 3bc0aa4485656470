"""The widget's side of issue 15 in a real browser (headless Chromium against `xiaoer demo`,
see conftest.py): an English chat handed to a person and rated; a photo that reaches the
agent's console as an image; typing shown both ways; a conversation that follows the
shopper into a new tab; the shop's own greeting and the 中/EN switch."""

from __future__ import annotations

import re
import time

import httpx
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import SCREENSHOTS
from tests.test_web_console import claim, console_as, queue_item
from tests.test_web_widget import (  # noqa: F401 (fixtures)
    agent,
    ask,
    conversation_id,
    open_page,
    open_widget,
    replies_done,
)

OPEN_EN = "Open customer service chat"
INPUT_EN = "Type your question"


def test_english_chat_is_handed_over_once_joined_by_name_typed_to_and_rated(open_page, live_server, agent):
    metrics_url = f"{live_server.base}/v1/merchants/demo/metrics"
    headers = {"X-Api-Key": live_server.merchant_key}
    ratings_before = httpx.get(metrics_url, headers=headers, timeout=30).json()["csat"]["ratings"]

    page = open_page(locale="en-US")  # the demo page says lang="zh-CN": the browser's language wins
    box = open_widget(page, live_server.base + "/", launcher=OPEN_EN, textbox=INPUT_EN)
    log = page.get_by_role("log")
    status = page.locator("#xiaoer-widget .status")
    expect(log).to_contain_text("welcome to 青山户外服饰")  # the shop's own greeting
    page.get_by_role("button", name="Talk to a person").click()
    handoff = page.locator("#xiaoer-widget .row.handoff")
    expect(handoff).to_contain_text("passed you to a colleague")
    replies_done(page)
    # Said once, in the chat's language: no second notice, nothing Chinese.
    expect(page.locator("#xiaoer-widget .notice")).to_have_count(0)
    assert not re.search(r"[\u4e00-\u9fff]", handoff.inner_text())
    expect(status).to_contain_text("Connecting you to a person")

    http, ticket = agent(conversation_id(page))
    expect(status).to_contain_text("小美 Xiaomei has joined")  # at once, before any agent message
    expect(page.locator("#xiaoer-widget .head .avatar")).to_have_text("小")
    expect(log).to_contain_text("小美 Xiaomei has joined the chat")

    # Typing, both ways.
    assert http.post(f"/v1/agent/tickets/{ticket}/typing").status_code == 204
    typing = page.get_by_text("Agent is typing…")
    expect(typing).to_be_visible()
    box.press_sequentially("my zip is broken", delay=30)
    deadline = time.monotonic() + 15
    while not http.get(f"/v1/agent/tickets/{ticket}").json()["shopper_typing"]:
        assert time.monotonic() < deadline, "the agent never saw the shopper typing"
        time.sleep(0.2)
    http.post(f"/v1/agent/tickets/{ticket}/messages", json={"text": "Hi, I can help with that"}).raise_for_status()
    expect(log).to_contain_text("Hi, I can help with that")
    expect(typing).to_have_count(0)
    expect(log).to_contain_text("小美 Xiaomei (agent)")

    # Resolved: the stars are there to click, and the rating is stored.
    http.post(f"/v1/agent/tickets/{ticket}/resolve").raise_for_status()
    four = page.get_by_role("button", name="4 stars")
    expect(four).to_be_visible()
    expect(page.get_by_role("button", name="1 star", exact=True)).to_be_visible()
    four.click()
    expect(page.get_by_text("Thank you for your rating")).to_be_visible()
    csat = httpx.get(metrics_url, headers=headers, timeout=30).json()["csat"]
    assert csat["ratings"] >= ratings_before + 1


def test_a_photo_goes_to_the_agent_console_and_typing_shows_both_ways(open_page, live_server, browser, tmp_path):
    page = open_page()
    box = open_widget(page, live_server.base + "/")
    log = page.get_by_role("log")
    photo = tmp_path / "seam.png"
    Image.new("RGB", (120, 90), (10, 120, 200)).save(photo)
    picker = page.locator("#xiaoer-widget input[type=file]")
    picker.set_input_files(str(photo))
    expect(log).to_contain_text("已收到您的图片")  # the bot says a person will look at it
    mine = page.locator("#xiaoer-widget .row.me img").last
    expect(mine).to_have_attribute("src", re.compile(r"/v1/conversations/\w+/photos/\w{32}\?merchant_id=demo$"))
    page.wait_for_function(
        "() => { const i = [...document.querySelector('#xiaoer-widget').shadowRoot.querySelectorAll('.row.me img')].pop();"
        " return i && i.complete && i.naturalWidth === 120; }"
    )
    expect(page.locator("#xiaoer-widget .status")).to_contain_text("正在为您转接人工客服")
    cid = conversation_id(page)

    # Files that are not photos say why, and leave nothing behind.
    fake = tmp_path / "not-a-photo.jpg"
    fake.write_text("hello, I am text")
    picker.set_input_files(str(fake))
    expect(page.locator("#xiaoer-widget .notice.error").last).to_have_text("只能发送 JPEG、PNG 或 WebP 图片。")
    big = tmp_path / "huge.jpg"
    big.write_bytes(b"\xff" * (5 * 1024 * 1024 + 1))
    picker.set_input_files(str(big))
    expect(page.locator("#xiaoer-widget .notice.error").last).to_have_text("图片不能超过 5 MB。")
    expect(page.locator("#xiaoer-widget .row.me img")).to_have_count(1)

    # The agent sees the photo in the console transcript, as an image.
    context, console = console_as(browser, live_server, "xiaomei")
    try:
        item = queue_item(console, cid)
        expect(item).to_be_visible()
        claim(console, item)
        console.wait_for_function(
            "() => { const i = document.querySelector('#transcript .bubble.photo img'); return i && i.complete && i.naturalWidth === 120; }"
        )
        expect(page.locator("#xiaoer-widget .status")).to_contain_text("客服 小美 Xiaomei 已加入")

        box.press_sequentially("拉链坏了", delay=50)
        expect(console.get_by_text("顾客正在输入…")).to_be_visible()
        console.locator("#reply-input").press_sequentially("我看一下", delay=50)
        expect(page.get_by_text("客服正在输入…")).to_be_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "widget-handover.png"))
        console.click("#resolve-btn")
        expect(page.get_by_role("button", name="5 星")).to_be_visible()
    finally:
        context.close()


def test_a_new_tab_continues_the_conversation_from_where_it_was(open_page, live_server):
    page = open_page()
    box = open_widget(page, live_server.base + "/")
    ask(box, "退货运费谁出？")
    expect(page.get_by_role("log")).to_contain_text("买家承担")
    replies_done(page)
    cid = conversation_id(page)
    page.wait_for_function(
        "() => { const t = JSON.parse(localStorage.getItem('xiaoer:demo:transcript') || 'null'); return t && t.messages.length >= 2; }"
    )

    second = page.context.new_page()
    second.set_default_timeout(15_000)
    fetched: list[str] = []
    second.on("request", lambda r: fetched.append(r.url) if "/messages?" in r.url else None)
    box2 = open_widget(second, live_server.base + "/")
    log2 = second.get_by_role("log")
    expect(log2).to_contain_text("买家承担")  # from this browser's copy, at once
    assert second.evaluate("window.XiaoerWidget.conversationId()") == cid
    assert fetched and all(re.search(r"after=[1-9]\d*", url) for url in fetched), fetched  # only what is newer
    ask(box2, "运费险怎么理赔？")
    expect(log2).to_contain_text("72小时")
    assert second.evaluate("window.XiaoerWidget.conversationId()") == cid


def test_the_greeting_is_the_shops_and_the_language_switch_sticks(open_page, live_server):
    page = open_page()
    open_widget(page, live_server.base + "/")
    log = page.get_by_role("log")
    expect(log).to_contain_text("您好，欢迎光临青山户外服饰 Qingshan Outdoor！")
    chips = page.locator("#xiaoer-widget .suggestions .qbtn")
    expect(chips).to_have_count(3)
    # The apparel preset's chips, each one the shop's knowledge answers: "几天发货？" is the
    # dispatch row's ("发货后2-4天送达" speaks of dispatch only as the start of the delivery time).
    expect(chips.first).to_have_text("几天发货？")
    expect(chips.nth(1)).to_have_text("退货运费谁出？")
    widget_js = httpx.get(f"{live_server.base}/widget.js", timeout=30).text
    assert "尺码怎么选" not in widget_js and "Qingshan" not in widget_js  # served by the API, not hard-coded

    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("textbox", name=INPUT_EN)).to_be_visible()
    expect(log).to_contain_text("Hi, welcome to 青山户外服饰 Qingshan Outdoor!")
    expect(chips.first).to_have_text("When will my order ship?")
    page.reload()  # the choice is kept
    expect(page.get_by_role("button", name="切换到中文")).to_be_visible()
    expect(page.get_by_role("textbox", name=INPUT_EN)).to_be_visible()
    page.get_by_role("button", name="切换到中文").click()
    expect(page.get_by_role("textbox", name="输入您的问题")).to_be_visible()
