"""The CLI as a user runs it: a separate process with stdout captured, so whatever a
library prints on import lands in the output being checked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.conftest import _free_port

ASK_KEYS = {"reply", "intent", "confidence", "citations", "offer", "handoff", "conversation_id"}


def xiaoer(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xiaoer.cli", *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=300
    )


def one_json_document(stdout: str):
    """The whole of stdout parses as one JSON document (json.loads refuses anything extra)."""
    return json.loads(stdout)


def test_ask_json_in_process_is_one_document_and_no_chatter(demo_merchant):
    # An English question: the MiniLM second opinion is loaded, whose package prints a
    # banner on import and whose weights come with a progress bar.
    done = xiaoer("ask", "-m", demo_merchant, "Can I wash the down jacket in a machine?", "--json", XIAOER_URL="off")
    assert done.returncode == 0, done.stderr
    payload = one_json_document(done.stdout)
    assert set(payload) == ASK_KEYS and payload["reply"]
    assert "Loading weights" not in done.stderr


def test_metrics_and_docs_json_are_one_document_each(demo_merchant):
    metrics = xiaoer("metrics", "-m", demo_merchant, "--json")
    assert metrics.returncode == 0, metrics.stderr
    assert "service_score" in one_json_document(metrics.stdout)
    qa = xiaoer("qa", "-m", demo_merchant, "--since", "2026-01-01", "--json")
    assert qa.returncode == 0, qa.stderr
    assert {"agents", "flags", "tickets", "rules"} <= set(one_json_document(qa.stdout))
    docs = xiaoer("docs", "-m", demo_merchant, "--json")
    assert docs.returncode == 0, docs.stderr
    assert "faq_zh.csv" in {d["name"] for d in one_json_document(docs.stdout)}


def test_ask_goes_through_the_server_at_xiaoer_url(live_server, tmp_path):
    # An empty local home: an answer can only have come from the server's demo shop.
    env = {"XIAOER_URL": live_server.base, "XIAOER_HOME": str(tmp_path)}
    first = xiaoer("ask", "-m", "demo", "我要退款，尺码太小了", "--order", "QS1001", "--json", **env)
    assert first.returncode == 0, first.stderr
    payload = one_json_document(first.stdout)
    assert set(payload) == ASK_KEYS
    assert payload["intent"] == "refund" and payload["offer"]["kind"] == "size_exchange"
    assert all(set(c) == {"document", "chunk", "score"} for c in payload["citations"])

    declined = xiaoer("ask", "-m", "demo", "不用了", "--conversation", payload["conversation_id"], "--json", **env)
    assert one_json_document(declined.stdout)["offer"]["status"] == "declined"
    assert not (tmp_path / "xiaoer.db").exists()  # nothing ran here

    human = xiaoer("ask", "-m", "demo", "退货运费谁出？", **env)
    assert human.returncode == 0 and "运费" in human.stdout and "conversation " in human.stdout

    unknown = xiaoer("ask", "-m", "nobody-here", "hi", **env)
    assert unknown.returncode == 2 and "unknown merchant" in unknown.stderr


def test_an_unreachable_xiaoer_url_is_a_clear_error(tmp_path):
    done = xiaoer("ask", "-m", "demo", "hi", XIAOER_URL=f"http://127.0.0.1:{_free_port()}", XIAOER_HOME=str(tmp_path))
    assert done.returncode == 3 and "XIAOER_URL=off" in done.stderr and "Traceback" not in done.stderr


def test_server_url_probes_the_default_address(live_server, monkeypatch):
    from xiaoer.remote import server_url

    monkeypatch.delenv("XIAOER_URL", raising=False)
    assert server_url(default=live_server.base) == live_server.base
    assert server_url(default=f"http://127.0.0.1:{_free_port()}") is None  # nobody there: in-process
    monkeypatch.setenv("XIAOER_URL", "off")
    assert server_url(default=live_server.base) is None
    monkeypatch.setenv("XIAOER_URL", live_server.base + "/")
    assert server_url(default="http://127.0.0.1:1") == live_server.base


def test_tables_piped_into_a_file_are_not_cut_to_80_columns(live_server):
    done = xiaoer("metrics", "-m", "demo", XIAOER_HOME=str(live_server.home))
    assert done.returncode == 0, done.stderr
    # At 80 columns rich squeezes the agents table (7 columns) and cuts its headers ("resoluti…").
    for header in ("agent", "tickets", "resolved", "response", "resolution", "handling", "tier"):
        assert re.search(rf"┃ {header}\s*┃", done.stdout), header
    assert "bot_resolution_rate" in done.stdout
