"""The offline answerer: quote the merchant's own knowledge, never invent.

FAQ rows answer with their answer, products with the fact asked for (price, stock,
sizes…), passages with their best sentences. Confidence comes from how well the
question matches the evidence; below the threshold the bot says it is unsure and
asks for a colleague instead of guessing.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.answer_types import Answer, Citation, Evidence
from bot.answerability import VETOED, Features, content_words, features, probability
from bot.places import place_words, speaks_of_places
from bot.question import Question, analyse, answer_fits, asked_attributes, figures_given, ranges_stated
from knowledge.models import Chunk
from knowledge.statements import statements, table_rows, without_repeated_leads
from knowledge.sources import section_title, source_title
from retrieval.embedders import Embedder
from retrieval.sentences import SentenceSource
from retrieval.tokenize import action_character, tokenize
from xiaoer.lang import is_cjk

UNSURE = {
    "zh": "这个问题我不太确定，为了不误导您，我请人工客服同事来帮您，请稍等。",
    "en": "I'm not sure about that one, and I'd rather not guess. Let me get a colleague to help you.",
}


# Sentence vectors of the FAQ answers and passages seen lately (the same few chunks answer
# most questions): ~64 MiB of USE vectors at most.
TEXT_CACHE_SIZE = 32768
# Share of an English question's similarity taken from the English embedder, when one is set,
# for the best few candidates, each judged by the few sentences USE found closest.
ENGLISH_EMBEDDER_WEIGHT = 0.25
ENGLISH_RERANK_DEPTH = 4
ENGLISH_MAX_SENTENCES = 3
# It is asked only when USE leaves the question open: the best two close, or the best one
# neither sure nor plainly off-topic. On demo_en, Amazon ePQA and Bitext that is 34-63 % of
# English turns and keeps all but one of the answers asking it every time gains.
ENGLISH_CLOSE_MARGIN = 0.03
ENGLISH_OPEN_CONFIDENCE = (0.3, 0.9)
# The best few candidates by match score are judged for answerability; the likeliest wins.
JUDGE_DEPTH = 3
RARE_FIT = 0.25  # "few": a quarter of the chunks retrieved, or fewer
# Two different answers within this probability of each other make the turn ambiguous,
# and an ambiguous answer is capped just below the answer threshold.
AMBIGUITY_MARGIN = 0.1
# What a passage sentence with the kind of fact asked gains over its similarity: more than
# any similarity gap, so it comes before every sentence without it. Within a section the
# heading already matched, a sentence alone is often far from the question ("全店满500减60"
# from "双12有啥活动": 0.04), and 0.1 picked the section's dates over its offer.
FITS_BONUS = 1.0
RANGE_BONUS = 2.0  # a sentence whose range holds the figure asked, over any other
WORDS_BONUS = 0.3  # a passage sentence's share of a follow-up's own content words, beside its dense similarity
AMBIGUOUS = 0.45


class TextVectors:
    """Vectors of texts under one embedder: a bounded LRU whose misses are embedded in one
    batch (one call for forty sentences costs little more than one for one)."""

    def __init__(self, embedder: Embedder, size: int = TEXT_CACHE_SIZE) -> None:
        self.embedder, self.size = embedder, size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def of(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
            for t in found:
                self._cache.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            found.update(zip(missing, self.embedder.embed(missing)))
            with self._lock:
                self._cache.update((t, found[t]) for t in missing)
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def holds(self, texts: list[str]) -> bool:
        with self._lock:
            return all(t in self._cache for t in texts)

    def prime(self, texts: list[str], vectors: np.ndarray) -> None:
        """Vectors computed elsewhere (stored at ingest: retrieval/sentences.py)."""
        with self._lock:
            self._cache.update(zip(texts, vectors))
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)

    def of_groups(self, groups: list[list[str]]) -> list[np.ndarray]:
        """One batch for several chunks' texts, split back per chunk."""
        vectors = self.of([t for group in groups for t in group]) if groups else None
        out, start = [], 0
        for group in groups:
            out.append(vectors[start : start + len(group)])
            start += len(group)
        return out


