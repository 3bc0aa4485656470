"""Honest resolution and recovery figures in the dashboard, in headless Chromium against
the shared live server: a shop of its own gets the hand-computed example of
tests/test_metrics.py (2 confirmed, 2 assumed, 1 reopened, 1 pending) written into the
server's database with controlled timestamps, and the dashboard must show 40% / 40% / 20%.
A gap answered by an upload leaves the gap list without a reload."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, use_database
from tests.test_metrics import RESOLUTION_RATES, fill_resolutions
from tests.test_web_console import chat, dashboard, merchant_api, new_page

pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402


def write_into_live_database(server, merchant_id: str) -> None:
    """The example's rows, plus an agent's replies (2 of 3 from a suggestion) and two
    offers (one accepted, its order unknown), in the live server's database."""
    from bot.events import record_event
    from xiaoer.db import session_scope, utcnow

    use_database(f"sqlite:///{(server.home / 'xiaoer.db').resolve()}")
    try:
        now = utcnow()
        fill_resolutions(merchant_id, now)
        conv = f"{merchant_id}-again"
        with session_scope() as session:
            for i, used in enumerate((True, True, False)):
                record_event(session, merchant_id, "agent_replied", conversation_id=conv, agent_id=f"{merchant_id}-a",
                             data={"message_id": i, "ticket_id": 1, "suggestion": 7 if used else None,
                                   "from_suggestion": used, "edited": False})
            for offer, accepted in ((1, True), (2, False)):
                record_event(session, merchant_id, "offer_made", conversation_id=f"{merchant_id}-thanks", value=20.0,
                             data={"offer_id": offer, "kind": "partial_compensation", "reason": "quality"})
            record_event(session, merchant_id, "offer_accepted", conversation_id=f"{merchant_id}-thanks", value=20.0,
                         data={"offer_id": 1, "kind": "partial_compensation", "saved": None}).created_at = now - timedelta(days=3)
    finally:
        use_database(None)


def test_dashboard_shows_confirmed_assumed_and_reopened_resolutions(live_server, browser, merchant_id):
    created = httpx.post(f"{live_server.base}/v1/merchants", json={"id": merchant_id, "name": "诚实小店"},
                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30)
    assert created.status_code == 201, created.text
    write_into_live_database(live_server, merchant_id)

    context, page = new_page(browser, height=1600)
    try:
        page.goto(f"{live_server.base}/dashboard")
        page.fill("#merchant-id", merchant_id)
        page.fill("#api-key", created.json()["api_key"])
        page.click("#signin-form button[type=submit]")
        expect(page.locator("#shop-name")).to_contain_text("诚实小店")

        figures = {kind: page.locator(f"#resolution .figure[data-kind={kind}]") for kind in RESOLUTION_RATES}
        expect(figures["confirmed"]).to_contain_text("顾客确认", timeout=30_000)  # a fresh server loads its embedder for the gaps
        expect(figures["confirmed"].locator(".figure-value")).to_have_text("40% (2)")  # 2 of 5 settled
        expect(figures["assumed"].locator(".figure-value")).to_have_text("40% (2)")
        expect(figures["reopened"].locator(".figure-value")).to_have_text("20% (1)")
        assert "评分 ≥ 4" in figures["confirmed"].get_attribute("title")
        expect(page.locator("#resolution-note")).to_contain_text("1 个刚解决")  # the pending one, not counted yet

        row = page.locator(f"#agents tbody tr[data-agent='{merchant_id}-a']")
        expect(row.locator("td.adoption")).to_have_text("66.7% (2/3)")

        # 挽回率 next to an amount: the note says what each counts, and an unknown amount is no ¥0.00.
        values = page.locator("#recovery .figure .figure-value")
        expect(values.nth(3)).to_have_text("50%")  # 挽回率
        expect(values.nth(4)).to_have_text("—")  # 挽回订单金额: the accepted offer's order is unknown
        expect(page.locator("#recovery-note")).to_contain_text("挽回率 = 顾客接受的挽单 1 / 发出的挽单 2")
        expect(page.locator("#recovery-note")).to_contain_text("另有 1 单未关联订单、金额未知")

        page.click("#lang-toggle")
        expect(figures["reopened"]).to_contain_text("Reopened")
        expect(page.locator("#recovery-note")).to_contain_text("Recovery rate = offers accepted 1 / offers made 2")
        assert page.js_errors == []
    finally:
        context.close()


def test_a_gap_an_upload_answers_leaves_the_list_without_a_reload(live_server, browser, tmp_path):
    question, answer = "你们的帐篷可以租吗？", "目前不提供租赁服务，帐篷只售卖。"
    assert chat(live_server, question)["handoff"] is not None  # a gap
    faq = tmp_path / "rent_faq.csv"
    faq.write_text(f"question,answer\n{question},{answer}\n", encoding="utf-8")
    context, page = dashboard(browser, live_server, height=1400)
    try:
        gap = page.locator("#gaps li", has_text=question)
        expect(gap).to_be_visible()
        page.click("a[data-tab=knowledge]")
        page.set_input_files("#file-input", str(faq))
        expect(page.locator("#upload-result")).to_have_attribute("data-kind", "ok", timeout=30_000)
        expect(page.locator("#toast")).to_have_text("已关闭 1 个知识缺口")
        expect(gap).to_have_count(0, timeout=15_000)  # re-checked at upload; the list reloaded at once
        page.click("a[data-tab=score]")
        expect(page.locator("#tab-score")).to_be_visible()
        expect(gap).to_have_count(0)
        assert page.js_errors == []
    finally:
        context.close()
        merchant_api(live_server, "DELETE", "/documents/rent_faq.csv")


def test_the_queue_card_previews_the_shoppers_own_words_written_while_queued(live_server, browser):
    from tests.test_web_console import console_as, queue_item

    def say(message, conversation_id=None, **extra):
        body = {"merchant_id": "demo", "message": message, "conversation_id": conversation_id, **extra}
        response = httpx.post(f"{live_server.base}/v1/chat", json=body, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    conv = say("我要退款")["conversation_id"]
    say("质量问题", conv, refund_reason="quality", quick_reply=True)
    assert say("转人工", conv, quick_reply=True)["handoff"] is not None
    context, page = console_as(browser, live_server, "xiaomei")
    try:
        card = queue_item(page, conv).locator(".snippet")
        expect(card).to_have_text("“我要退款”")  # not the buttons' labels
        assert say("衣服开线了，袖口全散了", conv)["route"] == "silent"
        expect(card).to_have_text("“我要退款” / “衣服开线了，袖口全散了”", timeout=15_000)  # the next queue refresh
        assert "退款/退货（质量问题）" in card.get_attribute("title")
        assert page.js_errors == []
    finally:
        context.close()
