"""Personal data: the masking table (zh + en, what is masked and what must not be), the
LLM only ever receives masked text, no log line carries it, and retention purges."""

from __future__ import annotations

import io
import logging
import logging.config
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from xiaoer.privacy import PIIFilter, install_log_filter, mask_pii, purge

MASKED = [
    # mobiles
    ("我的手机13812345678，麻烦联系", "我的手机[phone]，麻烦联系"),
    ("电话 +86 138 1234 5678", "电话 [phone]"),
    ("+8613812345678", "[phone]"),
    ("0086-13912345678", "[phone]"),
    ("手机：159-8765-4321 谢谢", "手机：[phone] 谢谢"),
    ("call 18612345678 after 6pm", "call [phone] after 6pm"),
    # landlines
    ("座机010-62345678", "座机[phone]"),
    ("(0571) 8765 4321", "[phone]"),
    ("+86 10 62345678", "[phone]"),
    ("0571-87654321转123", "[phone]"),
    ("Call me at (555) 123-4567", "Call me at [phone]"),
    ("my number is 555-123-4567", "my number is [phone]"),
    ("UK: +44 20 7946 0958", "UK: [phone]"),
    # resident ID numbers (valid checksums; X as the last character)
    ("身份证110105199003071239", "身份证[id]"),
    ("ID 11010519491231002X ok", "ID [id] ok"),
    ("身份证号：330106198511114568。", "身份证号：[id]。"),
    ("旧身份证 110105491231002", "旧身份证 [id]"),
    # bank cards (Luhn)
    ("卡号6222021234567890128", "卡号[card]"),
    ("card 4111 1111 1111 1111 please", "card [card] please"),
    ("5500-0000-0000-0004", "[card]"),
    ("Amex 378282246310005", "Amex [card]"),
    # e-mail
    ("mail me at john.doe+shop@example.co.uk please", "mail me at [email] please"),
    ("邮箱abc_123@qq.com谢谢", "邮箱[email]谢谢"),
    # Chinese addresses
    ("收货地址：浙江省杭州市西湖区文三路123号", "收货地址：[address]"),
    ("我住在北京市朝阳区建国路88号SOHO现代城5号楼2单元1201室", "我住在[address]"),
    ("寄到上海市浦东新区世纪大道100号吧", "寄到[address]吧"),
    ("阳光小区3栋2单元501室", "[address]"),
    ("请送到杭州市余杭区良渚街道玉鸟路1号", "请送到[address]"),
    ("我家在文三路123号附近", "我家在[address]附近"),
    ("广东省深圳市南山区粤海街道科技南十二路2号", "[address]"),
    ("地址 浙江省 杭州市 西湖区 文三路 123号", "地址 [address]"),
    # English addresses
    ("I live at 12 Main Street, Apt 4B", "I live at [address]"),
    ("Ship to 221B Baker Street, London", "Ship to [address], London"),
    ("1600 Pennsylvania Avenue NW", "[address]"),
    ("deliver to 27 moss lane", "deliver to [address]"),
    ("Suite 200, 45 Oak Drive", "[address]"),
    # several at once
    (
        "我是张三，电话13812345678，邮箱zs@163.com，寄到杭州市西湖区文三路123号",
        "我是张三，电话[phone]，邮箱[email]，寄到[address]",
    ),
]