@dataclass
class Candidate:
    evidence: Evidence
    reply: str | None  # None: this candidate cannot answer the question
    features: Features
    probability: float


class ExtractiveAnswerer:
    def __init__(self, embedder: Embedder, threshold: float, english_embedder: Embedder | None = None) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.english_embedder = english_embedder
        self._sentences = TextVectors(embedder)
        self._words = TextVectors(embedder)
        self._english = TextVectors(english_embedder) if english_embedder else None

    def answer(
        self,
        question: str,
        lang: str,
        evidence: list[Evidence],
        query_tokens: list[str],
        query_vector: np.ndarray | None = None,
        query_idf: dict[str, float] | None = None,
        unseen: set[str] = frozenset(),
        other_product: Callable[[str], bool] | None = None,
        threshold: float | None = None,
        own_words: bool = False,
    ) -> Answer:
        """``other_product``: whether a text names another product than the one asked about;
        ``threshold``: the merchant's own answer threshold, else the answerer's; ``own_words``:
        ``query_tokens`` are a follow-up's own words, not all of ``question`` (which it leans on)."""
        threshold = self.threshold if threshold is None else threshold
        if not evidence:
            return unsure_answer(lang, [], 0.0)
        judged, scores, order = self.candidates(question, lang, evidence, query_tokens, query_vector, query_idf, unseen,
                                                own_words=own_words)
        own_language = any(ev.chunk.lang == lang for ev in evidence)
        for c in judged:
            if c.reply is None:
                continue
            if own_language and c.evidence.chunk.lang != lang:
                # A reply in another language than the shopper's, when the shop wrote in theirs:
                # right 6 times of 39 on the dev shops, and hard to read when it is.
                c.probability = min(c.probability, VETOED)
            elif other_product is not None and other_product(f"{_own_heading(c.evidence.chunk)} {c.reply}"):
                c.probability = min(c.probability, VETOED)  # same topic, another product
            elif _another_number(query_tokens, _answer_tokens(c.evidence.chunk, c.reply)):
                c.probability = min(c.probability, VETOED)  # 双十二's dates are no answer to 双十一
        # The candidate most likely to answer *this* question, not merely the closest one.
        ranked = sorted(judged, key=lambda c: c.probability, reverse=True)
        best = ranked[0]
        rival = next((c for c in ranked[1:] if c.reply and c.evidence.chunk.lang == best.evidence.chunk.lang
                      and not consistent(c.reply, best.reply or "") and not _another_region(c.reply, best.reply or "", question)), None)
        if rival is not None and best.probability - rival.probability < AMBIGUITY_MARGIN:
            # Two different answers almost equally likely: at most one is right, so neither
            # is sure enough to send ("几天发货" between the shipping and the delivery FAQ).
            best = Candidate(best.evidence, best.reply, best.features, min(best.probability, AMBIGUOUS))
        citations = [citation(evidence[i], scores[i]) for i in order[:3] if scores[i] > 0.0]
        if best.evidence is not evidence[order[0]]:
            citations = [citation(best.evidence, best.features.match)] + [c for c in citations if c.chunk != best.evidence.chunk.id][:2]
        if best.reply is None or best.probability < threshold:
            unsure = unsure_answer(lang, citations, best.probability)
            unsure.withheld, unsure.basis = best.reply, best.evidence.chunk.kind if best.reply else None
            return unsure
        chunk = best.evidence.chunk
        focus = str(chunk.data.get("sku")) if chunk.kind == "product" and chunk.data else None
        return Answer(reply=best.reply, confidence=best.probability, citations=citations, focus_product=focus, basis=chunk.kind)

    def candidates(self, question: str, lang: str, evidence: list[Evidence], query_tokens: list[str],
                   query_vector: np.ndarray | None = None, query_idf: dict[str, float] | None = None,
                   unseen: set[str] = frozenset(), own_words: bool = False):
        """The best few candidates by match score, each with its reply and answerability
        features; also every candidate's score and the ranking."""
        if query_vector is None:
            query_vector = self.embedder.embed([question])[0]
        similarities = self.similarities(evidence, query_vector)
        scores = [self.relevance(question, lang, ev, query_tokens, sim) for ev, sim in zip(evidence, similarities)]
        if self._english is not None and lang == "en" and _undecided(sorted(scores, reverse=True)):
            # A second opinion on the head of the list only: the English model costs ~10x USE.
            english_vector = self._english.of([question])[0]  # cached: shoppers ask the same questions
            head = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:ENGLISH_RERANK_DEPTH]
            # English text only: the English model reads no Chinese (its vectors of a Chinese
            # answer say nothing of it), and English chunks' texts were embedded at upload.
            head = [i for i in head if evidence[i].chunk.kind != "product" and evidence[i].chunk.lang == "en"]
            texts = [self._english_texts(evidence[i].chunk, query_vector) for i in head]
            for i, vectors in zip(head, self._english.of_groups(texts)):
                english = max(0.0, float((vectors @ english_vector).max()))
                similarities[i] += ENGLISH_EMBEDDER_WEIGHT * (english - similarities[i])
                scores[i] = self.relevance(question, lang, evidence[i], query_tokens, similarities[i])
        order = sorted(range(len(evidence)), key=lambda i: scores[i], reverse=True)
        analysed = analyse(question)
        # A chunk without the kind of fact asked (no clock time for "几点前拍当天能发") can hold
        # no answer: when few of those retrieved have it (a clock time, an offer, a price: spans
        # of days are everywhere), those few are judged first, and the rest are no rivals.
        can = [answer_fits(analysed.ask, ev.chunk.text) for ev in evidence]
        if 0 < sum(can) <= RARE_FIT * len(evidence):
            order = sorted(order, key=lambda i: not can[i])
            rivals = [j for j in order if can[j]]
        else:
            rivals = order
        judged = []
        for i in order[:JUDGE_DEPTH]:
            reply = self.compose(question, lang, evidence[i], query_vector, query_tokens if own_words else None)
            f = self.features(analysed, lang, evidence[i], scores, i, rivals, similarities[i], query_tokens, query_idf or {}, reply or "", unseen)
            judged.append(Candidate(evidence[i], reply, f, probability(f) if reply is not None else 0.0))
        return judged, scores, order

    def features(self, question: Question, lang: str, ev: Evidence, scores: list[float], i: int, order: list[int],
                 similarity: float, query_tokens: list[str], query_idf: dict[str, float], reply: str,
                 unseen: set[str] = frozenset()) -> Features:
        chunk_tokens = _answer_tokens(ev.chunk, reply)
        others = [scores[j] for j in order if j != i]
        margin = scores[i] - (max(others) if others else 0.0)
        missing = [w for w in content_words(query_tokens, actions=True) if w not in chunk_tokens]
        soft = self.soft_cover(missing, chunk_tokens) if missing else {}
        return features(question, query_tokens, query_idf, chunk_tokens, reply, similarity, margin, soft, unseen,
                        title_tokens=tokenize(ev.chunk.title), source=f"{ev.chunk.title or ''}\n{ev.chunk.text}",
                        match=scores[i], other_language=ev.chunk.lang != lang, product=ev.chunk.kind == "product",
                        passage=ev.chunk.kind == "passage")

    def sentence_sources(self) -> list[SentenceSource]:
        """The texts worth embedding when a chunk is ingested: every FAQ answer's and
        passage's sentences, and what the English embedder judges of English chunks."""
        sources = [SentenceSource(self.embedder, self._sentences, _sentence_texts)]
        if self._english is not None:
            sources.append(SentenceSource(self.english_embedder, self._english, _english_candidates,
                                          at_ingest=lambda chunk: chunk.lang == "en", lang="en", later=True))
        return sources

    def warm_words(self, words: list[str]) -> None:
        """Embed a shop's vocabulary once (one batch per knowledge version), so that judging
        a candidate's words costs a turn no embedding."""
        words = [t for t in words if _matchable(t)]
        for start in range(0, len(words), 512):
            self._words.of(words[start : start + 512])

    def words_to_embed(self, question: str) -> list[str]:
        """The question's words ``soft_cover`` will need a vector for and has none of yet
        (the turn embeds them in one batch with the question)."""
        return [w for w in content_words(tokenize(question)) if not self._words.holds([w])]

    def prime_words(self, words: list[str], vectors: np.ndarray) -> None:
        self._words.prime(words, vectors)

    def soft_cover(self, words: list[str], chunk_tokens: set[str]) -> dict[str, float]:
        """Each word's best cosine to the chunk's words: 邮费 stands in for 运费."""
        candidates = [t for t in chunk_tokens if _matchable(t)]
        if not candidates:
            return {}
        vectors = self._words.of(words + candidates)
        sims = vectors[: len(words)] @ vectors[len(words) :].T
        return {w: self._closest_standing_in(w, sims[k], candidates) for k, w in enumerate(words)}

    @staticmethod
    def _closest_standing_in(word: str, sims: np.ndarray, candidates: list[str]) -> float:
        """The best cosine among the words that may stand in for ``word``, a word that may not
        counting as 0: the closest are tried first, so most words check one partner, not all.
        A shop word for the same thing (bot/data/shop_synonyms.txt) stands in fully."""
        if word in _shop_synonyms() and any(same_shop_word(word, t) for t in candidates):
            return 1.0
        best = next((float(sims[j]) for j in np.argsort(-sims) if stands_in(word, candidates[j])), None)
        if best is None or (best < 0.0 and not all(stands_in(word, t) for t in candidates)):
            return 0.0
        return best

    def similarities(self, evidence: list[Evidence], query_vector: np.ndarray) -> list[float]:
        """Each chunk's dense similarity: the best of its indexed text (an FAQ's question) and
        any one sentence of the FAQ's answer or the passage, so a fact stated in one sentence
        of a long passage is not drowned by the rest."""
        similarities = [max(0.0, ev.hit.similarity or 0.0) for ev in evidence]
        texts = [i for i, ev in enumerate(evidence) if ev.chunk.kind != "product"]
        for i, vectors in zip(texts, self._sentences.of_groups([_sentences(evidence[i].chunk) for i in texts])):
            similarities[i] = max(similarities[i], float((vectors @ query_vector).max()))
        return similarities

    def _english_texts(self, chunk: Chunk, query_vector: np.ndarray) -> list[str]:
        """What the English embedder judges: the indexed text and the body sentences USE
        found closest (a long passage is not embedded whole by the slower model)."""
        sentences = _sentences(chunk)
        if len(sentences) > ENGLISH_MAX_SENTENCES:
            closest = np.argsort(-(self._sentences.of(sentences) @ query_vector))[:ENGLISH_MAX_SENTENCES]
            sentences = [sentences[j] for j in sorted(closest)]
        return _english_question(chunk) + sentences

    def relevance(self, question: str, lang: str, ev: Evidence, query_tokens: list[str], similarity: float) -> float:
        """How well a chunk matches the question: mostly dense similarity, plus the share
        of the question's content words the chunk holds; products also by name overlap.
        The weights were fitted on the demo dev sets (`xiaoer eval eval/datasets/demo_zh`,
        `demo_en`), so those figures are dev figures."""
        chunk_tokens = set(ev.chunk.search_tokens.split(" "))
        content = [t for t in query_tokens if t not in _FACT_TOKENS] or query_tokens
        coverage = sum(t in chunk_tokens or (action_character(t) and any(t in c for c in chunk_tokens))  # 退 in 退货
                       for t in content) / len(content) if content else 0.0
        score = 0.69 * similarity + 0.31 * coverage
        if ev.chunk.kind == "product":
            score += 0.23 * title_overlap(question, ev.chunk) + (0.077 if asked_attributes(question) else -0.077)
        if ev.chunk.lang != lang:  # answer in the shopper's language when the knowledge has it
            score -= 0.05
        return score

    def compose(self, question: str, lang: str, ev: Evidence, query_vector: np.ndarray | None = None,
                query_tokens: list[str] | None = None) -> str | None:
        """The candidate's reply to the question; None when it cannot answer it (a product
        whose record lacks the attribute asked for)."""
        chunk = ev.chunk
        if chunk.kind == "faq" and chunk.answer:
            return chunk.answer
        if chunk.kind == "product":
            # A product's facts are answered by the catalog stage, which links the product the
            # question names among all of the shop's products; a record retrieved here is only
            # close in words, and may be an accessory of the product the shopper meant.
            return None
        return self.best_sentences(question, chunk, query_vector, words=query_tokens)

    def best_sentences(self, question: str, chunk: Chunk, query_vector: np.ndarray | None = None, keep: int = 2,
                       words: list[str] | None = None) -> str:
        sentences = _sentences(chunk)
        joiner = "" if re.search(r"[\u4e00-\u9fff]", chunk.text) else " "
        if len(sentences) <= keep:
            return joiner.join(without_repeated_leads(sentences)).strip() or chunk.text.strip()
        if query_vector is None:
            query_vector = self.embedder.embed([question])[0]
        sims = self._sentences.of(sentences) @ query_vector
        # The policy sentences that hold the kind of fact asked (a date, an amount, a number
        # of days) come first, closest first.
        ask = analyse(question).ask
        fits = np.array([answer_fits(ask, sentence) for sentence in sentences])
        if fits.any() and not fits.all():
            sims = sims + FITS_BONUS * fits
        # A figure asked inside a table of ranges ("出发前10天退呢" of 29-15天 / 14-7天 rows): the
        # row whose range holds it, and not a row whose range does not.
        holds = [_range_holds(question, sentence) for sentence in sentences]
        if any(h is True for h in holds):
            sims = sims + RANGE_BONUS * np.array([h is True for h in holds]) - RANGE_BONUS * np.array([h is False for h in holds])
        wanted = content_words(words) if words else []
        if wanted:
            # A follow-up's own words pick the sentence: "智能手表呢" after "机械表保修几年" is the
            # warranty table's 智能手表 row, however close the 机械表 row is to the two together.
            held = np.array([len(set(wanted).intersection(tokenize(sentence))) / len(wanted) for sentence in sentences])
            sims = sims + WORDS_BONUS * held
        top = sorted(np.argsort(-sims)[:keep])  # keep the document's order
        rows = table_rows(_body(chunk))
        if any(sentences[i] in rows for i in top):
            top = _rows_of_what_is_asked(top, sentences, rows, set(wanted or content_words(tokenize(question))), sims, keep)
        chosen = without_repeated_leads([sentences[i] for i in top])
        if joiner == "":  # a table row ends with no full stop of its own
            chosen = [s if i == len(chosen) - 1 or re.search(r"[。！？!?；;.]$", s) else s + "。" for i, s in enumerate(chosen)]
        return joiner.join(chosen)


