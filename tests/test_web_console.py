"""The agent console (/console) and the merchant dashboard (/dashboard) in headless
Chromium against the shared live server (`xiaoer demo` + uvicorn on 127.0.0.1).

The server is shared with other test files, so nothing here assumes an empty queue or a
fresh policy: each test finds its own ticket by conversation id and puts back what it
changed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import pytest

from tests.conftest import SCREENSHOTS
from tests.test_web_widget import ask, open_widget

pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

ENGRAVE_Q = "你们支持刻字服务吗？"
ENGRAVE_A = "支持免费激光刻字，下单备注即可。"


def chat(server, message: str, conversation_id: str | None = None) -> dict:
    body = {"merchant_id": "demo", "message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    response = httpx.post(f"{server.base}/v1/chat", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def transcript(server, conversation_id: str) -> list[dict]:
    response = httpx.get(f"{server.base}/v1/conversations/{conversation_id}/messages", params={"merchant_id": "demo"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def agent_api(server, agent: str, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"X-Agent-Key": server.agent_keys[agent]}
    return httpx.request(method, f"{server.base}/v1/agent{path}", headers=headers, timeout=30, **kwargs)


def merchant_api(server, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"X-Api-Key": server.merchant_key}
    return httpx.request(method, f"{server.base}/v1/merchants/demo{path}", headers=headers, timeout=60, **kwargs)


def new_page(browser, *, fake_clock: bool = False, height: int = 860):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": height})
    if fake_clock:
        context.clock.install()  # time flows normally until the test pauses it
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.js_errors = errors
    return context, page


def console_as(browser, server, agent: str, **kwargs):
    context, page = new_page(browser, **kwargs)
    page.goto(f"{server.base}/console")
    page.fill("#agent-key", server.agent_keys[agent])
    page.click("#signin-form button[type=submit]")
    name = {"xiaomei": "小美 Xiaomei", "ali": "阿力 Ali"}[agent]
    expect(page.locator("#me-name")).to_have_text(name)
    return context, page


def dashboard(browser, server, height: int = 900):
    context, page = new_page(browser, height=height)
    page.goto(f"{server.base}/dashboard")
    page.fill("#merchant-id", "demo")
    page.fill("#api-key", server.merchant_key)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#shop-name")).to_contain_text("青山户外")
    return context, page


def queue_item(page, conversation_id: str):
    return page.locator(f"#queue li[data-conversation='{conversation_id}']")


def claim(page, item) -> None:
    """Open the queued ticket and take it."""
    item.click()
    page.click("#claim-btn")
    expect(page.locator("#ticket-status")).to_have_text("我处理中")


# ----------------------------------------------------------------------------- console


def test_agent_claims_inserts_a_suggestion_replies_live_and_resolves(live_server, browser):
    # Suggestions come from the shopper's own question: a bare "转人工" has none to offer.
    conv = chat(live_server, "发什么快递")["conversation_id"]
    turn = chat(live_server, "转人工", conv)
    context, page = console_as(browser, live_server, "xiaomei")
    try:
        item = queue_item(page, conv)
        expect(item).to_be_visible()
        expect(item.locator(".tag.reason")).to_have_text("顾客要求转人工")
        expect(item.locator(".tag.status")).to_have_text("排队中")
        wait = item.locator(".wait")
        expect(wait).to_contain_text("已等待")
        before = wait.text_content()
        expect(wait).not_to_have_text(before)  # the waiting time counts up live

        adopted = next(a["replies_from_suggestion"] for a in merchant_api(live_server, "GET", "/metrics").json()["agents"] if a["agent_id"] == "xiaomei")
        claim(page, item)
        expect(page.locator("#ticket-banner")).to_have_text("已接入，可以回复顾客了")
        expect(page.locator("#transcript .msg.shopper").last.locator(".bubble")).to_have_text("转人工")
        expect(page.locator("#summary")).to_contain_text("顾客要求转人工")
        suggestion = page.locator("#suggestions .suggestion").first
        expect(suggestion).to_be_enabled()
        text = suggestion.locator(".text").text_content()
        source = suggestion.locator(".source").text_content()
        assert ".csv" not in source and ".md" not in source, source  # a readable title, never the file name

        suggestion.click()  # inserts, does not send
        expect(page.locator("#reply-input")).to_have_value(text)
        expect(page.locator("#transcript .msg.agent")).to_have_count(0)
        page.locator("#reply-input").press("Control+Home")
        page.locator("#reply-input").press_sequentially("您好，我是小美。")
        page.click("#send-btn")
        reply = "您好，我是小美。" + text
        expect(page.locator("#transcript .msg.agent .bubble")).to_have_text([reply])
        expect(page.locator("#reply-input")).to_have_value("")
        last = transcript(live_server, conv)[-1]
        assert (last["role"], last["agent_id"], last["text"]) == ("agent", "xiaomei", reply)
        agent = next(a for a in merchant_api(live_server, "GET", "/metrics").json()["agents"] if a["agent_id"] == "xiaomei")
        assert agent["replies_from_suggestion"] == adopted + 1  # the console said which suggestion it started from

        # The shopper writes back: the open ticket shows it without a reload.
        assert chat(live_server, "好的，谢谢！", conv)["reply"] == ""
        expect(page.locator("#transcript .msg.shopper .bubble").last).to_have_text("好的，谢谢！")

        page.click("#resolve-btn")
        expect(page.locator("#ticket-status")).to_have_text("已解决")
        expect(page.locator("#ticket-banner")).to_contain_text("已解决")
        expect(page.locator("#composer")).to_be_hidden()
        expect(page.locator("#transcript .msg.system")).to_have_count(2)  # the notices the shopper was sent: joined, resolved
        expect(item).to_have_count(0)
        assert agent_api(live_server, "xiaomei", "GET", f"/tickets/{turn['handoff']['ticket_id']}").json()["status"] == "resolved"

        page.click("#lang-toggle")  # the UI follows the toggle
        expect(page.locator("#ticket-status")).to_have_text("Resolved")
        expect(page.locator("#resolve-btn")).to_have_text("Resolve")
        assert page.js_errors == []
    finally:
        context.close()


def test_two_agents_cannot_claim_the_same_ticket(live_server, browser):
    turn = chat(live_server, "我要找人工客服")
    conv, ticket = turn["conversation_id"], turn["handoff"]["ticket_id"]
    mei_context, mei = console_as(browser, live_server, "xiaomei")
    ali_context, ali = console_as(browser, live_server, "ali", fake_clock=True)
    try:
        expect(queue_item(mei, conv)).to_be_visible()
        queue_item(ali, conv).click()
        expect(ali.locator("#claim-btn")).to_be_visible()
        # Ali's page stops polling, as if both clicked in the same instant.
        ali.clock.pause_at(datetime.now() + timedelta(seconds=1))

        queue_item(mei, conv).locator("button.claim").click()
        expect(mei.locator("#ticket-status")).to_have_text("我处理中")

        ali.click("#claim-btn")
        expect(ali.locator("#ticket-banner")).to_have_text("该会话已被 小美 Xiaomei 接入，无法重复接入。")
        expect(ali.locator("#ticket-banner")).to_have_attribute("data-kind", "conflict")
        expect(ali.locator("#ticket-status")).to_have_text("小美 Xiaomei 处理中")
        expect(ali.locator("#composer")).to_be_hidden()
        expect(ali.locator("#resolve-btn")).to_be_hidden()
        held = agent_api(live_server, "ali", "GET", f"/tickets/{ticket}").json()
        assert (held["status"], held["agent_id"]) == ("claimed", "xiaomei")

        ali.clock.resume()
        expect(queue_item(ali, conv).locator(".claimed-by")).to_have_text("小美 Xiaomei 处理中")
        expect(queue_item(ali, conv).locator("button.claim")).to_have_count(0)
    finally:
        agent_api(live_server, "xiaomei", "POST", f"/tickets/{ticket}/resolve")
        mei_context.close()
        ali_context.close()


def test_hand_back_returns_the_conversation_to_the_bot(live_server, browser):
    turn = chat(live_server, "转人工")
    conv = turn["conversation_id"]
    context, page = console_as(browser, live_server, "xiaomei")
    try:
        claim(page, queue_item(page, conv))
        assert chat(live_server, "在吗？", conv)["reply"] == ""  # a person holds it: the bot is silent

        page.click("#handback-btn")
        expect(page.locator("#ticket-status")).to_have_text("已交还机器人")
        expect(page.locator("#ticket-banner")).to_contain_text("交还机器人")
        expect(queue_item(page, conv)).to_have_count(0)

        again = chat(live_server, "退货运费谁出？", conv)
        assert again["owner"] == "bot" and again["route"] == "answer"
        assert "买家承担" in again["reply"]
    finally:
        context.close()


# ----------------------------------------------------------------------------- dashboard


def document_names(page) -> list[str]:
    return page.locator("#documents tbody tr").evaluate_all("rows => rows.map(r => r.dataset.name)")


def test_dashboard_uploads_with_progress_and_deletes_knowledge(live_server, browser, tmp_path):
    faq = tmp_path / "engrave_faq.csv"
    faq.write_text(f"question,answer\n{ENGRAVE_Q},{ENGRAVE_A}\n", encoding="utf-8")
    context, page = dashboard(browser, live_server)
    try:
        page.click("a[data-tab=knowledge]")
        expect(page.locator("#documents tbody tr[data-name='faq_zh.csv']")).to_be_visible()

        page.set_input_files("#file-input", str(faq))
        result = page.locator("#upload-result")
        expect(result).to_have_attribute("data-kind", "ok", timeout=30_000)  # ingestion embeds the file
        expect(result.locator("li[data-file='engrave_faq.csv']")).to_contain_text("新增")
        expect(result.locator("li[data-file='engrave_faq.csv']")).to_contain_text("1 段")
        expect(page.locator("#upload-bar")).to_have_class(re.compile(r"\bdone\b"))
        expect(page.locator("#upload-percent")).to_have_text("100%")
        row = page.locator("#documents tbody tr[data-name='engrave_faq.csv']")
        expect(row).to_be_visible()

        answer = chat(live_server, "可以刻字吗")
        assert answer["reply"] == ENGRAVE_A and answer["citations"][0]["document"] == "engrave_faq.csv"

        # The shopper's next answer in the widget uses it.
        shopper_context = browser.new_context(locale="zh-CN")  # a Chinese browser: the Chinese widget
        try:
            shop = shopper_context.new_page()
            box = open_widget(shop, live_server.base + "/")
            ask(box, "可以刻字吗")
            expect(shop.get_by_role("log")).to_contain_text(ENGRAVE_A, timeout=20_000)
        finally:
            shopper_context.close()

        row.locator("button.delete").click()
        expect(page.locator("#confirm")).to_be_visible()
        expect(page.locator("#confirm-title")).to_contain_text("engrave_faq.csv")
        page.click("#confirm-ok")
        expect(row).to_have_count(0)
        names = [d["name"] for d in merchant_api(live_server, "GET", "/documents").json()]
        assert "engrave_faq.csv" not in names
        assert page.js_errors == []
    finally:
        context.close()


def test_a_bad_upload_shows_why_and_changes_nothing(live_server, browser):
    context, page = dashboard(browser, live_server)
    try:
        page.click("a[data-tab=knowledge]")
        expect(page.locator("#documents tbody tr[data-name='faq_zh.csv']")).to_be_visible()
        before = document_names(page)

        # Dropped onto the drop zone, like a merchant dragging it from their desktop.
        page.evaluate(
            """([name, bytes]) => {
                const dt = new DataTransfer();
                dt.items.add(new File([new Uint8Array(bytes)], name, {type: 'text/csv'}));
                document.querySelector('#dropzone').dispatchEvent(
                    new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
            }""",
            ["broken.csv", list(b"\x00\x01\x02\xff\xfe binary \x00\x00")],
        )
        result = page.locator("#upload-result")
        expect(result).to_have_attribute("data-kind", "failed")
        expect(result).to_contain_text("上传失败，没有文件入库")
        expect(result.locator("li[data-file='broken.csv']")).to_contain_text("binary")
        expect(page.locator("#upload-bar")).to_have_class(re.compile(r"\bfailed\b"))
        assert document_names(page) == before
        assert [d["name"] for d in merchant_api(live_server, "GET", "/documents").json()] == before
    finally:
        context.close()


def test_policy_editor_changes_the_offer_and_refuses_invalid_values(live_server, browser):
    original = merchant_api(live_server, "GET", "/policy").json()
    new_amount = 15 if original["reasons"]["late_delivery"]["amount"] != 15 else 12
    context, page = dashboard(browser, live_server)
    try:
        page.click("a[data-tab=policy]")
        late = page.locator("#rules tr[data-reason='late_delivery']")
        expect(late.locator("input[name=amount]")).to_have_value(f"{original['reasons']['late_delivery']['amount']:g}")
        expect(late.locator("select[name=kind]")).to_have_value("coupon")
        late.locator("input[name=amount]").fill(str(new_amount))
        page.click("#policy-save")
        expect(page.locator("#policy-saved")).to_be_visible()
        assert merchant_api(live_server, "GET", "/policy").json()["reasons"]["late_delivery"]["amount"] == new_amount

        offer = chat(live_server, "快递太慢了，我要退款")["offer"]
        assert offer is not None and (offer["reason"], offer["kind"], offer["amount"]) == ("late_delivery", "coupon", new_amount)

        cap = page.locator("#policy-form input[name=per_order_cap]")
        cap.fill("-5")
        page.click("#policy-save")
        errors = page.locator("#policy-errors")
        expect(errors).to_be_visible()
        expect(errors).to_contain_text("策略未保存")
        expect(errors).to_contain_text("per_order_cap: Input should be greater than or equal to 0")
        expect(cap).to_have_class(re.compile(r"\binvalid\b"))
        expect(page.locator("#policy-saved")).to_be_hidden()
        stored = merchant_api(live_server, "GET", "/policy").json()
        assert stored["per_order_cap"] == original["per_order_cap"]
        assert stored["reasons"]["late_delivery"]["amount"] == new_amount

        # The JSON view carries the form's values and checks its own syntax.
        page.click("#mode-json")
        expect(page.locator("#policy-json")).to_have_value(re.compile(r'"per_order_cap": -5'))
        page.fill("#policy-json", "{ not json")
        page.click("#policy-save")
        expect(errors).to_contain_text("JSON 格式错误")
        assert merchant_api(live_server, "GET", "/policy").json()["per_order_cap"] == original["per_order_cap"]
    finally:
        context.close()
        assert merchant_api(live_server, "PUT", "/policy", json=original).status_code == 200


def test_policy_form_sets_category_and_threshold_and_keeps_what_it_does_not_show(live_server, browser):
    original = merchant_api(live_server, "GET", "/policy").json()
    hidden = {**original, "suggestions": {"zh": ["有小样吗？"], "en": []}}  # set through the API: no form field
    assert merchant_api(live_server, "PUT", "/policy", json=hidden).status_code == 200
    context, page = dashboard(browser, live_server)
    try:
        page.click("a[data-tab=policy]")
        category = page.locator("#policy-form select[name=category]")
        expect(category).to_have_value(original["category"])
        expect(category.locator("option[value=beauty]")).to_have_text("美妆")  # preset names, from /v1/labels
        category.select_option("beauty")
        threshold = page.locator("#policy-form input[name=answer_threshold]")
        threshold.fill("0.2")
        page.click("#policy-save")
        expect(page.locator("#policy-errors")).to_contain_text("answer_threshold")  # below 0.3: refused
        threshold.fill("0.7")
        page.click("#policy-save")
        expect(page.locator("#policy-saved")).to_be_visible()
        stored = merchant_api(live_server, "GET", "/policy").json()
        assert (stored["category"], stored["answer_threshold"]) == ("beauty", 0.7)
        assert stored["suggestions"] == hidden["suggestions"]  # not reset by a form save
        assert page.js_errors == []
    finally:
        context.close()
        assert merchant_api(live_server, "PUT", "/policy", json=original).status_code == 200


def test_score_page_shows_score_components_tiers_charts_and_gaps(live_server, browser):
    gap = chat(live_server, "你们卖皮划艇吗")
    assert gap["handoff"] is not None
    context, page = dashboard(browser, live_server, height=1600)
    try:
        score = page.locator("#score-value")
        expect(score).to_have_text(re.compile(r"^\d\.\d\d$"))
        assert 0 <= float(score.text_content()) <= 5
        expect(page.locator("#score-gauge")).to_contain_text("优秀 4.8")
        expect(page.locator("#score-verdict")).not_to_be_empty()
        expect(page.locator("#components tbody tr")).to_have_count(5)
        for name in ("30秒应答率", "解决率", "满意度", "平均首次响应", "转人工率"):
            expect(page.locator("#components tbody")).to_contain_text(name)
        expect(page.locator("#components tbody tr[data-component=response_rate] .hbar")).to_be_visible()

        for agent, name in (("xiaomei", "小美 Xiaomei"), ("ali", "阿力 Ali")):
            row = page.locator(f"#agents tbody tr[data-agent={agent}]")
            expect(row).to_contain_text(name)
            expect(row.locator(".tier")).to_have_text(re.compile("^(专家|资深|高级|未认证)$"))

        for chart in ("volume", "resolved", "escalated", "recovery"):
            expect(page.locator(f"svg#chart-{chart} g.day")).to_have_count(15)  # 14 days back to today
        today = page.locator("svg#chart-volume g.day").last
        assert int(today.get_attribute("data-value")) >= 1
        expect(page.locator("#kpis .kpi")).to_have_count(6)
        expect(page.locator("#recovery")).to_contain_text("发出挽单")

        expect(page.locator("#gaps li", has_text="你们卖皮划艇吗")).to_be_visible()
        page.select_option("#period", "7")
        expect(page.locator("svg#chart-volume g.day")).to_have_count(8)
        assert page.js_errors == []
    finally:
        context.close()


def test_a_forbidden_phrase_an_agent_sends_is_flagged_in_the_dashboard(live_server, browser):
    turn = chat(live_server, "转人工")
    conv = turn["conversation_id"]
    forbidden = f"您好，加微信 xm{conv[-6:]} 私聊，给您便宜点"
    context, page = console_as(browser, live_server, "ali")
    try:
        claim(page, queue_item(page, conv))
        page.fill("#reply-input", forbidden)
        page.click("#send-btn")
        expect(page.locator("#transcript .msg.agent .bubble")).to_have_text([forbidden])
        page.click("#resolve-btn")
        expect(page.locator("#ticket-status")).to_have_text("已解决")
    finally:
        context.close()
    context, page = dashboard(browser, live_server, height=1800)
    try:
        flag = page.locator("#qa-flags li.qa-flag[data-rule=forbidden]", has_text=forbidden)
        expect(flag).to_be_visible()
        expect(flag.locator(".tag")).to_have_text("违禁用语")
        expect(flag.locator(".qa-detail")).to_have_text("off_platform: 加微信")
        expect(flag).to_contain_text("阿力 Ali")
        row = page.locator("#qa-agents tbody tr[data-agent=ali]")
        expect(row).to_contain_text("阿力 Ali")
        score = float(row.locator("td").nth(2).text_content())
        assert 0 <= score < 100  # the forbidden phrase cost this agent points
        expect(page.locator("#agents tbody tr[data-agent=ali] td").nth(6)).to_have_text(re.compile(r"^\d+$"))
        page.click("#lang-toggle")
        expect(flag.locator(".tag")).to_have_text("Forbidden phrase")
        assert page.js_errors == []
    finally:
        context.close()


# ----------------------------------------------------------------------------- screenshots


def test_screenshots_of_the_console_and_the_dashboard(live_server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    first = chat(live_server, "羽绒服保修多久？")
    turn = chat(live_server, "我想找人工客服问一下羽绒服能不能机洗", first["conversation_id"])
    conv = turn["conversation_id"]
    context, page = console_as(browser, live_server, "xiaomei")
    try:
        claim(page, queue_item(page, conv))
        page.locator("#suggestions .suggestion").first.click()
        page.click("#send-btn")
        expect(page.locator("#transcript .msg.agent")).to_have_count(1)
        page.locator("#reply-input").fill("洗完记得平铺阴干哦～")
        page.mouse.move(0, 0)
        page.screenshot(path=str(SCREENSHOTS / "console.png"))
    finally:
        agent_api(live_server, "xiaomei", "POST", f"/tickets/{turn['handoff']['ticket_id']}/resolve")
        context.close()
    httpx.post(f"{live_server.base}/v1/conversations/{conv}/rating", json={"merchant_id": "demo", "rating": 5}, timeout=30)

    context, page = dashboard(browser, live_server)
    try:
        expect(page.locator("svg#chart-volume g.day")).to_have_count(15)
        expect(page.locator("#agents tbody tr")).to_have_count(2)
        expect(page.locator("#gaps li").first).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    finally:
        context.close()
    assert (SCREENSHOTS / "console.png").stat().st_size > 10_000
    assert (SCREENSHOTS / "dashboard.png").stat().st_size > 10_000
