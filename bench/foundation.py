"""Foundation benchmark: ingestion rate and per-question latency (retrieval alone and the
whole offline answer), on the demo shop and on a synthetic KB of N chunks.

    python bench/foundation.py [--chunks 10000,100000] [--questions 200]

Runs in a throw-away XIAOER_HOME. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def synthetic_faq(n: int, seed: int = 7) -> bytes:
    """An FAQ CSV of n distinct rows mixing Chinese and English shop vocabulary."""
    rng = random.Random(seed)
    zh_items = ["冲锋衣", "羽绒服", "抓绒衣", "登山鞋", "速干裤", "背包", "帽子", "手套", "袜子", "睡袋"]
    zh_topics = ["多少钱", "有什么尺码", "怎么洗", "几天发货", "能退吗", "是什么材质", "有货吗", "保修多久"]
    en_items = ["jacket", "parka", "fleece", "boots", "pants", "backpack", "beanie", "gloves", "socks", "tent"]
    en_topics = ["price", "sizes", "washing", "shipping time", "returns", "material", "stock", "warranty"]
    lines = ["question,answer"]
    for i in range(n):
        if i % 2:
            item, topic = rng.choice(zh_items), rng.choice(zh_topics)
            lines.append(f"型号{i}的{item}{topic}？,型号{i}的{item}：{topic}请看详情页第{rng.randint(1, 9)}条说明，编号{i}。")
        else:
            item, topic = rng.choice(en_items), rng.choice(en_topics)
            lines.append(f"What about the {topic} of model {i} {item}?,Model {i} {item}: see note {rng.randint(1, 9)} on the {topic} page (ref {i}).")
    return ("\n".join(lines) + "\n").encode()


def measure(assistant, merchant: str, questions: list[str]) -> dict:
    from bot.turn import TurnRequest

    assistant.handle(TurnRequest(merchant_id=merchant, message=questions[0]))  # warm caches and indexes
    retrieval, whole = [], []  # whole = one full turn: intent, retrieval, answer, persisted
    for q in questions:
        t = time.perf_counter()
        assistant.retriever.search(merchant, q)
        retrieval.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        assistant.handle(TurnRequest(merchant_id=merchant, message=q))
        whole.append((time.perf_counter() - t) * 1000)
    return {
        "retrieval_p50_ms": statistics.median(retrieval),
        "retrieval_p95_ms": percentile(retrieval, 95),
        "turn_p50_ms": statistics.median(whole),
        "turn_p95_ms": percentile(whole, 95),
        "turn_p99_ms": percentile(whole, 99),
    }


def background(assistant) -> None:
    """Wait for the English model's sentence vectors, embedded after an upload in the
    background (retrieval/sentences.py), so turns are measured as a shop's are once its
    upload has settled."""
    t = time.perf_counter()
    assistant.sentences.wait()
    print(f"  background sentence vectors: {time.perf_counter() - t:.1f} s more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", default="10000,100000", help="Synthetic KB sizes, comma-separated ('' for none).")
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    os.environ["XIAOER_HOME"] = tempfile.mkdtemp(prefix="xiaoer-bench-")

    from bot.turn import ShopAssistant
    from eval.dataset import load_dataset
    from xiaoer.demo import demo_files

    assistant = ShopAssistant()
    print(f"embedder: {assistant.retriever.embedder.name}, cpus: {os.cpu_count()}")

    t = time.perf_counter()
    report = assistant.knowledge.ingest_paths("bench-demo", demo_files())
    seconds = time.perf_counter() - t
    print(f"demo shop: ingested {report.chunks_added} chunks in {seconds:.2f} s ({report.chunks_added / seconds:.0f} chunks/s)")
    background(assistant)
    questions = [c.message for name in ("demo_zh", "demo_en") for c in load_dataset(f"eval/datasets/{name}").cases]
    for key, value in measure(assistant, "bench-demo", questions).items():
        print(f"  demo, first sight {key}: {value:.1f}")
    # Again with the answerer's per-chunk sentence vectors warm, as in a shop that has been
    # open a while (the shopper-message cache is emptied: every message is embedded anew).
    assistant._message_vectors.clear()
    for key, value in measure(assistant, "bench-demo", questions).items():
        print(f"  demo, warm {key}: {value:.1f}")

    for size in [int(n) for n in args.chunks.split(",") if n.strip()]:
        raw = synthetic_faq(size)
        merchant = f"bench-{size}"
        t = time.perf_counter()
        report = assistant.knowledge.ingest_files(merchant, [("synthetic.csv", raw)])
        seconds = time.perf_counter() - t
        print(f"synthetic {size}: ingested {report.chunks_added} chunks in {seconds:.1f} s ({report.chunks_added / seconds:.0f} chunks/s)")
        background(assistant)
        rng = random.Random(3)
        sample = questions[:]
        rng.shuffle(sample)
        qs = (sample * 4)[: args.questions]
        t = time.perf_counter()
        assistant.retriever.search(merchant, "warm-up: builds the BM25 index from SQL")
        print(f"  first query (loads BM25 from SQL): {(time.perf_counter() - t):.1f} s")
        for key, value in measure(assistant, merchant, qs).items():
            print(f"  {size // 1000}k {key}: {value:.1f}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