def _range_holds(question: str, sentence: str) -> bool | None:
    """Whether the sentence's ranges of the unit the question gives a figure in hold that
    figure: True, False, or None when it has no range of that unit."""
    asked = figures_given(question)
    if not asked:
        return None
    ranges = ranges_stated(sentence, bounds=False)
    verdicts = [low <= n <= high for unit, n, _ in asked for r_unit, low, high in ranges if r_unit == unit]
    return any(verdicts) if verdicts else None


def _rows_of_what_is_asked(top: list[int], sentences: list[str], rows: set[str], asked: set[str], sims: np.ndarray,
                           keep: int) -> list[int]:
    """"内存保修多久": the warranty table's 内存 row, not the 显卡 row beside it, which is
    another thing's fact however close in form. A row whose first cell names a word asked
    is taken; another row stays only with a word asked that not every row has (the 限制 row
    of "满减能和会员首单立减一起用吗" says 会员首单立减)."""
    def subject(i: int) -> set[str]:
        return set(tokenize(re.split(r"：|: ", sentences[i], maxsplit=1)[0]))

    named = sorted((i for i, s in enumerate(sentences) if s in rows and asked & subject(i)), key=lambda i: -sims[i])
    if not named:
        return top
    every_row = set.intersection(*(set(tokenize(s)) for s in sentences if s in rows))
    kept = [i for i in top if i not in named and (sentences[i] not in rows or (asked & set(tokenize(sentences[i]))) - every_row)]
    return sorted((named + kept)[:keep])


