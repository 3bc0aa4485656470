import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.dataset import DatasetError, load_dataset
from eval.metrics import (
    CaseOutcome,
    accuracy_by_lang,
    answered_precision,
    aurc,
    calibration_pairs,
    coverage,
    expected_calibration_error,
    false_answer_rate,
    per_label_f1,
    precision_recall,
    reliability_bins,
    risk_coverage,
    summarise,
)
from eval.runner import run_eval
from eval.table import markdown_table
from xiaoer.cli import app

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiny_dataset(tmp_path):
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "faq.csv").write_text(
        "question,answer\nHow long does delivery take?,Delivery takes 3 days.\nDo you gift wrap?,\"Yes, for free.\"\n",
        encoding="utf-8",
    )
    cases = [
        {"id": "a", "message": "how many days for delivery", "lang": "en", "answer_contains": ["3 days"], "source": "faq.csv", "handoff": False},
        {"id": "b", "message": "can you wrap it as a gift", "lang": "en", "answer_contains": ["for free"], "source": "faq.csv"},
        {"id": "c", "message": "what is the capital of Peru", "lang": "en", "handoff": True, "abstain": True},
        {"id": "d", "turns": ["hello", "do you gift wrap?"], "lang": "en", "answer_contains": ["free"]},
    ]
    (tmp_path / "cases.jsonl").write_text("\n".join(json.dumps(c) for c in cases), encoding="utf-8")
    return tmp_path


def test_run_eval_scores_the_real_pipeline(tiny_dataset, assistant):
    run = run_eval(load_dataset(tiny_dataset), assistant=assistant)
    s = run.summary
    assert s["cases"] == 4
    assert s["answer_accuracy"] == 1.0
    assert s["retrieval_recall_at_1"] == 1.0 and s["mrr"] == 1.0
    assert s["handoff_precision"] == 1.0 and s["handoff_recall"] == 1.0
    assert s["abstain_accuracy"] == 1.0
    assert s["latency_ms_p50"] > 0


def test_eval_cli_writes_json_keys_and_an_html_report(tiny_dataset, tmp_path):
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["eval", str(tiny_dataset), "--json", str(out), "--report", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    for key in ("answer_accuracy", "retrieval_recall_at_1", "retrieval_recall_at_5", "mrr", "intent_accuracy",
                "intent_macro_f1", "refund_precision", "refund_recall", "handoff_precision", "handoff_recall",
                "latency_ms_p50", "latency_ms_p95", "cases"):
        assert key in summary
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "data:image/png;base64" in page


def test_the_llm_judge_grades_each_answer_beside_the_string_match(tiny_dataset, assistant, fake_llm, llm_settings):
    from eval.judge import LLMJudge

    fake_llm.mode = "judge"
    run = run_eval(load_dataset(tiny_dataset), assistant=assistant, judge=LLMJudge(llm_settings))
    graded = [o for o in run.outcomes if o.answer_expected]
    assert [o.judge_correct for o in graded] == [o.answer_correct for o in graded] == [True, True, True]
    assert run.summary["judge_accuracy"] == 1.0 and run.summary["judge_agreement"] == 1.0
    assert run.summary["judge_errors"] == 0
    asked = [r["body"]["messages"][-1]["content"] for r in fake_llm.requests]
    assert len(asked) == 3 and all("Reference facts:" in a and "Reply:" in a for a in asked)  # case c has no reference

    fake_llm.mode = "garbage"  # an endpoint that answers nonsense leaves cases unjudged, not wrong
    run = run_eval(load_dataset(tiny_dataset), assistant=assistant, judge=LLMJudge(llm_settings))
    assert run.summary["judge_errors"] == 3 and run.summary["judge_accuracy"] is None
    assert run.summary["answer_accuracy"] == 1.0


def test_eval_at_a_shops_own_threshold(tiny_dataset, assistant):
    default = run_eval(load_dataset(tiny_dataset), assistant=assistant).summary
    cautious = run_eval(load_dataset(tiny_dataset), assistant=assistant, threshold=0.95).summary
    assert cautious["coverage"] <= default["coverage"] and cautious["decline_rate"] == 1.0
    result = CliRunner().invoke(app, ["eval", str(tiny_dataset), "--threshold", "0.2"])
    assert result.exit_code == 2 and "between 0.3 and 0.95" in result.output


def test_eval_judge_without_an_llm_is_a_clear_error(tiny_dataset, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["eval", str(tiny_dataset), "--judge"])
    assert result.exit_code == 2 and "OPENAI_API_KEY" in result.output


def test_bad_datasets_are_reported_with_the_line(tmp_path):
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "cases.jsonl").write_text('{"id": "x", "message": "hi", "intent": "weather"}\n')
    with pytest.raises(DatasetError, match="cases.jsonl:1"):
        load_dataset(tmp_path)


