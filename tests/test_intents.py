"""Intent classifier: labels in both languages, override rules, the model cache.

The real classifier (USE embeddings) is trained once per session into the
session's temporary XIAOER_HOME (tests/conftest.py sets it). Cache behaviour is
tested with a tiny training file and a fake embedder so it stays fast.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from bot.intents import DEFAULT_TRAIN_PATH, INTENT_LABELS, Intent, IntentClassifier, _char_wb_ngrams, _tfidf_text

REPO = Path(__file__).resolve().parents[1]
DEV_CASES = REPO / "eval" / "datasets" / "intents_dev" / "cases.jsonl"
SHARED_DATASETS = REPO.parent / "shared" / "datasets"

# The brief's canonical examples. Several also appear in the training file (or the
# dev set), so they check that the obvious cases are right rather than generalisation.
CANONICAL = [
    ("我要退款", "refund"),
    ("不想要了", "refund"),
    ("I want my money back", "refund"),
    ("cancel my order pls", "refund"),
    ("I want to return this", "refund"),
    ("What is your return policy?", "aftersale"),
    ("转人工", "human"),
]

# New utterances, written for this test: in neither the training file nor the dev set
# (checked below). Colloquial, misspelt and pinyin-ish ones included.
NEW_CASES: dict[str, dict[str, list[str]]] = {
    "presale": {
        "zh": ["这款软壳外套适合秋天爬山穿吗", "我一米六五 一百一十斤 选S还是M", "买两件能不能打个折呀", "这个背包能装下15寸笔记本不"],
        "en": ["does this fleece come in a petite fit?", "is the rain shell breathable enough for running",
               "any bundle deal if I get the jacket and pants together", "wat size shud i get, 180cm 75kg"],
    },
    "aftersale": {
        "zh": ["退货的时候发票要一起寄回来吗", "羽绒服保修期是多久", "运费险怎么理赔啊", "七天无理由是从签收那天开始算吗"],
        "en": ["how long is the warranty on hiking boots", "do I need the original receipt to get something repaired",
               "is there a restocking fee on returns", "do u accept returns on sale stuff"],
    },
    "logistics": {
        "zh": ["我的包裹怎么三天没更新了", "能发顺丰吗 加钱也行", "下午下单今天能发出去吗", "快递显示签收了但我没收到"],
        "en": ["where's my parcel at", "can you ship it by express, I need it before friday",
               "the tracking number doesnt work", "which courier do you use for Shanghai"],
    },
    "refund": {
        "zh": ["裤子腰太大了 退了吧 不用换", "钱给我退回来 这单不要了", "退宽 我不要了", "我要退钱"],
        "en": ["pls refund, i changed my mind", "returning the boots, just give me the refund",
               "refnd this order pls", "i dont want it anymore, money back please"],
    },
    "exchange": {
        "zh": ["鞋子小了半码 帮我换大一码", "能不能换成藏青色的", "发错颜色了 给我换成我拍的那个", "这件换成加长款行吗"],
        "en": ["can I swap this for a medium", "pls exchange for size 44, these are too tight",
               "I'd rather have the grey one instead, can u switch it", "need a bigger size, same jacket"],
    },
    "complaint": {
        "zh": ["你们这服务也太差劲了吧", "冲锋衣穿了两次就开胶了 什么破质量", "等了一个礼拜才发货 太离谱了", "说好的赠品呢 根本没送 骗子"],
        "en": ["this is the worst service i've ever had", "the seams ripped the first time I wore it, garbage",
               "you promised delivery in 3 days and it took 2 weeks, unacceptable", "nobody answers my messages, ridiculous"],
    },
    "human": {
        "zh": ["帮我转个人工客服", "我不跟机器人聊 叫个真人来", "人工 人工 人工", "找个真人跟我说"],
        "en": ["I need to talk to a human", "get me a real person please",
               "can I speak with a customer service representative", "human agent pls"],
    },
    "chitchat": {
        "zh": ["哈哈哈好的", "谢谢亲 你们辛苦啦", "早上好呀", "今天天气真不错"],
        "en": ["thanks a lot!", "morning! how's it going", "lol ok", "you guys are awesome, have a nice day"],
    },
}


# Request types from the public Bitext set that the classifier used to miss, labelled per
# shared/datasets/README.md. Written for this test: in neither the training file, the dev
# set nor Bitext (checked below).
PUBLIC_REQUEST_TYPES: dict[str, list[tuple[str, str]]] = {
    "aftersale": [
        ("can you email the invoice for my march order again", "en"),  # get_invoice
        ("which page shows my old bills", "en"),  # check_invoice
        ("is my reimbursement for the returned stove done yet", "en"),  # track_refund
        ("do you charge anything when an order gets cancelled", "en"),  # check_cancellation_fee
        ("under which circumstances do you refund", "en"),  # check_refund_policy
        ("发票能重新发到我邮箱吗", "zh"),
        ("退回去的炉头钱退了没", "zh"),
        ("订单取消了会收手续费吗", "zh"),
    ],
    "presale": [
        ("I'd like to order two of these headlamps, how do I go about it", "en"),  # place_order
        ("which payment methods work at checkout", "en"),  # check_payment_methods
        ("想下单买两个头灯 怎么弄", "zh"),
    ],
    "logistics": [
        ("order 99120 - has it left your warehouse?", "en"),  # track_order
        ("the shipping address on my order needs changing", "en"),  # change_shipping_address
        ("订单99120现在什么状态", "zh"),
    ],
    "refund": [
        ("I'd like to be reimbursed for the headlamp", "en"),  # get_refund
        ("please cancel order 77102", "en"),  # cancel_order
        ("订单77102帮我取消掉", "zh"),
    ],
    "complaint": [
        ("I want to file a formal complaint about the service", "en"),
        ("我要投诉你们的售后处理", "zh"),
    ],
    "human": [
        ("what time does customer service open on saturdays", "en"),  # contact_customer_service
        ("客服周末上班吗", "zh"),
    ],
}


@pytest.fixture(scope="module")
def classifier(xiaoer_home) -> IntentClassifier:
    """The real classifier, default embedder and cache dir (trained once, ~5 s)."""
    return IntentClassifier.load_or_train()


# ------------------------------------------------------------------ labels


@pytest.mark.parametrize(("text", "label"), CANONICAL)
def test_canonical_examples(classifier, text, label):
    intent = classifier.predict(text)
    assert intent.label == label, intent


def test_new_cases_are_really_new():
    train = {json.loads(line)["text"].strip().lower() for line in DEFAULT_TRAIN_PATH.open(encoding="utf-8") if line.strip()}
    dev = set()
    for line in DEV_CASES.open(encoding="utf-8"):
        if line.strip():
            row = json.loads(line)
            dev.update(t.strip().lower() for t in ([row["message"]] if "message" in row else row["turns"]))
    probes = [t for by_lang in NEW_CASES.values() for texts in by_lang.values() for t in texts]
    probes += [t for rows in PUBLIC_REQUEST_TYPES.values() for t, _ in rows]
    for text in probes:
        assert text.strip().lower() not in train, f"{text!r} is in the training file"
        assert text.strip().lower() not in dev, f"{text!r} is in the dev set"


def _near_duplicates():
    """bench/intent_public.py's checker (numbers masked; trigram Jaccard ≥ 0.8 or edit
    similarity ≥ 0.85)."""
    spec = importlib.util.spec_from_file_location("intent_public", REPO / "bench" / "intent_public.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.near_duplicates


def _training_texts() -> list[str]:
    return [json.loads(line)["text"] for line in DEFAULT_TRAIN_PATH.open(encoding="utf-8") if line.strip()]


# No training utterance may copy, or paraphrase by one word, a dev or public evaluation
# case: the 155 rows that did (short stock phrases and some copied dev questions, which
# flattered the dev figure by about a point) were removed.
KNOWN_DEV_OVERLAPS = 0
KNOWN_BITEXT_OVERLAPS = 0


def _dev_texts() -> list[str]:
    dev = []
    for line in DEV_CASES.open(encoding="utf-8"):
        if line.strip():
            row = json.loads(line)
            dev += [row["message"]] if "message" in row else row["turns"]
    return dev


def test_training_file_adds_no_dev_set_near_duplicates():
    hits = _near_duplicates()(_training_texts(), {"intents_dev": _dev_texts()})
    assert len(hits) <= KNOWN_DEV_OVERLAPS, hits


def test_training_file_adds_no_bitext_near_duplicates():
    pd = pytest.importorskip("pandas")
    folder = SHARED_DATASETS / "bitext_intent"
    files = sorted(folder.glob("Bitext_Sample_Customer_Service_*_Dataset.csv"))
    if not files:
        pytest.skip(f"no Bitext intent data under {folder}")
    others = {f.stem: list(pd.read_csv(f, dtype=str, keep_default_na=False)["utterance"]) for f in files}
    hits = _near_duplicates()(_training_texts(), others)
    assert len(hits) <= KNOWN_BITEXT_OVERLAPS, hits


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("label", INTENT_LABELS)
def test_every_label_on_new_utterances(classifier, label, lang):
    texts = NEW_CASES[label][lang]
    predicted = [i.label for i in classifier.predict_many(texts)]
    wrong = [(t, p) for t, p in zip(texts, predicted) if p != label]
    # Unseen phrasings: allow one miss in four per label and language.
    assert len(wrong) <= 1, wrong


def test_new_utterances_overall_accuracy(classifier):
    texts, gold = [], []
    for label, by_lang in NEW_CASES.items():
        for lang_texts in by_lang.values():
            texts += lang_texts
            gold += [label] * len(lang_texts)
    predicted = [i.label for i in classifier.predict_many(texts)]
    accuracy = np.mean([p == g for p, g in zip(predicted, gold)])
    assert accuracy >= 0.9, [(t, g, p) for t, g, p in zip(texts, gold, predicted) if p != g]


def test_public_request_types(classifier):
    """Invoices, refund tracking, cancellation fees, placing an order, order status,
    customer-service contact, filing a complaint: the request types behind the Bitext gap."""
    texts, gold = [], []
    for label, rows in PUBLIC_REQUEST_TYPES.items():
        texts += [t for t, _ in rows]
        gold += [label] * len(rows)
    predicted = [i.label for i in classifier.predict_many(texts)]
    wrong = [(t, g, p) for t, g, p in zip(texts, gold, predicted) if p != g]
    assert len(wrong) <= 2, wrong
    refund_texts = [t for t, _ in PUBLIC_REQUEST_TYPES["refund"]]
    assert all(i.label == "refund" for i in classifier.predict_many(refund_texts))


def test_where_is_my_refund_is_aftersale_but_asking_for_one_is_refund(classifier):
    assert classifier.predict("still waiting on the refund for my returned stove").label == "aftersale"
    assert classifier.predict("I want my money back for the stove").label == "refund"
    assert classifier.predict("退的炉头钱还没到账").label == "aftersale"
    assert classifier.predict("炉头不要了 把钱退给我").label == "refund"


def test_return_policy_question_is_aftersale_but_wanting_to_return_is_refund(classifier):
    assert classifier.predict("What is your return policy?").label == "aftersale"
    assert classifier.predict("I want to return this").label == "refund"
    assert classifier.predict("退货政策是什么样的").label == "aftersale"
    assert classifier.predict("这件我要退掉").label == "refund"
    assert classifier.predict("婚礼推迟了 喜糖盒还没拆 想退掉").label == "refund"  # 想 opening its clause
    assert classifier.predict("想退的话运费谁出").label != "refund"  # asked how, not done


def test_no_tie_break_towards_refund(classifier):
    """Refund only when it is the top label: tracking a refund, asking its policy or asking
    for an invoice must not open the recovery flow (issue 12)."""
    for text in ["I'm still waiting for my refund", "退款到哪了", "when will my refund come through",
                 "can you send me the invoice for order 4471", "退款一般几天到账", "退款规则是什么"]:
        intent = classifier.predict(text)
        assert intent.label != "refund", (text, intent)
        assert not intent.reason.startswith("fallback:low-margin")


def test_calm_damage_report_is_aftersale_and_an_angry_one_a_complaint(classifier):
    assert classifier.predict("收到的花瓶口上缺了一块").label == "aftersale"
    assert classifier.predict("the kettle lid arrived cracked, how do I get this fixed").label == "aftersale"
    assert classifier.predict("什么垃圾东西 收到就是碎的 你们怎么做事的").label == "complaint"


@pytest.mark.parametrize("text", ["刚收到项链 链子是断的", "猫砂袋子破了 漏了一箱子", "the strap on my bag came off after a week"])
def test_a_calm_report_is_no_complaint_and_never_becomes_a_refund(classifier, text):
    intent = classifier.predict(text)
    assert intent.label not in ("complaint", "refund"), (text, intent)


@pytest.mark.parametrize("text", ["我要投诉你们", "I'd like to file a complaint about your service",
                                  "I need to lodge a claim against your company", "最差的一次购物，没有之一",
                                  "孩子把发夹上的珠子吞下去了"])
def test_asking_to_complain_anger_and_harm_stay_complaints(classifier, text):
    assert classifier.predict(text).label == "complaint", text


def test_follow_up_reads_the_previous_question(classifier):
    embed = classifier.embedder.embed
    previous, text = "退货要在几天内寄回", "邮费谁承担"
    v_text, v_prev = embed([text, previous])
    assert classifier.predict_follow_up(text, v_text, previous, v_prev).label == "aftersale"
    # An acknowledgement, a rule and a refund request stand as they are.
    for text, label in [("好的", "chitchat"), ("转人工", "human"), ("不要了 退钱", "refund")]:
        v_text, v_prev = embed([text, previous])
        assert classifier.predict_follow_up(text, v_text, previous, v_prev).label == label
    # "X呢" asks again what the question before asked: never small talk.
    for previous, text in [("马丁靴多少钱", "酒红的呢"), ("悍将台钓竿多少钱", "4.5米的呢"), ("轻风跑鞋多重", "pro呢")]:
        v_text, v_prev = embed([text, previous])
        assert classifier.predict_follow_up(text, v_text, previous, v_prev).label == "presale", text
    # A follow-up naming only another thing is asked for what the question before was.
    for previous, text, label in [("机械表保修几年", "智能手表呢", "aftersale"), ("滚筒刷多少钱", "替换的滚筒芯呢", "presale"),
                                  ("几天发货", "发顺丰呢", "logistics")]:
        v_text, v_prev = embed([text, previous])
        assert classifier.predict_follow_up(text, v_text, previous, v_prev).label == label, text
    # One that asks something of its own is read for itself.
    previous, text = "这款多少钱", "怎么还没发货呢"
    v_text, v_prev = embed([text, previous])
    assert classifier.predict_follow_up(text, v_text, previous, v_prev).label == "logistics"
    # Context never turns a follow-up into a refund request.
    previous = "我要退款"
    for text in ["运费呢", "几天到账", "地址呢"]:
        v_text, v_prev = embed([text, previous])
        assert classifier.predict_follow_up(text, v_text, previous, v_prev).label != "refund" or classifier.predict(text).label == "refund"


# ------------------------------------------------------------------ rules


@pytest.mark.parametrize(
    "text",
    ["转人工", "转人工！！", "给我转人工 你们太垃圾了", "人工客服在吗", "找真人", "人工",
     "talk to a human", "Can I speak to a real person?", "I want a human agent", "transfer me to someone", "representative"],
)
def test_explicit_human_requests_always_hand_off(classifier, text):
    intent = classifier.predict(text)
    assert intent.label == "human"
    assert intent.reason.startswith("rule:")
    assert intent.confidence == 1.0


@pytest.mark.parametrize("text", ["你是真人吗", "你是人工智能吗", "are you a real person?", "r u a bot"])
def test_questions_about_the_bot_are_not_a_rule_handoff(classifier, text):
    assert not classifier.predict(text).reason.startswith("rule:")


def test_complaint_about_staff_is_not_forced_to_human(classifier):
    intent = classifier.predict("你们人工客服态度太差了")
    assert intent.label == "complaint", intent


def test_regulator_threat_is_a_complaint(classifier):
    intent = classifier.predict("再拖着不处理我就打12315")
    assert (intent.label, intent.reason) == ("complaint", "rule:12315")


# ------------------------------------------------------------------ API shape


def test_intent_shape(classifier):
    intent = classifier.predict("这件有没有XL")
    assert isinstance(intent, Intent)
    assert tuple(intent.scores) == INTENT_LABELS
    assert sum(intent.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert 0.0 <= intent.confidence <= 1.0
    assert intent.reason == "classifier"
    assert intent.confidence == pytest.approx(intent.scores[intent.label], abs=1e-3)


def test_predict_vector_and_predict_many_agree_with_predict(classifier):
    texts = ["快递到哪了", "I want a refund", "转人工", "hello there"]
    vectors = classifier.embedder.embed(texts)
    single = [classifier.predict(t) for t in texts]
    batch = classifier.predict_many(texts)
    via_vector = [classifier.predict_vector(t, v) for t, v in zip(texts, vectors)]
    for a, b, c in zip(single, batch, via_vector):
        assert a.label == b.label == c.label
        assert a.confidence == pytest.approx(b.confidence, abs=1e-4)
        assert a.confidence == pytest.approx(c.confidence, abs=1e-4)
    assert classifier.predict_many([]) == []


def test_empty_text_falls_back(classifier):
    intent = classifier.predict("   ")
    assert (intent.label, intent.reason) == ("chitchat", "fallback:empty")


def test_predict_overhead_on_top_of_embedding_is_small(classifier):
    texts = ["这件冲锋衣防水吗", "where is my package", "退款多久到账", "I want to swap for a large"] * 25
    vectors = classifier.embedder.embed(texts)
    started = time.perf_counter()
    for text, vector in zip(texts, vectors):
        classifier.predict_vector(text, vector)
    per_call_ms = (time.perf_counter() - started) * 1000 / len(texts)
    assert per_call_ms < 5.0


# ------------------------------------------------------------------ cache


class FakeEmbedder:
    """Hashed character bigrams: deterministic, instant, good enough for a toy set."""

    name = "fake-test"
    dim = 64

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f" {text.lower()} "
            for i in range(len(padded) - 1):
                out[row, int(hashlib.md5(padded[i : i + 2].encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


SMALL_TRAIN = {
    "presale": ["有黑色吗", "what sizes do you have", "这个多少钱"],
    "aftersale": ["退货政策是什么", "how long is the warranty", "退款多久到账"],
    "logistics": ["快递到哪了", "where is my package", "什么时候发货"],
    "refund": ["我要退款", "refund me please", "不要了 退了吧"],
    "exchange": ["换个大一码", "swap for a medium", "我要换货"],
    "complaint": ["质量太差了", "terrible service", "我要投诉"],
    "human": ["转人工", "real person please", "找客服"],
    "chitchat": ["你好", "thanks", "再见"],
}


def write_train(path: Path, extra: list[tuple[str, str]] = ()) -> Path:
    rows = [(t, label) for label, texts in SMALL_TRAIN.items() for t in texts] + list(extra)
    path.write_text("".join(json.dumps({"text": t, "label": l, "lang": "zh"}, ensure_ascii=False) + "\n" for t, l in rows), encoding="utf-8")
    return path


def test_cache_is_reused_and_retrained_when_training_data_changes(tmp_path):
    train = write_train(tmp_path / "train.jsonl")
    cache = tmp_path / "cache"
    embedder = FakeEmbedder()

    before = IntentClassifier.train_count
    first = IntentClassifier.load_or_train(embedder=embedder, cache_dir=cache, train_path=train)
    assert first.source == "trained"
    assert IntentClassifier.train_count == before + 1
    files = list(cache.glob("*.pkl"))
    assert files == [first.cache_path]
    mtime = first.cache_path.stat().st_mtime_ns
    assert not list(cache.glob(".intents-*"))  # no temp file left behind

    started = time.perf_counter()
    second = IntentClassifier.load_or_train(embedder=embedder, cache_dir=cache, train_path=train)
    assert time.perf_counter() - started < 1.0
    assert second.source == "cache"
    assert IntentClassifier.train_count == before + 1  # no retraining
    assert second.cache_path == first.cache_path
    assert second.cache_path.stat().st_mtime_ns == mtime
    assert second.predict("我要退款").label == first.predict("我要退款").label

    write_train(train, extra=[("能便宜点吗", "presale")])
    third = IntentClassifier.load_or_train(embedder=embedder, cache_dir=cache, train_path=train)
    assert third.source == "trained"
    assert IntentClassifier.train_count == before + 2
    assert third.cache_path != first.cache_path
    assert third.meta["n_train"] == first.meta["n_train"] + 1


def test_cache_key_depends_on_embedder(tmp_path):
    train = write_train(tmp_path / "train.jsonl")

    class OtherFake(FakeEmbedder):
        name = "other-fake"

    a = IntentClassifier.load_or_train(embedder=FakeEmbedder(), cache_dir=tmp_path, train_path=train)
    b = IntentClassifier.load_or_train(embedder=OtherFake(), cache_dir=tmp_path, train_path=train)
    assert b.source == "trained" and a.cache_path != b.cache_path


def test_corrupt_cache_is_rebuilt(tmp_path):
    train = write_train(tmp_path / "train.jsonl")
    first = IntentClassifier.load_or_train(embedder=FakeEmbedder(), cache_dir=tmp_path, train_path=train)
    first.cache_path.write_bytes(b"not a pickle")
    again = IntentClassifier.load_or_train(embedder=FakeEmbedder(), cache_dir=tmp_path, train_path=train)
    assert again.source == "trained"
    assert IntentClassifier.load_or_train(embedder=FakeEmbedder(), cache_dir=tmp_path, train_path=train).source == "cache"


def test_default_cache_lives_under_settings_cache_dir(classifier):
    from xiaoer.settings import get_settings

    assert classifier.cache_path is not None
    assert classifier.cache_path.parent == get_settings().cache_dir / "intents"
    assert classifier.cache_path.name.startswith("intents-v")
    assert os.path.exists(classifier.cache_path)


def test_unknown_label_in_training_file_is_rejected(tmp_path):
    train = write_train(tmp_path / "train.jsonl", extra=[("随便", "smalltalk")])
    with pytest.raises(ValueError, match="smalltalk"):
        IntentClassifier.load_or_train(embedder=FakeEmbedder(), cache_dir=tmp_path, train_path=train)


def test_numpy_tfidf_matches_scikit_learn(tmp_path):
    """Inference re-implements the fitted TfidfVectorizer; it must agree exactly."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from bot.intents import NGRAM_RANGE, load_training_data

    texts, _ = load_training_data(write_train(tmp_path / "train.jsonl"))
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, sublinear_tf=True, preprocessor=_tfidf_text).fit(texts)
    clf = IntentClassifier.load_or_train(embedder=FakeEmbedder(), cache_dir=tmp_path, train_path=tmp_path / "train.jsonl")
    probes = ["我要退款 谢谢", "Where  is my PACKAGE?", "ＸＬ码有吗", "a", "完全没见过的字", "订单２０２４０３１２ 退款 ９９元", "order 00123842 #37777"]
    analyzer = vectorizer.build_analyzer()
    for probe in probes:
        assert _char_wb_ngrams(_tfidf_text(probe), *NGRAM_RANGE) == analyzer(probe)
        expected = vectorizer.transform([probe]).toarray()[0]
        cols, weights = clf.tfidf_row(probe)
        got = np.zeros_like(expected)
        got[cols] = weights
        assert np.allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("text", ["台灯灯罩有道裂缝 我要退", "枕头一股怪味 退了吧", "the lens came scratched, I want a refund"])
