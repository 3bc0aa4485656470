"""Ours versus a plain LangChain retrieval-QA chain over the same Chroma collection, in one run.

    python bench/vs_langchain.py [--json OUT] [--k 8] [--warmup 5]

Both pipelines answer the messages of eval/datasets/demo_zh and demo_en over the bundled
demo shop, ingested once by our ShopAssistant into a throw-away XIAOER_HOME and merchant.

* ours: ``ShopAssistant().answer(merchant, message, lang)`` - hybrid retrieval (Chroma +
  BM25, RRF) and the extractive answerer; no LLM call.
* chain: the textbook LCEL replacement for RetrievalQA ("stuff" prompt)::

      {"context": retriever | format_docs, "question": RunnablePassthrough()}
          | ChatPromptTemplate | ChatOpenAI | StrOutputParser()

  where the retriever is a LangChain ``BaseRetriever`` over the *same* Chroma collection
  our VectorStore wrote (top-k cosine similarity of the query embedded by a LangChain
  ``Embeddings`` wrapper around the *same* embedder instance), reading the chunk texts
  from the same SQL rows ours reads (our collection stores vectors only, no texts).
  ``langchain_chroma`` is not a dependency of this project, so the retriever queries the
  collection with the chromadb client directly, as ``langchain_chroma.Chroma`` does.
  The LLM is the real ``langchain_openai.ChatOpenAI`` client talking to the project's
  fake OpenAI-compatible server (tests/fake_openai.py) on 127.0.0.1, which answers at once.

Figures: p50/p95 ms of ours, of the chain (fake LLM included), of the chain without its
LLM step (the ChatOpenAI call as the client sees it: request, HTTP, response parsing),
of the chain's retriever alone, and the fake server's own handler time; the ratios
chain/ours with and without the LLM step; top-1 retrieval agreement. Questions run
interleaved (ours, chain, retriever) so that both sides see the same machine noise.

BLAS threads: like bench/foundation.py this sets no environment variables; the USE
embedder pins its own forward pass to one BLAS thread (threadpoolctl, see
retrieval/embedders.py), and both pipelines use that one embedder instance.

Runs in a throw-away XIAOER_HOME with no real LLM, database or Chroma server. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATASETS = ("demo_zh", "demo_en")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": statistics.median(values), "p95_ms": percentile(values, 95), "mean_ms": statistics.fmean(values)}


def load_questions() -> list[tuple[str, str | None]]:
    """(message, lang) for every case; a multi-turn case contributes its last turn, as eval does."""
    from eval.dataset import load_dataset

    questions = []
    for name in DATASETS:
        for case in load_dataset(ROOT / "eval" / "datasets" / name).cases:
            questions.append((case.messages[-1], case.lang))
    return questions


# --- the LangChain side ---------------------------------------------------------------------


def build_chain(embedder, merchant_id: str, settings, llm_base_url: str, k: int):
    import chromadb
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables import RunnablePassthrough
    from langchain_openai import ChatOpenAI

    from knowledge import repository
    from retrieval.vector_store import collection_name
    from xiaoer.db import session_scope

    class XiaoerEmbeddings(Embeddings):
        """LangChain's embeddings interface around our embedder (same model, same vectors)."""

        def __init__(self, inner) -> None:
            self.inner = inner

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.inner.embed(list(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.inner.embed([text])[0].tolist()

    class ChromaChunkRetriever(BaseRetriever):
        """Top-k similarity search on an existing Chroma collection, like
        ``Chroma(...).as_retriever(search_kwargs={"k": k})``; texts come from SQL because
        our collection holds vectors only."""

        collection: Any
        embeddings: Any
        merchant_id: str
        k: int = 8

        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
            vector = self.embeddings.embed_query(query)
            result = self.collection.query(query_embeddings=[vector], n_results=self.k, include=["distances"])
            ids = [int(i) for i in result["ids"][0]]
            with session_scope() as session:
                rows = repository.chunks_with_documents(session, self.merchant_id, ids)
            return [
                Document(
                    page_content=rows[i][0].text,
                    metadata={"chunk_id": i, "source": rows[i][1], "score": 1.0 - float(d)},
                )
                for i, d in zip(ids, result["distances"][0])
                if i in rows
            ]

    chroma_settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)  # as VectorStore opens it
    client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    with session_scope() as session:
        version = repository.live_vector_version(session, merchant_id, embedder.name)
    collection = client.get_collection(collection_name(settings.chroma_prefix, merchant_id, embedder.name, version))
    retriever = ChromaChunkRetriever(
        collection=collection, embeddings=XiaoerEmbeddings(embedder), merchant_id=merchant_id, k=k
    )

    def format_docs(docs: list[Document]) -> str:
        return "\n\n".join(f"[{i}] ({d.metadata['source']}) {d.page_content}" for i, d in enumerate(docs, start=1))

    prompt = ChatPromptTemplate.from_messages([
        ("system",
         "You are a shop's customer-service assistant. Answer the customer's question using only "
         "the numbered passages below, citing them as [1], [2]. If they do not contain the answer, "
         "say you don't know.\n\nPassages:\n{context}"),
        ("human", "{question}"),
    ])
    llm = ChatOpenAI(model="bench-fake", api_key="bench-not-a-key", base_url=llm_base_url,
                     timeout=10, max_retries=0, temperature=0)
    chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt | llm | StrOutputParser()
    return chain, retriever


def llm_step_timer():
    """A callback handler that times each chat-model call (client side) in the chain."""
    from langchain_core.callbacks import BaseCallbackHandler

    class LLMTimer(BaseCallbackHandler):
        def __init__(self) -> None:
            self.started: dict[Any, float] = {}
            self.last_ms = 0.0

        def on_chat_model_start(self, serialized, messages, *, run_id, **kwargs) -> None:
            self.started[run_id] = time.perf_counter()

        def on_llm_end(self, response, *, run_id, **kwargs) -> None:
            self.last_ms = (time.perf_counter() - self.started.pop(run_id)) * 1000

    return LLMTimer()


def timed_fake_openai():
    """tests/fake_openai.FakeOpenAI, with each request's handler time recorded."""
    from tests.fake_openai import FakeOpenAI

    fake = FakeOpenAI()
    fake.mode = "custom"
    fake.custom_reply = "According to our policy: see passage [1]. [1]"
    fake.handler_ms: list[float] = []
    base = fake.httpd.RequestHandlerClass

    class TimedHandler(base):  # type: ignore[misc, valid-type]
        def do_POST(self):
            t = time.perf_counter()
            try:
                return super().do_POST()
            finally:
                fake.handler_ms.append((time.perf_counter() - t) * 1000)

    fake.httpd.RequestHandlerClass = TimedHandler
    fake.requests = _Discard()  # FakeOpenAI keeps every request body; a bench does not need them
    return fake


class _Discard(list):
    def append(self, item) -> None:  # noqa: D102 - drop request logs
        pass


# --- run ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", metavar="OUT", help="also write the figures to this JSON file")
    parser.add_argument("--k", type=int, default=None, help="passages per question for both (default: XIAOER_TOP_K, 8)")
    parser.add_argument("--warmup", type=int, default=5, help="questions run untimed through each pipeline first")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="xiaoer-bench-")
    os.environ["XIAOER_HOME"] = home
    try:
        run(args)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "CHROMA_HOST"):
        os.environ.pop(var, None)  # no real LLM in "ours"; a throw-away SQLite and local Chroma files

    from bot.turn import ShopAssistant
    from xiaoer.demo import DEMO_MERCHANT, DEMO_NAME, demo_files
    from xiaoer.lang import detect_language

    assistant = ShopAssistant()
    settings = assistant.settings
    k = args.k or settings.top_k
    embedder = assistant.retriever.embedder
    merchant = f"{DEMO_MERCHANT}-vs-lc-{uuid.uuid4().hex[:8]}"
    assistant.knowledge.ensure_merchant(merchant, DEMO_NAME)
    t = time.perf_counter()
    report = assistant.knowledge.ingest_paths(merchant, demo_files())
    ingested = time.perf_counter() - t
    assistant.sentences.wait()  # the English model's sentence vectors, embedded after the upload
    print(f"embedder: {embedder.name}, cpus: {os.cpu_count()}, k: {k}")
    print(f"demo shop: {report.chunks_added} chunks ingested in {ingested:.1f} s "
          f"(+ {time.perf_counter() - t - ingested:.1f} s of background sentence vectors)")

    questions = [(q, lang or detect_language(q)) for q, lang in load_questions()]

    with timed_fake_openai() as fake:
        chain, retriever = build_chain(embedder, merchant, settings, fake.base_url, k)
        timer = llm_step_timer()
        config = {"callbacks": [timer]}

        for q, lang in questions[: args.warmup]:  # jieba, BM25 index, Chroma segment, HTTP client
            assistant.answer(merchant, q, lang)
            chain.invoke(q, config=config)
            retriever.invoke(q)
        fake.handler_ms.clear()

        ours, chain_ms, llm_ms, chain_wo_llm, retr_ms, embed_ms = [], [], [], [], [], []
        agree_chunk = agree_doc = agree_dense = 0
        for q, lang in questions:
            t = time.perf_counter()
            assistant.answer(merchant, q, lang)
            ours.append((time.perf_counter() - t) * 1000)

            t = time.perf_counter()
            chain.invoke(q, config=config)
            total = (time.perf_counter() - t) * 1000
            chain_ms.append(total)
            llm_ms.append(timer.last_ms)
            chain_wo_llm.append(total - timer.last_ms)

            t = time.perf_counter()
            docs = retriever.invoke(q)
            retr_ms.append((time.perf_counter() - t) * 1000)

            t = time.perf_counter()
            embedder.embed([q])  # the step both pipelines share, for scale
            embed_ms.append((time.perf_counter() - t) * 1000)

            # Sanity: the chain's top passage versus ours (untimed).
            evidence, _ = assistant.evidence(merchant, q)  # ours: hybrid, default k, with document names
            dense = assistant.retriever.search(merchant, q, k=k, mode="dense")
            lc_top = docs[0].metadata["chunk_id"] if docs else None
            if evidence and docs:
                agree_chunk += evidence[0].chunk.id == lc_top
                agree_doc += evidence[0].document == docs[0].metadata["source"]
            if dense.hits and docs:
                agree_dense += dense.hits[0].chunk_id == lc_top
        server_ms = list(fake.handler_ms)

    assistant.knowledge.delete_merchant(merchant)

    n = len(questions)
    figures = {
        "questions": n,
        "k": k,
        "embedder": embedder.name,
        "ours_answer": summary(ours),
        "chain_with_fake_llm": summary(chain_ms),
        "chain_without_llm_step": summary(chain_wo_llm),
        "chain_llm_step_client": summary(llm_ms),
        "fake_llm_server_handler": summary(server_ms),
        "chain_retriever_alone": summary(retr_ms),
        "query_embedding_alone": summary(embed_ms),
    }
    p50 = {key: figures[key]["p50_ms"] for key in figures if isinstance(figures[key], dict)}
    p95 = {key: figures[key]["p95_ms"] for key in figures if isinstance(figures[key], dict)}
    figures["ratios_p50"] = {
        "chain_with_fake_llm / ours": p50["chain_with_fake_llm"] / p50["ours_answer"],
        "chain_without_llm_step / ours": p50["chain_without_llm_step"] / p50["ours_answer"],
        "chain_retriever_alone / ours": p50["chain_retriever_alone"] / p50["ours_answer"],
    }
    figures["ratios_p95"] = {
        "chain_with_fake_llm / ours": p95["chain_with_fake_llm"] / p95["ours_answer"],
        "chain_without_llm_step / ours": p95["chain_without_llm_step"] / p95["ours_answer"],
    }
    figures["top1_agreement"] = {
        "same_chunk_as_ours_hybrid": agree_chunk / n,
        "same_document_as_ours_hybrid": agree_doc / n,
        "same_chunk_as_ours_dense_only": agree_dense / n,
    }

    print(f"\n{n} questions ({', '.join(DATASETS)}), after {args.warmup} warm-up questions each\n")
    print(f"{'':42}{'p50 ms':>9}{'p95 ms':>9}")
    rows = [
        ("ours: whole answer (no LLM)", "ours_answer"),
        ("chain: whole, with fake LLM", "chain_with_fake_llm"),
        ("chain: without the LLM step", "chain_without_llm_step"),
        ("chain: LLM step (ChatOpenAI, client side)", "chain_llm_step_client"),
        ("  of which fake server's own handler", "fake_llm_server_handler"),
        ("chain: retriever alone", "chain_retriever_alone"),
        ("query embedding alone (both do it)", "query_embedding_alone"),
    ]
    for label, key in rows:
        print(f"{label:42}{p50[key]:9.1f}{p95[key]:9.1f}")
    print("\nratio chain / ours (p50, p95):")
    print(f"  including the fake LLM call: {figures['ratios_p50']['chain_with_fake_llm / ours']:.2f}x, "
          f"{figures['ratios_p95']['chain_with_fake_llm / ours']:.2f}x")
    print(f"  excluding the LLM step:      {figures['ratios_p50']['chain_without_llm_step / ours']:.2f}x, "
          f"{figures['ratios_p95']['chain_without_llm_step / ours']:.2f}x")
    print(f"  chain's retriever alone vs our whole answer (p50): {figures['ratios_p50']['chain_retriever_alone / ours']:.2f}x")
    agreement = figures["top1_agreement"]
    print("\ntop-1 agreement (chain's dense top-k vs ours):")
    print(f"  same chunk as our hybrid retrieval:    {agreement['same_chunk_as_ours_hybrid']:.2f}")
    print(f"  same document as our hybrid retrieval: {agreement['same_document_as_ours_hybrid']:.2f}")
    print(f"  same chunk as our dense-only mode:     {agreement['same_chunk_as_ours_dense_only']:.2f} (same collection: expect 1.00)")
    print("\nThe fake LLM answers at once: a real one adds its generation time (not measured here) to every "
          "chain answer. The 'excluding' ratio is the like-for-like figure for retrieval and answering.")

    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