_NUMERAL_CHARS = set("一二两三四五六七八九十百千万")  # spelled out: "七天" and "7天" are one thing written two ways


def _answer_tokens(chunk, reply: str | None) -> set[str]:
    """The words a candidate answers with: an FAQ row's words; a passage's heading and the
    statements it quotes, not every word of its section ("能顺丰到付吗" is not answered by a
    顺丰 sentence because 到付 is three lines further down)."""
    if chunk.kind == "passage" and reply:
        return set(tokenize(f"{chunk.title}\n{reply}"))
    return set(chunk.search_tokens.split(" "))


def _own_heading(chunk: Chunk) -> str:
    """What a chunk's title says of it alone: an FAQ's question, a passage's headings below the
    document's own (whose "骰子客桌游铺 售后与服务政策" is the shop's name, not a product's)."""
    return section_title(chunk.kind, chunk.title) or chunk.title


def _another_number(words: list[str], tokens: set[str]) -> bool:
    """The question names a numbered thing (双十一, 三件套) the candidate does not, and the
    candidate names the same thing by another number (双十二, 四件套): it is about that one."""
    for word in words:
        if word in tokens or len(word) < 3 or not is_cjk(word) or not set(word) & _NUMERAL_CHARS or set(word) <= _NUMERAL_CHARS:
            continue
        if any(len(t) == len(word) and all(a == b or (a in _NUMERAL_CHARS and b in _NUMERAL_CHARS) for a, b in zip(word, t))
               for t in tokens if t != word):
            return True
    return False


