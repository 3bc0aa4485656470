import json

from typer.testing import CliRunner

from xiaoer.cli import app

runner = CliRunner()


def test_ingest_ask_docs_delete_round_trip(tmp_path, merchant_id):
    faq = tmp_path / "faq.csv"
    faq.write_text("question,answer\nDo you gift wrap?,Yes, gift wrap is free.\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--merchant", merchant_id, str(faq)])
    assert result.exit_code == 0, result.output
    assert "faq.csv: added, 1 chunks" in result.output

    result = runner.invoke(app, ["ask", "--merchant", merchant_id, "Do you gift wrap?", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"reply", "intent", "confidence", "citations", "offer", "handoff", "conversation_id"}
    assert payload["reply"] == "Yes, gift wrap is free."
    assert payload["citations"][0]["document"] == "faq.csv"
    assert set(payload["citations"][0]) == {"document", "chunk", "score"}
    assert 0.0 <= payload["confidence"] <= 1.0

    listed = json.loads(runner.invoke(app, ["docs", "--merchant", merchant_id, "--json"]).stdout)
    assert [d["name"] for d in listed] == ["faq.csv"]

    assert runner.invoke(app, ["delete", "--merchant", merchant_id, "faq.csv"]).exit_code == 0
    gone = runner.invoke(app, ["delete", "--merchant", merchant_id, "faq.csv"])
    assert gone.exit_code == 2 and "no document" in gone.output


def test_bad_files_give_a_clean_error_and_exit_code(tmp_path, merchant_id):
    bad = tmp_path / "notes.docx"
    bad.write_bytes(b"PK\x03\x04")
    missing = tmp_path / "missing.csv"
    result = runner.invoke(app, ["ingest", "--merchant", merchant_id, str(bad)])
    assert result.exit_code == 2
    assert "notes.docx" in result.output and "unsupported file type" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["ingest", "--merchant", merchant_id, str(missing)])
    assert result.exit_code == 2 and "missing.csv" in result.output


def test_ask_rejects_empty_question_and_bad_merchant_id():
    assert runner.invoke(app, ["ask", "--merchant", "demo", "   "]).exit_code == 2
    result = runner.invoke(app, ["ask", "--merchant", "../x", "hi"])
    assert result.exit_code == 2 and "invalid merchant id" in result.output


def _ask(merchant, text, *extra):
    result = runner.invoke(app, ["ask", "--merchant", merchant, text, "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ask_fills_intent_offer_and_handoff_across_a_conversation(tmp_path, assistant, merchant_id):
    assistant.knowledge.ensure_merchant(merchant_id)
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,amount\nA1,150\nBIG,5000\n", encoding="utf-8")
    assert runner.invoke(app, ["orders", "--merchant", merchant_id, str(orders)]).exit_code == 0

    first = _ask(merchant_id, "衣服开线了，我要退款", "--order", "A1")
    assert first["intent"] == "refund"
    assert first["offer"]["kind"] == "partial_compensation" and first["offer"]["amount"] == 30.0  # 20% of 150
    declined = _ask(merchant_id, "不用了", "--conversation", first["conversation_id"])
    assert declined["offer"]["status"] == "declined" and declined["handoff"] is None

    person = _ask(merchant_id, "转人工", "--conversation", first["conversation_id"])
    assert person["intent"] == "human" and person["handoff"]["reason"] == "explicit_request"
    assert _ask(merchant_id, "我要退款", "--order", "BIG")["handoff"]["reason"] == "high_value"

    unknown = runner.invoke(app, ["ask", "--merchant", merchant_id, "hi", "--conversation", "nope"])
    assert unknown.exit_code == 2 and "no conversation 'nope'" in unknown.output  # ids are issued, not chosen
    other = runner.invoke(app, ["ask", "--merchant", "demo-other", "hi"])
    assert other.exit_code == 2 and "unknown merchant" in other.output


def test_policy_set_validates_and_changes_the_offer(tmp_path, assistant, merchant_id):
    assistant.knowledge.ensure_merchant(merchant_id)
    shown = runner.invoke(app, ["policy", "show", "--merchant", merchant_id])
    assert shown.exit_code == 0 and "per_order_cap: 50" in shown.stdout

    bad = tmp_path / "bad.yaml"
    bad.write_text(shown.stdout.replace("per_order_cap: 50", "per_order_cap: -3"), encoding="utf-8")
    result = runner.invoke(app, ["policy", "set", "--merchant", merchant_id, str(bad)])
    assert result.exit_code == 2 and "per_order_cap" in result.output

    good = tmp_path / "good.yaml"
    good.write_text(shown.stdout.replace("amount: 10", "amount: 15"), encoding="utf-8")
    assert runner.invoke(app, ["policy", "set", "--merchant", merchant_id, str(good)]).exit_code == 0
    assert _ask(merchant_id, "delivery was late, I want a refund")["offer"]["amount"] == 15.0


def test_agent_command_prints_a_key_once_and_rejects_duplicates(assistant, merchant_id):
    assistant.knowledge.ensure_merchant(merchant_id)
    made = runner.invoke(app, ["agent", f"a-{merchant_id}", "Alice", "--merchant", merchant_id])
    assert made.exit_code == 0 and "xa_" in made.output
    again = runner.invoke(app, ["agent", f"a-{merchant_id}", "Alice", "--merchant", merchant_id])
    assert again.exit_code == 2 and "already exists" in again.output