KEPT = [
    "订单QS1001退款",
    "我要退款，尺码太小了 QS1002",
    "¥399 的冲锋衣",
    "399元，满300减30",
    "2024-05-01发货",
    "发货后2-4天送达，新疆、西藏约5-7天",
    "48小时内从杭州仓库发出",
    "我在杭州市",
    "请问北京市朝阳区能送吗",
    "杭州市西湖区的天气",
    "尺码42码，身高175cm体重70kg",
    "适合小区跑步",
    "第2单元课程",
    "买了2件，3楼",
    "I need it in 2 days",
    "USB 3 Flash Drive",
    "2 TB Drive",
    "3 way switch",
    "a 25-30 minutes charge is equal to a 8-12 minutes flight.recharging takes place via usb",
    "microsoft works suite 2000-2006 or later",
    "please cancel purchase #66120",
    "order 1234567890123",  # 13 digits, not Luhn-valid
    "tracking SF1234567890123",
    "订单号 2345678901234567890",  # 19 digits, not Luhn-valid
    "订单号 110105199003071238",  # ID-shaped but the checksum is wrong
    "timestamp 1700000000123",
    "QS13812345678",  # a mobile glued to letters is an order / SKU code
    "price 1299.00, 2 for 2499",
    "客服热线 400-820-1234",  # shop hotlines are not personal data
    "call our toll-free line (800) 468-1502",
    "Room for 2 people",
    "version 1.2.3, model X-200",
    "13:30 - 14:45",
    "[phone] [email] [address] [id] [card]",  # masking twice changes nothing
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_data_is_masked(text, expected):
    assert mask_pii(text) == expected
    assert mask_pii(expected) == expected  # idempotent


@pytest.mark.parametrize("text", KEPT)
def test_order_numbers_amounts_dates_and_sizes_are_not_masked(text):
    assert mask_pii(text) == text


def test_demo_knowledge_loses_only_its_email():
    from xiaoer.demo import demo_files

    changed = []
    for path in demo_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if mask_pii(line) != line:
                changed.append(mask_pii(line))
    assert len(changed) == 2 and all("[email]" in line for line in changed)


# --------------------------------------------------------------------------- the LLM


def _bodies(fake_llm) -> str:
    import json

    return json.dumps([r["body"] for r in fake_llm.requests], ensure_ascii=False)


def test_the_llm_receives_the_question_masked(llm_assistant, fake_llm):
    from bot.turn import TurnRequest

    result = llm_assistant.handle(
        TurnRequest(merchant_id="demo", message="Who pays for return shipping? Call me on 13812345678 or a@b.com")
    )
    assert result.answerer == "llm"
    body = _bodies(fake_llm)
    assert "[phone]" in body and "[email]" in body
    assert "13812345678" not in body and "a@b.com" not in body


def test_the_llm_receives_passages_masked(llm_assistant, fake_llm, assistant, merchant_id, tmp_path):
    from bot.turn import TurnRequest

    faq = tmp_path / "faq.csv"
    faq.write_text(
        "question,answer\n"
        "Where do I send wholesale enquiries?,Write to boss@shop.example or call our manager on 13912345678.\n",
        encoding="utf-8",
    )
    assistant.knowledge.ensure_merchant(merchant_id)
    assistant.knowledge.ingest_paths(merchant_id, [faq])
    result = llm_assistant.handle(TurnRequest(merchant_id=merchant_id, message="Where do I send wholesale enquiries?"))
    assert result.answerer == "llm"
    body = _bodies(fake_llm)
    assert "Passages" in body and "[email]" in body and "[phone]" in body  # the passage was sent ...
    assert "boss@shop.example" not in body and "13912345678" not in body  # ... masked


def test_the_websocket_stream_sends_masked_text(llm_assistant, fake_llm):
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(llm_assistant)) as client, client.websocket_connect("/v1/ws/chat?merchant_id=demo") as ws:
        ws.send_json({"type": "message", "message": "Who pays for return shipping? my card is 4111 1111 1111 1111"})
        while ws.receive_json()["type"] == "token":
            pass
    body = _bodies(fake_llm)
    assert fake_llm.requests and "[card]" in body and "4111" not in body