def stands_in(word: str, other: str) -> bool:
    """Whether ``other`` may stand in for ``word`` when close in meaning. Not when they count
    differently (双十二 is not 双十一, 24期 not 12期), nor when ``word`` is a Chinese noun
    compound built on a piece of ``other`` with another head (配竿袋 is a bag, not the 鱼竿 it
    holds): such a compound is the thing its last character names. (Two-character words are
    often verbs, 拆开 / 充满, whose last character is no head.)"""
    numerals, others = set(word) & _NUMERAL_CHARS, set(other) & _NUMERAL_CHARS
    if numerals and others and numerals != others:
        return False
    if len(word) >= 3 and is_cjk(word) and is_cjk(other) and set(word) & set(other) and word[-1] not in other:
        return False
    return True


@lru_cache(maxsize=1)
def _shop_synonyms() -> dict[str, int]:
    """Each word of bot/data/shop_synonyms.txt and the number of its group."""
    groups = {}
    text = (Path(__file__).with_name("data") / "shop_synonyms.txt").read_text(encoding="utf-8")
    for n, line in enumerate(l for l in text.splitlines() if l.strip() and not l.startswith("#")):
        groups.update((w, n) for w in line.split())
    return groups


def same_shop_word(word: str, other: str) -> bool:
    """Two words a shop uses for one thing (下单 / 付款, 包邮 / 免运费)."""
    groups = _shop_synonyms()
    return word != other and word in groups and groups.get(other) == groups[word]