def test_a_refund_asked_for_outright_is_refund_whatever_the_report_around_it(classifier, text):
    assert classifier.predict(text).label == "refund", text


@pytest.mark.parametrize("text", ["我要退的话运费谁出", "我想退货 要多久到账?", "if I want to return it, who pays postage?"])
def test_asking_how_a_refund_would_go_is_no_refund_request_by_rule(classifier, text):
    intent = classifier.predict(text)
    assert not intent.reason.startswith("rule:"), (text, intent)


@pytest.mark.parametrize("text", ["龟背竹多少钱", "龙井明前的贵不贵 多少钱", "雪线长款羽绒服还剩几件"])
def test_a_products_price_or_stock_asked_in_chinese_is_presale(classifier, text):
    assert classifier.predict(text).label == "presale", text


@pytest.mark.parametrize("text", ["sf能发吗 要加多少钱", "过了保修期修一次多少钱", "退款多少钱能到"])
def test_the_price_of_a_service_is_not_taken_for_a_products(classifier, text):
    from bot.intents import _asks_price_or_stock

    assert not _asks_price_or_stock(text), text


@pytest.mark.parametrize("text", ["三文鱼收到有股臭味 要退款", "不想要了 要退"])
def test_a_bare_want_to_return_after_a_report_is_a_refund_request(classifier, text):
    intent = classifier.predict(text)
    assert intent.label == "refund" and intent.reason.startswith("rule:")


