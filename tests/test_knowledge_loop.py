"""The knowledge loop: a gap gets an answer (by the merchant, or drafted from an agent's
reply and approved), the answer is ingested, the gap closes, and the next shopper asking is
answered from it."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.conftest import FAQ, make_merchant, upload

MARS = "Do you ship to Mars?"


def ask(client, merchant_id, message, conversation_id=None) -> dict:
    body = {"merchant_id": merchant_id, "message": message}
    if conversation_id:
        body["conversation_id"] = conversation_id
    r = client.post("/v1/chat", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def gaps(client, merchant_id, key) -> list[str]:
    return [g["question"] for g in client.get(f"/v1/merchants/{merchant_id}/gaps", headers=key).json()]


def test_add_answer_ingests_it_closes_the_gap_and_answers_the_next_shopper(client, merchant_id):
    key = make_merchant(client, merchant_id)
    upload(client, merchant_id, key, FAQ)
    turn = ask(client, merchant_id, MARS)
    assert turn["handoff"] is not None  # the bot did not know
    assert gaps(client, merchant_id, key) == [MARS]

    r = client.post(
        f"/v1/merchants/{merchant_id}/gaps/answer", headers=key,
        json={"question": MARS, "answer": "We ship to Earth addresses only, sorry."},
    )
    assert r.status_code == 201, r.text
    assert r.json()["closed_gaps"] == [MARS] and r.json()["faq"]["status"] == "approved"
    assert gaps(client, merchant_id, key) == []
    docs = {d["name"] for d in client.get(f"/v1/merchants/{merchant_id}/documents", headers=key).json()}
    assert docs == {"faq.csv", "answers_from_gaps.csv"}

    answered = ask(client, merchant_id, MARS)
    assert answered["handoff"] is None
    assert answered["reply"] == "We ship to Earth addresses only, sorry."
    assert answered["citations"][0]["document"] == "answers_from_gaps.csv"

    # A second answer is appended to the same document; the first still answers.
    r = client.post(
        f"/v1/merchants/{merchant_id}/gaps/answer", headers=key,
        json={"question": "Do you sell gift cards?", "answer": "Yes, gift cards from 50 to 500 yuan."},
    )
    assert r.status_code == 201
    assert ask(client, merchant_id, MARS)["reply"] == "We ship to Earth addresses only, sorry."


def test_an_upload_that_answers_a_gap_closes_it(client, merchant_id):
    key = make_merchant(client, merchant_id)
    upload(client, merchant_id, key, FAQ)
    ask(client, merchant_id, MARS)
    ask(client, merchant_id, "Can I pay with seashells?")
    assert set(gaps(client, merchant_id, key)) == {MARS, "Can I pay with seashells?"}

    mars = ("mars.csv", f"question,answer\n{MARS},No: we deliver on Earth only.\n".encode(), "text/csv")
    r = upload(client, merchant_id, key, mars)
    assert r.status_code == 201 and r.json()["closed_gaps"] == [MARS]
    assert gaps(client, merchant_id, key) == ["Can I pay with seashells?"]  # still open: nothing answers it


def test_a_resolved_gap_ticket_leaves_a_masked_draft_that_approval_teaches_the_bot(client, merchant_id):
    key = make_merchant(client, merchant_id)
    upload(client, merchant_id, key, FAQ)
    agent = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-a", "name": "Ann"}).json()
    ann = {"X-Agent-Key": agent["api_key"]}

    turn = ask(client, merchant_id, MARS)
    ticket = turn["handoff"]["ticket_id"]
    assert client.post(f"/v1/agent/tickets/{ticket}/claim", headers=ann).status_code == 200
    reply = "No, Earth only. Questions? Call 13812345678."
    assert client.post(f"/v1/agent/tickets/{ticket}/messages", headers=ann, json={"text": reply}).status_code == 201
    assert client.post(f"/v1/agent/tickets/{ticket}/resolve", headers=ann).status_code == 200

    drafts = client.get(f"/v1/merchants/{merchant_id}/drafts", headers=key).json()
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft["question"] == MARS and draft["answer"] == "No, Earth only. Questions? Call [phone]."
    assert draft["status"] == "draft" and draft["agent_id"] == f"{merchant_id}-a"
    assert draft["conversation_id"] == turn["conversation_id"]
    assert ask(client, merchant_id, MARS)["handoff"] is not None  # a draft teaches nothing yet

    edited = "We only deliver on Earth."
    r = client.post(f"/v1/merchants/{merchant_id}/drafts/{draft['id']}/approve", headers=key, json={"answer": edited})
    assert r.status_code == 200, r.text
    assert r.json()["faq"]["answer"] == edited and r.json()["closed_gaps"] == [MARS]
    assert client.get(f"/v1/merchants/{merchant_id}/drafts", headers=key).json() == []
    assert gaps(client, merchant_id, key) == []
    answered = ask(client, merchant_id, MARS)
    assert answered["handoff"] is None and answered["reply"] == edited
    # Approved once: approving again is a 404, not a second row.
    assert client.post(f"/v1/merchants/{merchant_id}/drafts/{draft['id']}/approve", headers=key).status_code == 404


def test_tickets_that_were_no_gap_leave_no_draft_and_rejection_discards(client, merchant_id):
    key = make_merchant(client, merchant_id)
    upload(client, merchant_id, key, FAQ)
    agent = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-a", "name": "Ann"}).json()
    ann = {"X-Agent-Key": agent["api_key"]}

    def handled(message: str) -> None:
        ticket = ask(client, merchant_id, message)["handoff"]["ticket_id"]
        client.post(f"/v1/agent/tickets/{ticket}/claim", headers=ann)
        client.post(f"/v1/agent/tickets/{ticket}/messages", headers=ann, json={"text": "Happy to help."})
        assert client.post(f"/v1/agent/tickets/{ticket}/resolve", headers=ann).status_code == 200

    handled("I want to talk to a human")  # an explicit request: no gap, no draft
    assert client.get(f"/v1/merchants/{merchant_id}/drafts", headers=key).json() == []

    handled(MARS)
    [draft] = client.get(f"/v1/merchants/{merchant_id}/drafts", headers=key).json()
    assert client.post(f"/v1/merchants/{merchant_id}/drafts/{draft['id']}/reject", headers=key).status_code == 204
    assert client.get(f"/v1/merchants/{merchant_id}/drafts", headers=key).json() == []
    r = client.post(f"/v1/merchants/{merchant_id}/drafts/{draft['id']}/reject", headers=key)
    assert r.status_code == 404 and "no draft" in r.json()["detail"]
    assert gaps(client, merchant_id, key) == [MARS]  # rejected: the gap stays open


def test_loop_routes_need_the_merchants_key_and_clear_input(client, merchant_id):
    key = make_merchant(client, merchant_id)
    other = make_merchant(client, f"{merchant_id}-o")
    base = f"/v1/merchants/{merchant_id}"
    assert client.get(f"{base}/drafts").status_code == 401
    assert client.get(f"{base}/drafts", headers=other).status_code == 401
    assert client.post(f"{base}/gaps/answer", headers=other, json={"question": "q", "answer": "a"}).status_code == 401
    for body in ({"question": "q"}, {"question": "q", "answer": ""}, {"question": "q", "answer": "a" * 2001}):
        r = client.post(f"{base}/gaps/answer", headers=key, json=body)
        assert r.status_code == 422 and r.json()["detail"]
    r = client.post(f"{base}/gaps/answer", headers=key, json={"question": "q", "answer": "   "})
    assert r.status_code == 400 and "answer" in r.json()["detail"]
    assert client.post(f"{base}/drafts/999999/approve", headers=key).status_code == 404
    assert client.post(f"{base}/drafts/abc/reject", headers=key).status_code == 422


def test_a_closed_gap_reopens_when_the_question_goes_unanswered_again(merchant_id, assistant):
    from bot.events import record_event
    from sqlalchemy import select

    from handoff.gaps import close_gaps, open_gap_events
    from handoff.models import ClosedGap
    from knowledge.models import Merchant
    from xiaoer.db import session_scope, utcnow

    def unanswered(session, question, at):
        record_event(session, merchant_id, "unanswered", data={"question": question, "reason": "low_confidence"}).created_at = at

    now = utcnow()
    with session_scope() as session:
        session.add(Merchant(id=merchant_id, name="Shop", kb_version=0))
        session.flush()
        unanswered(session, "Ship  to MARS?", now - timedelta(hours=2))
        unanswered(session, "Gift cards?", now - timedelta(hours=2))
        close_gaps(session, merchant_id, ["ship to mars?"], now=now - timedelta(hours=1))
    with session_scope() as session:
        assert [e.get("question") for e in open_gap_events(session, merchant_id)] == ["Gift cards?"]
        unanswered(session, "Ship to Mars?", now)
    with session_scope() as session:
        assert [e.get("question") for e in open_gap_events(session, merchant_id)] == ["Gift cards?", "Ship to Mars?"]

    # Closed phrasings are stored masked: no shopper's phone number is kept, and the gap
    # stays closed after `xiaoer purge` masks the event.
    with session_scope() as session:
        unanswered(session, "Call me on 13812345678 about Mars", now - timedelta(hours=2))
        close_gaps(session, merchant_id, ["Call me on 13812345678 about Mars"], now=now - timedelta(hours=1))
    with session_scope() as session:
        keys = session.scalars(select(ClosedGap.question_key).where(ClosedGap.merchant_id == merchant_id)).all()
        assert "call me on [phone] about mars" in keys and not any("13812345678" in k for k in keys)
        assert "Call me on 13812345678 about Mars" not in [e.get("question") for e in open_gap_events(session, merchant_id)]


def test_cli_ingest_closes_the_gaps_it_answers(tmp_path, merchant_id):
    from typer.testing import CliRunner

    from xiaoer.cli import app

    runner = CliRunner()
    faq = tmp_path / "faq.csv"
    faq.write_text("question,answer\nDo you gift wrap?,Yes, gift wrap is free.\n", encoding="utf-8")
    assert runner.invoke(app, ["ingest", "--merchant", merchant_id, str(faq)]).exit_code == 0
    asked = runner.invoke(app, ["ask", "--merchant", merchant_id, MARS, "--json"])
    assert asked.exit_code == 0 and json.loads(asked.stdout)["handoff"] is not None

    mars = tmp_path / "mars.csv"
    mars.write_text(f"question,answer\n{MARS},No: we deliver on Earth only.\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--merchant", merchant_id, str(mars)])
    assert result.exit_code == 0, result.output
    assert f"gap closed: {MARS}" in result.output
