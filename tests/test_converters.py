"""eval.converters: public corpora in shared/datasets -> xiaoer eval dataset folders.

Skipped when the shared datasets folder (beside the repository) is not there.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from eval.converters import CONVERTERS, XIAOER_INTENTS, default_shared
from eval.converters.__main__ import main

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
LIMIT = 24
KNOWLEDGE_SUFFIXES = {".csv", ".md", ".json", ".pdf"}

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared datasets not found at {SHARED}")


def read_cases(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("conv")
    assert main(["all", "--out", str(out), "--limit", str(LIMIT)]) == 0
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> dict[str, Path]:
    """Converters whose default run is small enough to check row by row."""
    out = tmp_path_factory.mktemp("full")
    folders = {}
    for name in ("bitext_intent", "banking77", "clinc150", "abcd"):
        assert main([name, "--out", str(out / name)]) == 0
        folders[name] = out / name
    return folders


def test_default_shared_is_beside_the_repo():
    assert default_shared() == SHARED.resolve()


def test_labels_match_the_eval_dataset_format():
    from eval.dataset import INTENT_LABELS

    assert set(XIAOER_INTENTS) == set(INTENT_LABELS)


@pytest.mark.parametrize("name", CONVERTERS)
def test_folder_structure_and_case_schema(converted, name):
    folder = converted / name
    assert (folder / "cases.jsonl").is_file()
    assert (folder / "README.md").is_file()
    knowledge = [p for p in (folder / "knowledge").iterdir() if p.is_file()]
    assert knowledge and all(p.suffix in KNOWLEDGE_SUFFIXES and p.stat().st_size > 0 for p in knowledge)

    cases = read_cases(folder)
    assert 0 < len(cases) <= LIMIT
    assert len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        assert isinstance(case["id"], str) and case["id"]
        assert isinstance(case.get("message"), str) and case["message"].strip()
        assert case["lang"] in ("zh", "en")
        if "intent" in case:
            assert case["intent"] in XIAOER_INTENTS
        for flag in ("handoff", "refund", "abstain"):
            if flag in case:
                assert isinstance(case[flag], bool)
        if "answer_contains" in case:
            assert isinstance(case["answer_contains"], list) and case["answer_contains"]
            assert all(isinstance(a, str) and len(a) >= 5 for a in case["answer_contains"])
            assert (folder / "knowledge" / case["source"]).is_file()

    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "Licence" in readme and "shared/datasets/" in readme and "## Label mapping" in readme

    from eval.dataset import load_dataset

    assert len(load_dataset(folder).cases) == len(cases)


@pytest.mark.parametrize("name", sorted(CONVERTERS))
def test_xiaoer_eval_runs_on_a_sample_of_each_converted_set(converted, name, tmp_path):
    from typer.testing import CliRunner

    from xiaoer.cli import app

    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["eval", str(converted / name), "--limit", "8", "--json", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert 0 < summary["cases"] <= 8 and summary["latency_ms_p50"] > 0
    assert any(summary[k] is not None for k in ("intent_accuracy", "answer_accuracy", "refund_recall", "handoff_recall"))


def test_deterministic_for_a_seed(converted, tmp_path):
    assert main(["all", "--out", str(tmp_path), "--limit", str(LIMIT)]) == 0
    for name in CONVERTERS:
        assert (tmp_path / name / "cases.jsonl").read_bytes() == (converted / name / "cases.jsonl").read_bytes(), name
        for f in (converted / name / "knowledge").iterdir():
            assert (tmp_path / name / "knowledge" / f.name).read_bytes() == f.read_bytes(), (name, f.name)


def test_other_seed_gives_another_sample(converted, tmp_path):
    assert main(["bitext_answers", "--out", str(tmp_path), "--limit", str(LIMIT), "--seed", "7"]) == 0
    assert (tmp_path / "cases.jsonl").read_bytes() != (converted / "bitext_answers" / "cases.jsonl").read_bytes()
    # The FAQ itself does not depend on the seed.
    assert (tmp_path / "knowledge" / "faq.csv").read_bytes() == (
        converted / "bitext_answers" / "knowledge" / "faq.csv"
    ).read_bytes()


def test_bitext_intent_mapping_on_known_rows(full):
    source = pd.read_csv(SHARED / "bitext_intent" / "Bitext_Sample_Customer_Service_Validation_Dataset.csv")
    cases = {c["id"]: c for c in read_cases(full["bitext_intent"])}

    def case_for(intent: str) -> dict:
        row = int(source.index[source["intent"] == intent][0])
        return cases[f"bitext-val-{row:04d}"]

    assert case_for("get_refund")["intent"] == "refund" and case_for("get_refund")["handoff"] is False
    assert case_for("cancel_order")["intent"] == "refund"
    assert case_for("track_refund")["intent"] == "aftersale"
    assert case_for("track_order")["intent"] == "logistics"
    assert case_for("place_order")["intent"] == "presale"
    assert case_for("complaint")["intent"] == "complaint" and case_for("complaint")["handoff"] is False
    human = case_for("contact_human_agent")
    assert human["intent"] == "human" and human["handoff"] is True
    assert case_for("contact_customer_service")["handoff"] is True
    # Unscored intents are dropped; everything else is kept.
    dropped = source[source["intent"].isin(["review", "recover_password", "change_order", "payment_issue"])]
    assert not any(f"bitext-val-{i:04d}" in cases for i in dropped.index)
    assert all("answer_contains" not in c for c in cases.values())
    assert (full["bitext_intent"] / "knowledge" / "faq.csv").is_file()


def _faq(folder: Path) -> list[dict]:
    with open(folder / "knowledge" / "faq.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_bitext_answers_substrings_come_from_exactly_one_faq_answer(converted):
    folder = converted / "bitext_answers"
    faq = _faq(folder)
    assert len(faq) == 27 and all(r["question"] and r["answer"] for r in faq)
    questions = {r["question"].casefold() for r in faq}
    for case in read_cases(folder):
        assert case["source"] == "faq.csv"
        (needle,) = case["answer_contains"]
        assert 30 <= len(needle) <= 60 and "{{" not in needle
        holders = [r for r in faq if needle.casefold() in r["answer"].casefold()]
        assert len(holders) == 1, needle
        assert case["message"].casefold() not in questions


def test_bitext_answers_intent_mapping():
    from eval.converters import bitext_answers

    conv = bitext_answers.convert(SHARED, limit=None, seed=13)
    source = pd.read_csv(SHARED / "bitext_answers" / "bitext_customer_support_sample_v0_6480.csv")
    cases = {c["id"]: c for c in conv.cases}
    faq = {r["question"]: r["answer"] for r in csv.DictReader(conv.knowledge["faq.csv"].splitlines())}

    def case_for(intent: str, nth: int = 3) -> dict:
        row = int(source.index[source["intent"] == intent][nth])
        return cases[f"bitext-ans-{row:04d}"]

    refund = case_for("get_refund")
    assert refund["intent"] == "refund"
    assert refund["answer_contains"][0] in source[source["intent"] == "get_refund"]["response"].iloc[0]
    assert case_for("contact_human_agent")["intent"] == "human"
    assert "intent" not in case_for("recover_password")  # not scored, still an answer case
    assert len(conv.cases) == len(source) - len(faq)


def test_amazon_pqa_answers_occur_in_products_md(converted):
    from knowledge.parsers import parse_document

    folder = converted / "amazon_pqa"
    markdown = (folder / "knowledge" / "products.md").read_text(encoding="utf-8")
    chunks = [c.text for c in parse_document("products.md", markdown.encode(), max_bytes=10**8).chunks]
    cases = read_cases(folder)
    assert len(cases) == LIMIT
    for case in cases:
        assert case["intent"] == "presale" and case["source"] == "products.md"
        assert 1 <= len(case["answer_contains"]) <= 3
        for needle in case["answer_contains"]:
            assert len(needle) <= 60
            assert needle in markdown
            assert any(needle in chunk for chunk in chunks), needle  # survives ingestion chunking
    assert markdown.count("\n## ") <= LIMIT


def test_banking77_refund_labels(full):
    cases = read_cases(full["banking77"])
    positives = [c for c in cases if c["refund"]]
    assert len(positives) == 40  # every request_refund test row by default
    assert all(c["intent"] == "refund" and c["category"] == "request_refund" for c in positives)
    negatives = [c for c in cases if not c["refund"]]
    assert negatives and all("intent" not in c and c["category"] != "request_refund" for c in negatives)
    assert len({c["category"] for c in negatives}) == 76  # spread over every other category


def test_clinc150_abstain_labels(full):
    cases = read_cases(full["clinc150"])
    oos = [c for c in cases if c["id"].startswith("clinc-oos-")]
    ins = [c for c in cases if c["id"].startswith("clinc-test-")]
    assert oos and ins and len(oos) + len(ins) == len(cases)
    assert all(c["abstain"] is True and c["handoff"] is True and "intent" not in c for c in oos)
    assert all(c["abstain"] is False and c["handoff"] is False for c in ins)
    by_category = {c["category"]: c["intent"] for c in ins}
    assert by_category["order_status"] == "logistics" and by_category["greeting"] == "chitchat"


def test_abcd_mapping_and_policies(full):
    cases = {c["id"]: c for c in read_cases(full["abcd"])}
    assert cases["abcd-3592"]["intent"] == "refund"  # product_defect/return_size
    assert cases["abcd-9489"]["intent"] == "aftersale"  # product_defect/refund_status
    assert cases["abcd-3695"]["intent"] == "presale"  # storewide_query/timing_4
    assert not cases["abcd-3695"]["message"].lower().startswith("hey ho")  # greeting skipped
    policies = (full["abcd"] / "knowledge" / "policies.md").read_text(encoding="utf-8")
    assert "Gold members get unlimited returns" in policies
    assert "### Initiate Refund (refund_initiate)" in policies


def test_abcd_uses_full_corpus_dev_split_when_present(tmp_path):
    shared = tmp_path / "shared"
    shutil.copytree(SHARED / "abcd", shared / "abcd")
    sample = json.loads((SHARED / "abcd" / "abcd_sample.json").read_text(encoding="utf-8"))
    (shared / "abcd" / "abcd_v1.1.json").write_text(json.dumps({"train": [], "dev": sample[:2], "test": []}))
    assert main(["abcd", "--out", str(tmp_path / "out"), "--shared", str(shared)]) == 0
    assert [c["id"] for c in read_cases(tmp_path / "out")] == ["abcd-3592", "abcd-9489"]
    assert "abcd_v1.1.json (dev split)" in (tmp_path / "out" / "README.md").read_text(encoding="utf-8")


def test_missing_shared_folder_fails_clearly(tmp_path, capsys):
    assert main(["banking77", "--out", str(tmp_path / "out"), "--shared", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "shared datasets folder not found" in err and str(tmp_path / "nowhere") in err
    assert not (tmp_path / "out" / "cases.jsonl").exists()


def test_module_entry_point(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "eval.converters", "abcd", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "abcd:" in result.stdout and (tmp_path / "cases.jsonl").is_file()