def test_the_llm_summary_gets_a_masked_transcript(fake_llm, llm_settings, assistant, demo_merchant):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from bot.turn import TurnRequest
    from handoff.service import create_agent
    from xiaoer.db import session_scope
    from xiaoer.settings import get_settings

    fake_llm.mode, fake_llm.custom_reply = "custom", "Shopper wants a person."
    turn = assistant.handle(TurnRequest(merchant_id="demo", message="转人工！我的手机13812345678，地址杭州市西湖区文三路123号"))
    with session_scope() as s:
        _agent, key = create_agent(s, demo_merchant, f"pii-{turn.conversation_id[:6]}", "P")
    app = create_app(assistant)
    app.dependency_overrides[get_settings] = lambda: llm_settings
    with TestClient(app) as client:
        claimed = client.post(f"/v1/agent/tickets/{turn.handoff['ticket_id']}/claim", headers={"X-Agent-Key": key})
        transcript = client.get(f"/v1/agent/tickets/{turn.handoff['ticket_id']}", headers={"X-Agent-Key": key}).json()
    assert claimed.json()["summary"] == "Shopper wants a person."
    sent = fake_llm.requests[-1]["body"]["messages"][1]["content"]
    assert "[phone]" in sent and "[address]" in sent
    assert "13812345678" not in sent and "文三路" not in sent
    # The agent still reads the original: the database keeps it.
    assert "13812345678" in str(transcript)


# --------------------------------------------------------------------------- logs

SECRET = "13812345678"


def _restore_logging():
    """Loggers and handlers as they were (dictConfig below changes global state)."""
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "bot", "bot.llm", "xiaoer.test"]
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level, logging.getLogger(n).propagate) for n in names}
    last_resort = logging.lastResort.filters[:]

    def restore():
        for n, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(n)
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate
        logging.lastResort.filters[:] = last_resort

    return restore


def test_serve_logging_masks_every_line(capsys):
    """`xiaoer serve`'s logging: uvicorn's access and error logs and the project's own
    warnings (with a traceback) all go through the masking filter."""
    from xiaoer.cli import log_config

    restore = _restore_logging()
    try:
        logging.config.dictConfig(log_config())
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/v1/x?phone={SECRET}", "1.1", 200
        )
        logging.getLogger("uvicorn.error").info("client said %s", f"call {SECRET}")
        logging.getLogger("bot.llm").warning("shopper wrote %r", {"text": f"寄到杭州市西湖区文三路123号 {SECRET}"})
        try:
            raise ValueError(f"bad card 4111 1111 1111 1111 for {SECRET}")
        except ValueError:
            logging.getLogger("bot.llm").exception("turn failed for zs@163.com")
        captured = capsys.readouterr()
        err = captured.out + captured.err  # uvicorn's access log goes to stdout
    finally:
        restore()
    assert SECRET not in err and "4111" not in err and "zs@163.com" not in err and "文三路" not in err
    assert '"GET /v1/x?phone=[phone] HTTP/1.1" 200' in err  # uvicorn's access formatter still works
    assert "client said call [phone]" in err
    assert "[address]" in err and "[card]" in err and "turn failed for [email]" in err
    assert "Traceback" in err and "ValueError" in err


def test_the_api_app_installs_the_filter_on_existing_handlers(assistant):
    from fastapi.testclient import TestClient

    from api.app import create_app

    restore = _restore_logging()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        app = create_app(assistant)
        assert any(isinstance(f, PIIFilter) for f in handler.filters)
        assert install_log_filter() == 0  # idempotent
        logging.getLogger("xiaoer.test").warning("shopper %s at %s", SECRET, "Apt 4B")
        with TestClient(app) as client:
            client.get("/healthz")
    finally:
        root.removeHandler(handler)
        restore()
    assert stream.getvalue().strip() == "shopper [phone] at [address]"


# --------------------------------------------------------------------------- retention