def test_bundled_dev_sets_load():
    for name in ("demo_zh", "demo_en", "intents_dev"):
        data = load_dataset(REPO / "eval" / "datasets" / name)
        assert len(data.cases) >= 60
        assert data.knowledge_files, name


@pytest.mark.parametrize("name", ["demo_zh", "demo_en", "intents_dev"])
def test_eval_runs_on_a_sample_of_each_bundled_set(name, tmp_path):
    out = tmp_path / "out.json"
    dataset = REPO / "eval" / "datasets" / name
    result = CliRunner().invoke(app, ["eval", str(dataset), "--limit", "16", "--json", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert summary["cases"] == 16
    assert summary["intent_accuracy"] >= 0.75  # full-set figures are in the README; this catches a collapse
    if name != "intents_dev":  # the intent set carries no answers
        # 0.5: at the default answer threshold (0.7) the demo sets answer 0.57-0.60 in full.
        assert summary["answer_accuracy"] >= 0.5 and summary["retrieval_recall_at_5"] >= 0.8


def test_metric_arithmetic_on_a_hand_computed_example():
    p, r = precision_recall([True, True, False, False], [True, False, True, False])
    assert (p, r) == (0.5, 0.5)
    f1 = per_label_f1(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert f1["a"]["precision"] == 1.0 and f1["a"]["recall"] == 0.5
    assert round(f1["b"]["f1"], 4) == round(2 * 0.5 * 1.0 / 1.5, 4)


# --- trust: right or silent (issue 12) -------------------------------------------------


def outcome(id, *, expected=None, correct=None, abstain=None, answered=False, confidence=0.5, route="answer",
            lang="en", safety=None, safety_pred=False) -> CaseOutcome:
    return CaseOutcome(
        id=id, message=id, lang=lang, reply="", intent_gold=None, intent_pred=None, answer_expected=expected,
        answer_correct=correct, source=None, source_rank=None, handoff_gold=None, handoff_pred=not answered,
        refund_gold=None, abstain_gold=abstain, abstained=route == "answer" and not answered, answered=answered,
        route=route, safety_gold=safety, safety_pred=safety_pred, confidence=confidence, latency_ms=1.0,
    )


# 1 right, 2 answered wrong, 3 answerable but declined, 4 abstain answered, 5 abstain declined,
# 6 small talk without labels (not graded, whatever its confidence).
TRUST_CASES = [
    outcome("1", expected=["x"], correct=True, answered=True, confidence=0.9),
    outcome("2", expected=["x"], correct=False, answered=True, confidence=0.8),
    outcome("3", expected=["x"], correct=False, answered=False, confidence=0.3),
    outcome("4", abstain=True, answered=True, confidence=0.95),
    outcome("5", abstain=True, answered=False, confidence=0.2),
    outcome("6", answered=False, route="chitchat", confidence=0.99),
]


def test_coverage_precision_and_false_answers_on_a_hand_computed_example():
    assert coverage(TRUST_CASES) == round(3 / 5, 4)  # 1, 2, 4 answered of the five graded
    assert answered_precision(TRUST_CASES) == round(1 / 3, 4)  # only 1 is right; 4 answered an abstain case
    assert false_answer_rate(TRUST_CASES) == 0.5  # 4 of {4, 5}
    assert [o.failed for o in TRUST_CASES] == [False, True, True, True, False, False]


def test_risk_coverage_and_aurc_on_a_hand_computed_example():
    pairs = calibration_pairs(TRUST_CASES)
    assert sorted(pairs) == [(0.2, False), (0.3, False), (0.8, False), (0.9, True), (0.95, False)]
    curve = risk_coverage(pairs)
    assert [p["threshold"] for p in curve] == [0.95, 0.9, 0.8, 0.3, 0.2]
    assert [p["coverage"] for p in curve] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert [p["risk"] for p in curve] == pytest.approx([1, 1 / 2, 2 / 3, 3 / 4, 4 / 5])
    assert aurc(curve) == pytest.approx(0.2 * (1 + 1 / 2 + 2 / 3 + 3 / 4 + 4 / 5))
    # Ties pass a threshold together: one point for the two cases at 0.5.
    tied = risk_coverage([(0.5, True), (0.5, False), (0.9, True)])
    assert [(p["coverage"], p["risk"]) for p in tied] == pytest.approx([(1 / 3, 0.0), (1.0, 1 / 3)])
    assert aurc(tied) == pytest.approx(1 / 3 * 0 + 2 / 3 * 1 / 3)
    assert aurc(risk_coverage([])) is None


def test_a_declined_case_is_graded_by_the_answer_it_held_back():
    held_back_right = outcome("7", expected=["x"], correct=False, answered=False, confidence=0.45)
    held_back_right.withheld_correct = True
    held_back_wrong = outcome("8", expected=["x"], correct=False, answered=False, confidence=0.4)
    held_back_wrong.withheld_correct = False
    assert calibration_pairs([held_back_right, held_back_wrong]) == [(0.45, True), (0.4, False)]
    # …but never for an unanswerable case, nor in the figures of what was sent.
    assert not held_back_right.right and answered_precision([held_back_right]) is None


def test_the_held_back_answer_never_reaches_the_shopper(assistant, demo_merchant):
    from bot.turn import TurnRequest

    result = assistant.handle(TurnRequest(merchant_id=demo_merchant, message="你们的羽绒服可以用微信支付吗"))
    assert result.handoff is not None and result.withheld  # declined, with an answer held back
    assert "withheld" not in result.model_dump() and "withheld" not in result.model_dump_json()


def test_calibration_error_and_reliability_bins_on_a_hand_computed_example():
    pairs = calibration_pairs(TRUST_CASES)
    bins = reliability_bins(pairs)
    assert len(bins) == 10 and [b["count"] for b in bins] == [0, 0, 1, 1, 0, 0, 0, 0, 1, 2]
    assert bins[9]["confidence"] == pytest.approx(0.925) and bins[9]["accuracy"] == 0.5
    assert bins[0]["confidence"] is None and bins[0]["accuracy"] is None
    # |0.2-0| + |0.3-0| + |0.8-0| + 2·|0.925-0.5|, over five cases
    assert expected_calibration_error(pairs) == pytest.approx((0.2 + 0.3 + 0.8 + 2 * 0.425) / 5)
    assert expected_calibration_error([(1.0, True), (0.0, False)]) == 0.0  # both ends fall in a bin
    assert expected_calibration_error([]) is None


def test_summary_keys_safety_recall_and_accuracy_per_language():
    outcomes = TRUST_CASES + [
        outcome("s1", safety=True, safety_pred=True, route="escalate"),
        outcome("s2", safety=True, safety_pred=False),
        outcome("s3", safety_pred=True, route="escalate"),  # escalated as safety but is not one
        outcome("z1", expected=["y"], correct=True, answered=True, lang="zh"),
        outcome("z2", expected=["y"], correct=False, answered=True, lang="zh"),
    ]
    s = summarise(outcomes, ["presale"])
    assert s["safety_recall"] == 0.5 and s["safety_precision"] == 0.5 and s["safety_cases"] == 2
    assert s["answer_accuracy_by_lang"] == {"en": round(1 / 3, 4), "zh": 0.5}
    assert accuracy_by_lang([]) == {}
    assert s["graded_cases"] == 7 and s["answered_cases"] == 5 and s["abstain_cases"] == 2
    assert s["coverage"] == round(5 / 7, 4) and s["answered_precision"] == round(2 / 5, 4)
    assert s["false_answer_rate"] == 0.5 and s["decline_rate"] == 0.5
    assert len(s["reliability"]) == 10 and s["risk_coverage"][-1]["coverage"] == 1.0
    # A set that never labels safety reports none rather than a recall of nothing.
    assert summarise(TRUST_CASES, ["presale"])["safety_recall"] is None


def test_markdown_table_has_one_row_per_dataset():
    a = {"cases": 10, "answer_accuracy": 0.9, "answered_precision": 0.954, "coverage": 0.8, "decline_rate": 1.0,
         "intent_accuracy": 0.75, "handoff_precision": 0.5, "handoff_recall": None, "safety_recall": None,
         "ece": 0.0412, "latency_ms_p95": 12.345}
    table = markdown_table({"food": a, "pets": {"cases": 3}})
    header, rule, food, pets = table.strip().splitlines()
    assert header.startswith("| dataset | cases | answer acc.") and rule.count("---") == 11
    assert food == "| food | 10 | 0.90 | 0.95 | 0.80 | 1.00 | 0.75 | 0.50 / – | – | 0.04 | 12.3 |"
    assert pets.startswith("| pets | 3 | – |")


@pytest.fixture
def trust_dataset(tmp_path):
    root = tmp_path / "trust_shop"
    (root / "knowledge").mkdir(parents=True)
    (root / "knowledge" / "faq.csv").write_text(
        "question,answer\nHow long does delivery take?,Delivery takes 3 days.\nDo you gift wrap?,\"Yes, for free.\"\n",
        encoding="utf-8",
    )
    (root / "knowledge" / "catalog.json").write_text(json.dumps([
        {"sku": "TJ-1", "title": "Trail Jacket", "price": 599.0, "stock": 37, "sizes": ["S", "M", "L"]},
    ]), encoding="utf-8")
    (root / "shop.json").write_text(json.dumps({"name": "Trail Outfitters", "category": "apparel"}), encoding="utf-8")
    cases = [
        {"id": "a", "message": "how many days for delivery", "lang": "en", "answer_contains": ["3 days"]},
        {"id": "b", "message": "what is the capital of Peru", "lang": "en", "abstain": True},
        {"id": "c", "turns": ["hi, I'm looking at this jacket", "how much is the Trail Jacket?"], "product": "TJ-1",
         "lang": "en", "answer_contains": ["599"]},
        {"id": "d", "message": "the battery swelled and started to smoke", "lang": "en", "safety": True, "handoff": True},
    ]
    (root / "cases.jsonl").write_text("\n".join(json.dumps(c) for c in cases), encoding="utf-8")
    return root


def test_the_runner_sends_the_product_on_every_turn_and_scores_trust(trust_dataset, assistant, monkeypatch):
    data = load_dataset(trust_dataset)
    assert data.shop.name == "Trail Outfitters" and data.shop.category == "apparel"
    seen = []
    real_handle = assistant.handle

    def spy(request, **kwargs):
        seen.append((request.message, request.product))
        return real_handle(request, **kwargs)

    monkeypatch.setattr(assistant, "handle", spy)
    run = run_eval(data, assistant=assistant)
    assert [p for m, p in seen if "Trail" in m or "jacket" in m] == ["TJ-1", "TJ-1"]
    assert all(p is None for m, p in seen if "Trail" not in m and "jacket" not in m)
    s = run.summary
    assert s["shop"] == {"name": "Trail Outfitters", "category": "apparel"}
    by_id = {o.id: o for o in run.outcomes}
    # "answered" is the turn's own verdict: the answer route with no handoff.
    for o in run.outcomes:
        assert o.answered == (o.route == "answer" and not o.handoff_pred)
    assert by_id["a"].answered and by_id["a"].right
    assert s["graded_cases"] == 3 and s["abstain_cases"] == 1 and s["safety_cases"] == 1
    assert s["decline_rate"] == (0.0 if by_id["b"].answered else 1.0)
    assert s["safety_recall"] == (1.0 if by_id["d"].safety_pred else 0.0)


def test_eval_cli_prints_trust_figures_and_plots_them(trust_dataset, tmp_path):
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["eval", str(trust_dataset), "--json", str(out), "--report", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    for shown in ("answered_precision", "coverage", "decline_rate", "ece", "aurc", "safety_recall", "Trail Outfitters"):
        assert shown in result.output
    summary = json.loads(out.read_text())
    for key in ("answered_precision", "coverage", "false_answer_rate", "decline_rate", "ece", "aurc", "safety_recall",
                "safety_precision", "answer_accuracy_by_lang", "risk_coverage", "reliability", "calibration_cases", "shop"):
        assert key in summary
    page = (tmp_path / "rep" / "index.html").read_text()
    assert page.count("data:image/png;base64") >= 3  # risk–coverage, reliability, latency (no intent labels here)
    assert "<th>answered</th>" in page


def test_eval_cli_runs_several_sets_into_one_markdown_table(trust_dataset, tiny_dataset, tmp_path):
    table = tmp_path / "table.md"
    out = tmp_path / "all.json"
    result = CliRunner().invoke(app, ["eval", str(trust_dataset), str(tiny_dataset), "--markdown", str(table),
                                      "--json", str(out), "--report", str(tmp_path / "rep")])
    assert result.exit_code == 0, result.output
    rows = table.read_text().strip().splitlines()
    assert len(rows) == 4 and rows[2].startswith(f"| {trust_dataset.name} | 4 |") and rows[3].startswith(f"| {tiny_dataset.name} | 4 |")
    assert set(json.loads(out.read_text())) == {trust_dataset.name, tiny_dataset.name}
    assert (tmp_path / "rep" / trust_dataset.name / "index.html").is_file()
    assert (tmp_path / "rep" / tiny_dataset.name / "index.html").is_file()


def test_a_broken_shop_json_is_reported(trust_dataset):
    (trust_dataset / "shop.json").write_text("[1, 2]")
    with pytest.raises(DatasetError, match="shop.json"):
        load_dataset(trust_dataset)


def test_a_refund_flow_reply_is_an_answer_only_when_it_carries_the_shops_knowledge():
    from bot.answer_types import Citation
    from bot.turn import TurnResult
    from eval.runner import answered

    offer = TurnResult(reply="如果您愿意保留这笔订单…", confidence=1.0, lang="zh", answerer="extractive", route="recovery")
    assert not answered(offer)
    cited = offer.model_copy(update={"reply": "支持7天无理由退货。\n如果您愿意保留这笔订单…",
                                     "citations": [Citation(document="faq_zh.csv", chunk=1, score=0.9)]})
    assert answered(cited)
    assert not answered(cited.model_copy(update={"handoff": {"reason": "anger"}}))
    assert answered(TurnResult(reply="48小时内发货", confidence=0.9, lang="zh", answerer="extractive"))
