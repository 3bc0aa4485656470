"""Run blind dev shops through the answerer of one commit and write each graded case's outcome.

    PYTHONPATH=<checkout of the commit> python bench/first_sight_cases.py OUT.jsonl COMMIT DATASETS SHOP...

Called by ``bench/first_sight.py collect`` with the code of the commit that added the shops,
so the outcomes are what the bot did on shops it had never seen. The shops are read from
DATASETS (today's checkout: a shop's cases are frozen, but a later commit may have fixed its
shop.json). It imports only what every
commit since the blind dev shops began has (the turn API, the dataset loader, the catalog's
question analysis), so it runs unchanged against old checkouts.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import uuid
from pathlib import Path

os.environ["XIAOER_HOME"] = tempfile.mkdtemp(prefix="xiaoer-first-sight-")
os.environ.setdefault("XIAOER_URL", "off")

from bot import catalog  # noqa: E402
from bot.question import analyse  # noqa: E402
from bot.turn import ShopAssistant, TurnRequest  # noqa: E402
from eval.dataset import load_dataset  # noqa: E402
from eval.metrics import answer_matches  # noqa: E402
from eval.runner import answered  # noqa: E402


def basis_of(document: str | None) -> str | None:
    """The kind of knowledge a reply cites, from its file (the blind shops' files are named so)."""
    if not document:
        return None
    if "catalog" in document:
        return "product"
    return "faq" if "faq" in document else "passage"


def held_back_basis(reply: str, texts: dict[str, str]) -> str:
    """The kind of knowledge a held-back answer was read from (a turn that hands off cites
    nothing): the file that holds its longest sentence as written (an FAQ answer and a
    passage's sentences are quoted; a product record's answer is composed), else a product."""
    pieces = sorted((p.strip() for p in re.split(r"[。！？!?\n]|(?<=[a-z])\. ", reply) if p.strip()), key=len, reverse=True)
    if pieces:
        longest = re.sub(r"\s+", "", pieces[0])
        for name, text in texts.items():
            if longest and longest in text:
                return basis_of(name)
    return "product"


def run(out_path: str, commit: str, datasets: Path, shops: list[str]) -> None:
    import bot.turn as turn
    if hasattr(turn, "grounded_confidence"):
        # A commit that already maps FAQ and passage scores to first-sight shares: record the
        # answerer's own score, which is what the maps are fitted on.
        turn.grounded_confidence = lambda kind, probability: probability
    assistant = ShopAssistant()
    with open(out_path, "w", encoding="utf-8") as out:
        for shop in shops:
            dataset = load_dataset(datasets / shop)
            merchant = "fs-" + uuid.uuid4().hex[:8]
            assistant.knowledge.ensure_merchant(merchant, shop)
            assistant.knowledge.ingest_paths(merchant, dataset.knowledge_files)
            texts = {Path(f).name: re.sub(r"\s+", "", Path(f).read_text(encoding="utf-8", errors="ignore"))
                     for f in dataset.knowledge_files if Path(f).suffix in (".csv", ".md", ".txt", ".json")}
            for case in dataset.cases:
                if not (case.abstain or case.answer_contains):
                    continue  # graded cases only
                *earlier, last = case.messages
                conversation = None
                for message in earlier:
                    turn = assistant.handle(TurnRequest(merchant_id=merchant, message=message, conversation_id=conversation,
                                                        product=case.product))
                    conversation = turn.conversation_id
                result = assistant.handle(TurnRequest(merchant_id=merchant, message=last, conversation_id=conversation,
                                                      product=case.product))
                sent = answered(result)
                right = None
                if sent:
                    right = not case.abstain and answer_matches(result.reply, case.answer_contains)
                held_back = getattr(result, "withheld", None) if not sent and result.route == "answer" else None
                if held_back:
                    # Declined, its best answer held back: graded too, so the maps reach below the
                    # threshold the shops were run at (an answer to an unanswerable case is never right).
                    right = not case.abstain and answer_matches(held_back, case.answer_contains)
                document = result.citations[0].document if result.citations else None
                row = {"commit": commit, "dataset": shop, "id": case.id, "lang": case.lang, "turns": len(case.messages) > 1,
                       "abstain": bool(case.abstain), "answered": sent, "held_back": bool(held_back), "right": right,
                       "confidence": result.confidence, "route": result.route,
                       "basis": basis_of(document) if sent else held_back_basis(held_back, texts) if held_back else None}
                if sent and row["basis"] == "product":
                    # How the product was named, and the question's words its record does not
                    # explain: the features of the record answer's calibration (bot/calibration.py).
                    link = assistant.catalog.link(merchant, last, assistant._embed_question(last))
                    row["how"] = "focus" if link is None else ("named" if link.score >= 1.0 else "part")
                    if link is not None:
                        residual = catalog._residual_words(analyse(last), link.product)
                        named = assistant.catalog.names_it(link.product)(residual) if residual else []
                        row["unexplained"] = sum(not n for n in named)
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            assistant.knowledge.delete_merchant(merchant)
            print(commit, shop, flush=True)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4:])