def _seed(merchant: str, conversation_id: str, *, days_ago: float, question: str) -> None:
    from bot.events import record_event
    from bot.models import Conversation, Message, RecoveryOfferRow
    from handoff.models import HandoffTicket
    from xiaoer.db import session_scope, utcnow

    when = utcnow() - timedelta(days=days_ago)
    with session_scope() as s:
        s.add(Conversation(id=conversation_id, merchant_id=merchant, created_at=when, updated_at=when))
        s.flush()
        s.add(Message(conversation_id=conversation_id, merchant_id=merchant, role="shopper", text=question, created_at=when))
        s.add(Message(conversation_id=conversation_id, merchant_id=merchant, role="bot", text="ok", created_at=when))
        s.add(RecoveryOfferRow(merchant_id=merchant, conversation_id=conversation_id, reason="quality", kind="coupon", amount=5))
        s.add(HandoffTicket(merchant_id=merchant, conversation_id=conversation_id, reason="low_confidence"))
        for kind, data in (("conversation_started", {"lang": "zh"}), ("unanswered", {"question": question, "reason": "low_confidence"})):
            event = record_event(s, merchant, kind, conversation_id=conversation_id, value=0.2, data=data)
            event.created_at = when


def test_purge_deletes_old_conversations_and_masks_their_events(assistant, merchant_id):
    from sqlalchemy import func, select

    from bot.models import Conversation, Message, MetricEvent, RecoveryOfferRow
    from handoff.metrics import merchant_metrics
    from handoff.models import HandoffTicket
    from xiaoer.db import session_scope, utcnow

    assistant.knowledge.ensure_merchant(merchant_id)
    _seed(merchant_id, f"{merchant_id}-old", days_ago=40, question=f"我的手机{SECRET}收不到验证码")
    _seed(merchant_id, f"{merchant_id}-new", days_ago=2, question=f"新的问题 {SECRET}")
    before = merchant_metrics(merchant_id, since=utcnow() - timedelta(days=90), now=utcnow()).conversations

    report = purge(30, merchant_id=merchant_id)

    assert (report.conversations, report.messages, report.offers, report.tickets, report.events_masked) == (1, 2, 1, 1, 1)
    with session_scope() as s:
        def count(model):
            return s.scalar(select(func.count()).select_from(model).where(model.merchant_id == merchant_id))

        assert [c.id for c in s.scalars(select(Conversation).where(Conversation.merchant_id == merchant_id))] == [f"{merchant_id}-new"]
        assert (count(Message), count(RecoveryOfferRow), count(HandoffTicket)) == (2, 1, 1)
        questions = {
            e.conversation_id: e.data["question"]
            for e in s.scalars(select(MetricEvent).where(MetricEvent.merchant_id == merchant_id, MetricEvent.kind == "unanswered"))
        }
    # Events stay (the dashboard counts them); the purged conversation's words are masked.
    assert questions == {f"{merchant_id}-old": "我的手机[phone]收不到验证码", f"{merchant_id}-new": f"新的问题 {SECRET}"}
    assert merchant_metrics(merchant_id, since=utcnow() - timedelta(days=90), now=utcnow()).conversations == before == 2
    assert purge(30, merchant_id=merchant_id).conversations == 0  # nothing left to do


def test_purge_command_uses_the_retention_setting(assistant, merchant_id, monkeypatch):
    from xiaoer.cli import app
    from xiaoer.settings import reset_settings

    assistant.knowledge.ensure_merchant(merchant_id)
    _seed(merchant_id, f"{merchant_id}-a", days_ago=10, question="hello")
    runner = CliRunner()
    missing = runner.invoke(app, ["purge", "-m", merchant_id])
    assert missing.exit_code == 2 and "XIAOER_RETENTION_DAYS" in missing.output
    monkeypatch.setenv("XIAOER_RETENTION_DAYS", "30")
    reset_settings()
    try:
        kept = runner.invoke(app, ["purge", "-m", merchant_id])
        assert kept.exit_code == 0 and "purged 0 conversations" in kept.output
        gone = runner.invoke(app, ["purge", "-m", merchant_id, "--days", "7"])
        assert gone.exit_code == 0 and "purged 1 conversations" in gone.output and "2 messages" in gone.output
    finally:
        monkeypatch.delenv("XIAOER_RETENTION_DAYS")
        reset_settings()
