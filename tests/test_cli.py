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
    assert set(payload) == {"reply", "intent", "confidence", "citations", "offer", "handoff"}
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