def _matchable(token: str) -> bool:
    return bool(token) and not token.isdigit() and (len(token) > 1 or not is_cjk(token))


_FIGURE = re.compile(r"\d+(?:\.\d+)?")


def consistent(a: str, b: str) -> bool:
    """Two replies that state the same figures (or, without figures, mostly the same words)
    agree: an FAQ row and the policy sentence behind it are not rivals."""
    fa, fb = set(_FIGURE.findall(a)), set(_FIGURE.findall(b))
    if fa or fb:
        return bool(fa & fb)
    ta, tb = set(tokenize(a)), set(tokenize(b))
    return bool(ta and tb) and len(ta & tb) / min(len(ta), len(tb)) >= 0.5


def _another_region(reply: str, best: str, question: str) -> bool:
    """A rule for some regions ("港澳台地区仅支持顺丰到付") is no rival to a general answer
    when the question names no place: it answers for shoppers elsewhere."""
    def regional(text: str) -> bool:
        return speaks_of_places(text) or bool(place_words(text))
    return regional(reply) and not regional(best) and not regional(question)


def _undecided(scores: list[float]) -> bool:
    low, high = ENGLISH_OPEN_CONFIDENCE
    close = len(scores) > 1 and scores[0] - scores[1] < ENGLISH_CLOSE_MARGIN
    return close or low <= confidence_from(scores[0]) <= high