@pytest.mark.parametrize("text", ["直播间买的比我便宜 能退差价不", "the price dropped, can i get the difference back",
                                  "买完降价了 能补差价吗", "昨天买的今天降价了 能补差价不"])
def test_the_price_difference_back_is_price_protection_not_a_refund(classifier, text):
    # Neither a refund of the order nor a question before buying (the classifier said presale).
    assert classifier.predict(text).label == "aftersale"


def test_the_goods_back_with_a_price_drop_is_still_a_refund(classifier):
    assert classifier.predict("降价了 我要退货").label == "refund"


def test_paying_a_difference_for_another_size_is_an_exchange_not_price_protection(classifier):
    assert classifier.predict("23寸太小了 想换26寸 补差价行吗").label != "aftersale"


@pytest.mark.parametrize("text", ["旧马桶盖能以旧换新吗", "会员积分能换啥", "旧帐篷能以旧换新不"])
def test_a_trade_in_or_points_redeemed_is_no_exchange(classifier, text):
    assert classifier.predict(text).label not in ("exchange", "refund")


# ------------------------------------------------------------------ the shops' own cases


def _shop_lines() -> list[dict]:
    from bot.intents import SHOP_CASES_PATH

    return [json.loads(line) for line in SHOP_CASES_PATH.open(encoding="utf-8") if line.strip()]


