"""The knowledge loop in the dashboard, in headless Chromium against the shared live server:
an agent's answer to a gap becomes a draft, the merchant edits and approves it, the gap
closes and the next widget question is answered from it; "add answer" on a gap does the
same in one step. The learned document is deleted at the end, so other tests see the demo
knowledge as it was."""

from __future__ import annotations

import pytest

from tests.conftest import SCREENSHOTS
from tests.test_web_console import agent_api, chat, dashboard, merchant_api
from tests.test_web_widget import ask, open_widget

pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

TEAM_Q = "你们接受团购定制队服吗？"
TEAM_A = "支持团购定制队服，20 件起订，可以印队徽。"
ANTARCTIC_Q = "可以寄到南极科考站吗？"
ANTARCTIC_A = "抱歉，目前只能寄到中国大陆和港澳台地区。"


def test_a_gap_becomes_a_draft_is_approved_and_answers_the_next_widget_question(live_server, browser):
    turn = chat(live_server, TEAM_Q)
    assert turn["handoff"] is not None  # the bot did not know
    ticket = turn["handoff"]["ticket_id"]
    assert agent_api(live_server, "xiaomei", "POST", f"/tickets/{ticket}/claim").status_code == 200
    sent = agent_api(live_server, "xiaomei", "POST", f"/tickets/{ticket}/messages", json={"text": "可以定制的，20件起做，详情打我电话13812345678。"})
    assert sent.status_code == 201
    assert agent_api(live_server, "xiaomei", "POST", f"/tickets/{ticket}/resolve").status_code == 200
    assert chat(live_server, ANTARCTIC_Q)["handoff"] is not None

    context, page = dashboard(browser, live_server, height=1600)
    try:
        expect(page.locator("#gaps li", has_text=TEAM_Q)).to_be_visible()
        draft = page.locator("#drafts form.draft", has=page.locator(f"input[value='{TEAM_Q}']"))
        expect(draft).to_have_count(1)
        answer = draft.locator("textarea.draft-answer")
        expect(answer).to_have_value("可以定制的，20件起做，详情打我电话[phone]。")  # PII masked
        answer.fill(TEAM_A)
        page.locator("#gaps li", has_text=ANTARCTIC_Q).locator("button.gap-add").click()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        top, bottom = page.locator("#gaps").locator("..").bounding_box(), page.locator("#drafts-card").bounding_box()
        scrolled = page.evaluate("window.scrollY")  # bounding boxes are in the viewport, the clip in the page
        clip = {"x": top["x"], "y": top["y"] + scrolled, "width": top["width"], "height": bottom["y"] + bottom["height"] - top["y"]}
        page.screenshot(path=str(SCREENSHOTS / "knowledge-loop.png"), full_page=True, clip=clip)
        draft.locator("button.draft-approve").click()
        expect(draft).to_have_count(0, timeout=30_000)  # ingested, gaps re-checked, list reloaded
        expect(page.locator("#gaps li", has_text=TEAM_Q)).to_have_count(0)

        # "Add answer" straight from a gap.
        gap = page.locator("#gaps li", has_text=ANTARCTIC_Q)
        gap.locator("button.gap-add").click()  # already open: a second click adds no second form
        expect(gap.locator("form.gap-form")).to_have_count(1)
        gap.locator("textarea.gap-answer").fill(ANTARCTIC_A)
        gap.locator("form.gap-form button[type=submit]").click()
        expect(page.locator("#gaps li", has_text=ANTARCTIC_Q)).to_have_count(0, timeout=30_000)
        assert page.js_errors == []
    finally:
        context.close()

    shopper = browser.new_context(locale="zh-CN")  # a Chinese browser: the Chinese widget
    try:
        shop = shopper.new_page()
        box = open_widget(shop, live_server.base + "/")
        ask(box, TEAM_Q)
        expect(shop.get_by_role("log")).to_contain_text(TEAM_A, timeout=20_000)
    finally:
        shopper.close()
    answered = chat(live_server, ANTARCTIC_Q)
    assert answered["reply"] == ANTARCTIC_A and answered["citations"][0]["document"] == "answers_from_gaps.csv"
    assert merchant_api(live_server, "DELETE", "/documents/answers_from_gaps.csv").status_code == 204