def split_sentences(text: str) -> list[str]:
    return statements(text)


def _body(chunk: Chunk) -> str:
    return chunk.answer if chunk.kind == "faq" and chunk.answer else chunk.text


def _sentences(chunk: Chunk) -> list[str]:
    body = _body(chunk)
    return split_sentences(body) or [body.strip()]


def _sentence_texts(chunk: Chunk) -> list[str]:
    """What ``similarities`` embeds of a chunk (nothing of a product record)."""
    return [] if chunk.kind == "product" else _sentences(chunk)


def _english_question(chunk: Chunk) -> list[str]:
    # An FAQ's indexed text is its question; a passage's is the whole passage, too long
    # to be worth the slower model when its closest sentences are there.
    return [chunk.embed_text] if chunk.kind == "faq" else []


def _english_candidates(chunk: Chunk) -> list[str]:
    """Every text ``_english_texts`` may pick of a chunk."""
    return [] if chunk.kind == "product" else _english_question(chunk) + _sentences(chunk)




_FACT_TOKENS = {"钱", "价格", "价钱", "库存", "有货", "现货", "尺码", "颜色", "材质", "面料", "price", "cost", "much",
                "stock", "available", "size", "color", "colour", "material", "fabric"}


# The match score at which right answers start to outnumber wrong ones and off-topic questions.
CONFIDENCE_MIDPOINT = 0.39


def confidence_from(score: float) -> float:
    """Map a match score onto [0, 1], 0.5 at the midpoint."""
    return round(1.0 / (1.0 + math.exp(-14.0 * (score - CONFIDENCE_MIDPOINT))), 4)


def citation(ev: Evidence, score: float) -> Citation:
    snippet = ev.chunk.answer or ev.chunk.text
    return Citation(
        document=ev.document,
        chunk=ev.chunk.id,
        score=round(max(0.0, min(1.0, score)), 4),
        title=ev.chunk.title[:200],
        snippet=snippet[:240],
        source=source_title(ev.chunk.kind, ev.chunk.title, ev.document, ev.chunk.lang)[:200],
        section=section_title(ev.chunk.kind, ev.chunk.title)[:200],
    )


def unsure_answer(lang: str, citations: list[Citation], confidence: float) -> Answer:
    return Answer(reply=UNSURE.get(lang, UNSURE["en"]), confidence=confidence, citations=citations, handoff=True)


def title_overlap(question: str, chunk) -> float:
    """Share of a product's name the question contains: characters for Chinese names
    ('云雾冲锋衣' vs '云雾三合一冲锋衣'), words for English ones."""
    q = question.lower()
    best = 0.0
    for title in (str(chunk.data.get(k) or "") for k in ("title", "title_en")) if chunk.data else (chunk.title,):
        title = title.lower()
        if not title:
            continue
        if is_cjk(title):
            chars = [ch for ch in title if not ch.isspace()]
            share = sum(ch in q for ch in chars) / len(chars)
        else:
            words = [w for w in re.split(r"[\s'’-]+", title) if len(w) > 1]
            share = sum(w in q for w in words) / len(words) if words else 0.0
        best = max(best, share)
    return best