def test_shop_lines_come_from_dev_shops_only():
    """bench/intent_shops.py build: dev shops' single-turn cases, never a held-out shop's."""
    lines = _shop_lines()
    assert len(lines) > 1000
    shops = {row["shop"] for row in lines}
    assert not any(shop.startswith("heldout_") for shop in shops)
    assert shops <= {p.name for p in (REPO / "eval" / "datasets").iterdir() if (p / "shop.json").exists() or p.name.startswith("demo_")}
    assert {row["label"] for row in lines} <= set(INTENT_LABELS)


def test_shop_lines_add_no_intents_dev_near_duplicates():
    assert _near_duplicates()([row["text"] for row in _shop_lines()], {"intents_dev": _dev_texts()}) == []


def test_shop_lines_train_the_ngram_model_only(tmp_path):
    """A shop's case (a row with "shop") moves the char n-gram model, never the
    embedding model, which carries zh requests over to English ones."""
    written = write_train(tmp_path / "train.jsonl")
    shop = tmp_path / "shops.jsonl"
    shop.write_text(json.dumps({"text": "亲 这个退了吧 不想要了", "label": "refund", "lang": "zh", "shop": "dev_x"}, ensure_ascii=False) + "\n"
                    + json.dumps({"text": "木头桌子多重", "label": "presale", "lang": "zh", "shop": "dev_x"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    alone = IntentClassifier.train(FakeEmbedder(), written)
    both = IntentClassifier.train(FakeEmbedder(), [written, shop])
    assert both.meta["n_train"] == alone.meta["n_train"] + 2
    assert np.array_equal(both.emb_coef, alone.emb_coef) and np.array_equal(both.emb_intercept, alone.emb_intercept)
    assert "木头桌" in both.vocab and "木头桌" not in alone.vocab
