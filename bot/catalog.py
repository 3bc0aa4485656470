"""Catalog facts: link a question to one of the merchant's products, and answer only the
attribute it asks for, from the product's own record.

An attribute the record lacks is a decline, not a guess: "重量呢" about a product with no
weight says "not sure" and hands off, whatever else the record holds.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

import jieba
from jieba import posseg
import numpy as np
from pypinyin import lazy_pinyin
from sqlalchemy import select

from bot.answerability import ASK_WORDS, QUANTITY, content_words
from bot.extractive import TextVectors
from bot.glosses import chinese_for, english_words, everyday_english, glosses, head_glosses, key_glosses, name_glosses, shares_word
from bot.places import place_words
from bot.question import (ATTRIBUTE_BY_NAME, ATTRIBUTE_DIMENSION, BARE_HOW_MUCH, COLOUR_WORDS, HOW_BIG_A_PACK, Question, analyse, asked_attributes, answer_fits, asked_by_form_only,
                          asked_verbs, asking_clause, asks_as_before, in_either_language, longest_shared_run, measurements, named_colours)
from bot.replies import money
from knowledge import repository
from knowledge.facts import RESTOCK_KEY
from knowledge.models import Chunk, Document
from knowledge.parsers import format_price
from retrieval.tokenize import tokenize
from xiaoer.db import session_scope
from xiaoer.lang import is_cjk

KeyMatcher = Callable[[list[str], str], np.ndarray]  # fact keys, question → similarity per key
KEY_MEANING = 0.55  # an English question names a Chinese fact key this closely ("protein" → 粗蛋白)
# A follow-up naming no product asking whether something comes with the one in focus names
# one of its keys by meaning only this surely ("does it come with ink?" → 上墨方式 0.61 asks
# what is in the box); any other, as surely as any English question ("is it waterproof?" →
# 防水等级 0.63, the dictionary agreeing).
FOCUS_KEY_MEANING = 0.65
_ASKS_INCLUDED = re.compile(r"\b(?:comes?|came) with\b|\binclud\w*|\bin the box\b", re.IGNORECASE)
# So close in meaning that no dictionary need agree: "altitude" → 海拔, which CC-CEDICT glosses
# as "elevation" only.
KEY_SURE = 0.8
LINK_THRESHOLD = 0.6  # below this a product name is not taken as named in the question
FOCUS_SURENESS = 0.8
# Linking by meaning: the question's vector against each product's names.
MEANING_LINK = 0.35
MEANING_MARGIN = 0.1
WORD_LINK = 0.65  # the two closest of an English question's words to a product's Chinese name words, on average
MEANING_SURENESS = 0.6  # a follow-up about the product in focus ("还有货吗") is about it this surely
# Linking by a distinctive part of a name ("龙井明前" → 西湖龙井 明前特级; "幼猫粮" → 鸡肉蛋黄全价幼猫粮):
# the name pieces the question holds, each weighted by how few products share it.
PART_SURENESS = 0.62
CODED_NAME_MATCH = 0.9  # a name's words without the code that names it ("4K投影仪" by 投影仪)
GLOSS_WEIGHT = 0.5  # a name piece that is only a dictionary gloss counts half


@dataclass
class Product:
    sku: str
    data: dict
    chunks: dict[str, int] = field(default_factory=dict)  # lang → chunk id (for citations)
    document: str = ""

    @property
    def is_accessory(self) -> bool:
        """Sold as a part or for another product ("E1 Pro 专用加装头枕", "替换装")."""
        return any(_ACCESSORY.search(n) for n in self.names())

    def names(self) -> list[str]:
        names = [str(self.data.get(k) or "") for k in ("title", "title_en")] + list(self.data.get("aliases") or [])
        return [n for n in names if n.strip()]

    def variant_names(self) -> list[str]:
        return [str(v.get("name") or "") for v in self.data.get("variants") or []]

    def title(self, lang: str) -> str:
        return str((self.data.get("title_en") if lang == "en" else None) or self.data.get("title") or self.sku)

    @cached_property
    def own_pieces(self) -> set[str]:
        """The pieces of its own names (titles, aliases) as the merchant wrote them."""
        return set().union(*(_pieces(n, pinyin=False) for n in self.names())) if self.names() else set()

    @cached_property
    def written_pieces(self) -> set[str]:
        """The pieces of its names and its options' names, as written (no glosses, no pinyin)."""
        return self.own_pieces.union(*(_pieces(n, pinyin=False) for n in self.variant_names()))

    @cached_property
    def gloss_pieces(self) -> set[str]:
        """Named only in Chinese: its words' English glosses ("乐福鞋" → loafer), pieces an
        English question can hold (bot/glosses.py). A product with an English title is named by that."""
        if self.data.get("title_en"):
            return set()
        return {g for g in name_glosses(self.names()) if g not in _NAME_STOP and g not in ASK_WORDS}

    @cached_property
    def gloss_only(self) -> set[str]:
        """Its glosses that no name of it holds as written: weaker evidence (see NameParts)."""
        return self.gloss_pieces - self.written_pieces

    @cached_property
    def dictionary_glosses(self) -> set[str]:
        """The dictionary's English for its Chinese names and facts ("skirt" of 马面裙, "bust" of
        胸围), once: products are re-read per knowledge version."""
        facts = self.data.get("facts") or {}
        return head_glosses(_chinese_name_words(self) + [str(t) for kv in facts.items() for t in kv if is_cjk(str(t))])

    @cached_property
    def name_head_glosses(self) -> set[str]:
        """The dictionary's English for its Chinese names alone (``dictionary_glosses`` adds its
        facts'), a compound the dictionary lacks by its head ("荞麦壳枕" → 枕 → pillow): what an
        English question may call it."""
        return set(head_glosses([n for n in self.names() if is_cjk(n)]))

    @cached_property
    def name_pieces(self) -> set[str]:
        """Its names cut into pieces (see NameParts), once: products are re-read per knowledge version."""
        return _name_pieces(self)


@dataclass
class ProductLink:
    product: Product
    score: float  # 0-1: how surely the question names this product


def how_found(link: ProductLink | None) -> str:
    """How a record answer's product was found, as bot/calibration.py reads it: "named" in
    full, named in "part" or by meaning, or (no link) the product in "focus"."""
    return "focus" if link is None else ("named" if link.score >= 1.0 else "part")


@dataclass
class FactAnswer:
    reply: str
    product: Product
    attributes: list[str]


class Catalog:
    """Every merchant's products, re-read when the merchant's knowledge version changes."""

    def __init__(self, embedder=None) -> None:
        self.embedder = embedder  # product names by meaning, across languages ("tofu litter" → 豆腐猫砂)
        # Words and fact keys met again and again (a shop's keys, shoppers' words): embedded once.
        self._words = TextVectors(embedder) if embedder is not None else None
        self._name_word_vectors: dict[str, tuple] = {}
        self._cache: dict[str, tuple[int, list[Product]]] = {}
        self._parts: dict[str, tuple[int, NameParts]] = {}
        self._topics: dict[str, set[str]] = {}
        self._name_vectors: dict[str, tuple[int, np.ndarray]] = {}
        self._lock = threading.Lock()

    def products(self, merchant_id: str, version: int | None = None) -> list[Product]:
        """``version``: the knowledge version the caller just read from SQL (a turn reads it
        once for all its stages); without it, it is read here."""
        cached = self._cache.get(merchant_id)
        if version is not None and cached and cached[0] == version:
            return cached[1]
        with session_scope() as session:
            version = repository.kb_version(session, merchant_id)
            cached = self._cache.get(merchant_id)
            if cached and cached[0] == version:
                return cached[1]
            rows = session.execute(
                select(Chunk.id, Chunk.lang, Chunk.data, Document.name)
                .join(Document, Document.id == Chunk.document_id)
                .where(Chunk.merchant_id == merchant_id, Chunk.kind == "product")
                .order_by(Chunk.id)
            )
            by_sku: dict[str, Product] = {}
            for chunk_id, lang, data, document in rows:
                if not data:
                    continue
                sku = str(data.get("sku"))
                product = by_sku.setdefault(sku, Product(sku=sku, data=data, document=document))
                product.chunks.setdefault(lang, chunk_id)
            # The words the shop's FAQ and documents use: a question word among them is a
            # topic of its own (运费, 发票, 西藏), not a word for a product attribute.
            topics: set[str] = set()
            for (tokens,) in session.execute(
                select(Chunk.search_tokens).where(Chunk.merchant_id == merchant_id, Chunk.kind != "product")
            ):
                topics.update((tokens or "").split(" "))
        products = list(by_sku.values())
        # And the words of every product's options: one named of a product that lacks it
        # ("特别高峰日的儿童呢" of the two-day ticket, when only the one-day ticket is sold for
        # 特别高峰日) is another thing.
        topics.update(w for p in products for name in p.variant_names() for w in tokenize(name) if is_cjk(w) and len(w) >= 2)
        with self._lock:
            self._cache[merchant_id] = (version, products)
            self._topics[merchant_id] = topics
        return products

    def topic_words(self, merchant_id: str) -> set[str]:
        """Read with the products (the turn's link has just checked the knowledge version)."""
        if merchant_id not in self._topics:
            self.products(merchant_id)
        return self._topics.get(merchant_id, set())

    def find(self, merchant_id: str, name: str | None, version: int | None = None) -> Product | None:
        """A product by SKU or exact name (the product card the shopper is looking at)."""
        if not name:
            return None
        wanted = name.strip().casefold()
        for product in self.products(merchant_id, version):
            if product.sku.casefold() == wanted or any(n.casefold() == wanted for n in product.names()):
                return product
        link = self.link(merchant_id, name, version=version)
        return link.product if link else None

    def link(self, merchant_id: str, question: str, query_vector: np.ndarray | None = None,
             version: int | None = None) -> ProductLink | None:
        """The product the question names, if one clearly is named: by SKU, title or alias
        in its words, else (an English question about a product named in Chinese) by
        meaning, when one product's name is clearly closer than every other's. Never a
        product whose model number is another than the one asked ("mini 3" is no Mini 4)."""
        if (stripped := without_left_out(question)) != question:
            # "不要头枕的多少钱" names no headrest sold alone: the question without that part is linked.
            question, query_vector = stripped, None
        found = self._link(merchant_id, question, query_vector, version)
        return None if found is not None and _other_model(question, found.product) else found

    def _link(self, merchant_id: str, question: str, query_vector: np.ndarray | None = None,
              version: int | None = None) -> ProductLink | None:
        products = self.products(merchant_id, version)
        scored = sorted(((name_match(question, p), i) for i, p in enumerate(products)), reverse=True)
        parts = self._name_parts(merchant_id, products) if products else None
        by_part = parts.best(question) if parts else None
        if by_part is not None and (_only_colours(held := _pieces(question) & parts.pieces[by_part]) or _only_places(held, question)):
            # "有黑色的吗" names a colour, not the one product sold in black; "新疆呢" after a
            # shipping question names a destination, not the 新疆和田骏枣 grown there.
            by_part = None
        full = [i for score, i in scored if score >= 1.0]
        if full and by_part is not None and by_part not in full and all(
                _within_longer_name(question, products[i], products[by_part]) for i in full):
            # "高山气罐多少钱": the 高山气罐, not the 扁气罐 whose alias is 气罐; "耶加雪菲挂耳": the
            # 耶加雪菲 drip bags, whose name holds both the beans' alias and the mixed pack's 挂耳.
            full = [by_part]
        if len(full) > 1:
            # "大馄饨带汤料包吗": the 大馄饨, whose alias holds the 馄饨 the other is also called by
            # (though that one's title says 带汤料包: what is asked of it, not its name).
            longest = [i for i in full if not any(j != i and _held_within(question, products[i], products[j]) for j in full)]
            full = longest or full
        if (len(full) == 1 and by_part is not None and by_part != full[0] and not is_cjk(question)
                and (_pieces(question) & parts.pieces[full[0]]) < (_pieces(question) & parts.pieces[by_part])):
            # "price of the walnut wrist rest for K75?": the K75 is named in full by its code, but
            # the question names more of the 键客K75 胡桃木实木腕托 (its code and "walnut").
            return ProductLink(products[by_part], PART_SURENESS)
        if len(full) == 1 or (full and by_part in full):
            # Two products named in full ("linen notebook" is an alias of the A5 and the A6):
            # the pieces only one of them has decide (A5), else neither is taken.
            return ProductLink(products[full[0] if len(full) == 1 else by_part], 1.0)
        if full:
            return None
        # A name met only in part links when its pieces point to this product alone: "猫粮"
        # is part of the kitten food's alias 幼猫粮, and of the adult food's name too.
        if scored and scored[0][0] >= LINK_THRESHOLD and by_part == scored[0][1]:
            return ProductLink(products[scored[0][1]], scored[0][0])
        if by_part is not None:
            return ProductLink(products[by_part], PART_SURENESS)
        if query_vector is None or self.embedder is None or not products or is_cjk(question):
            return None
        # Only across languages: an English question, products named in Chinese only.
        sims = self._names_by_meaning(merchant_id, products) @ query_vector
        # A code of a name the question does hold ("longjing 250g": 250g) limits the choice to
        # the products that have it: meaning alone once took a 200g snack for the 250g tea.
        codes = {p for p in _pieces(question) if any(c.isdigit() for c in p)}
        coded = np.array([bool(codes & pieces) for pieces in parts.pieces])
        if not coded.any():
            coded[:] = True  # no code named (or none any product has): every product may be meant
        chinese_only = np.array([not p.data.get("title_en") and is_cjk(p.title("zh")) for p in products])
        sims = np.where(coded & chinese_only, sims, -1.0)
        order = np.argsort(-sims)
        best = float(sims[order[0]])
        second = float(sims[order[1]]) if len(order) > 1 else 0.0
        if best >= MEANING_LINK and best - second >= MEANING_MARGIN:
            return ProductLink(products[int(order[0])], MEANING_SURENESS)
        # Word by word, every product's Chinese name is one, an English-titled one's too (its
        # English title may not hold the shopper's word: "thermal set" → 德绒保暖内衣套装).
        words = _english_naming_words(question)
        return (self._link_by_words(merchant_id, words, products, coded)
                or _link_by_dictionary(question, words, products, coded))

    def _name_words(self, merchant_id: str, products: list[Product]) -> tuple[np.ndarray, np.ndarray]:
        """The Chinese words of every product's names (≥ 2 characters) and their vectors:
        (owner index per word, vectors), made once per knowledge version."""
        version = self._cache[merchant_id][0]
        cached = self._name_word_vectors.get(merchant_id)
        if cached is None or cached[0] != version:
            owners, words = [], []
            for i, product in enumerate(products):
                for word in _chinese_name_words(product):
                    owners.append(i)
                    words.append(word)
            vectors = self._words.of(words) if words else np.zeros((0, 1), dtype=np.float32)
            cached = (version, np.asarray(owners, dtype=np.int64), vectors)
            self._name_word_vectors[merchant_id] = cached
        return cached[1], cached[2]

    def _link_by_words(self, merchant_id: str, words: list[str], products: list[Product], eligible: np.ndarray) -> ProductLink | None:
        """Word by word, when the whole question's meaning is no clear pick: each English
        word of the question (``_english_naming_words``) against the Chinese words of each
        product's names; a product whose names hold the two closest words clearly best is the
        one meant ("the classical guitar" → 古典吉他, the asking words around it left out)."""
        if self._words is None or not words:
            return None
        owners, vectors = self._name_words(merchant_id, products)
        scores = np.full(len(products), -1.0)
        if len(owners):
            sims = self._words.of(words) @ vectors.T  # question words × every name word of the shop
            for i in np.unique(owners):
                if eligible[i]:
                    closest = np.sort(sims[:, owners == i].max(axis=1))[-2:]
                    scores[i] = float(closest.mean())
        order = np.argsort(-scores)
        best, second = float(scores[order[0]]), float(scores[order[1]]) if len(order) > 1 else -1.0
        if best >= WORD_LINK and best - second >= MEANING_MARGIN:
            return ProductLink(products[int(order[0])], MEANING_SURENESS)
        return None

    def namesakes(self, merchant_id: str, question: str, version: int | None = None) -> list[Product]:
        """The two or three products a question names equally ("鱼油多少钱" in a shop with a
        深海鱼油 and a 高纯鱼油): none of them is the one meant more than the others."""
        products = self.products(merchant_id, version)
        same = [products[i] for i in self._name_parts(merchant_id, products).namesakes(question)] if products else []
        words = _naming_words(question)
        # "2m red唱针怎么卖": the 2M Red stylus, not the cartridge whose name says it comes 含唱针.
        same = [p for p in same if not _named_only_as_included(p, words)] or same
        if not _ACCESSORY.search(question):
            # "悍将台钓竿多少钱": the rod, not the 悍将台钓竿专用 替换竿稍 made for it.
            main = [p for p in same if not p.is_accessory]
            same = main if main else same
        return same

    def of_kind_asked(self, merchant_id: str, follow_up: str, earlier: str, version: int | None = None) -> Product | None:
        """The one product whose names hold both the thing a follow-up names and the thing the
        question before it asked about: "那尤克里里的呢" after "变调夹多少钱" is the 尤克里里变调夹,
        "障碍鞍那款的呢" after "鞍垫多少钱" the 障碍鞍专用鞍垫 (a colour named is an option)."""
        now, before = _naming_words(follow_up), _naming_words(earlier)
        if not now or not before or set(now) & set(before) or any(w.rstrip("色") in COLOUR_WORDS for w in now):
            return None
        both = [p for p in self.products(merchant_id, version) if _names_all(p, now + before)]
        return both[0] if len(both) == 1 else None

    def part_sold_alone(self, merchant_id: str, question: str, version: int | None = None) -> Product | None:
        """"e1 pro的头枕单买多少钱": a part asked to be bought on its own is the accessory sold
        as that part (E1 Pro 专用加装头枕), when one accessory's name holds a word the
        question names it by; None when none does (the product's own facts answer no such
        question: its price is not the part's)."""
        words = _naming_words(question)
        parts = [p for p in self.products(merchant_id, version) if p.is_accessory and any(w in " ".join(p.names()) for w in words)]
        return parts[0] if len(parts) == 1 else None

    def sold_as_named(self, merchant_id: str, question: str, version: int | None = None) -> Product | None:
        """The one product whose own names hold every word a part asked alone is named by:
        "sx7的备用镜片单买多少钱" → 雪境 SX-7 磁吸备用镜片, not the goggles that come with one."""
        words = _naming_words(question)
        named = [p for p in self.products(merchant_id, version) if words and _names_all(p, words)]
        return named[0] if len(named) == 1 else None

    @staticmethod
    def names_all_asked(product: Product, question: str) -> bool:
        """Every Chinese word the question names a thing by is in the product's names, and not
        only as a thing it comes with ("附送备用镜片" names no spare lens sold)."""
        return _names_all(product, _naming_words(question))

    def sibling(self, merchant_id: str, question: str, product: Product, version: int | None = None) -> Product | None:
        """The product a follow-up names by a model number alone, in place of the one in focus
        ("那600的呢" after "RO400多大尺寸"): of the products whose names hold the number, the one
        whose other name pieces are most like the focus's (the RO600 unit, not the RO600's
        filters), when one alone is."""
        numbers = {n for n in re.findall(r"\d+(?:\.\d+)?", question) if len(n) >= 2}  # the 1 of "1L" is no model number
        products = self.products(merchant_id, version)
        if products and (left_out := left_out_part(question)) and any(_holds_name(n.casefold(), left_out) for n in product.names()):
            return _without_part(products, product, left_out)
        if not numbers and products and (way := _BIGGER.search(question) or _SMALLER.search(question)):
            return self._sized_sibling(products, product, bigger=way.re is _BIGGER)
        # A one-figure number with the Chinese measure a product's name gives it ("那3匹的呢" of 凌风 3匹 柜机).
        measured = {m.group(1) + m.group(2) for m in re.finditer(r"(?<![\d.])(\d)\s*([\u4e00-\u9fff])", question)}
        measured = {m for m in measured if any(_says_measure(name, m) for p in products for name in p.names())}
        if not (numbers or measured) or not products:
            return None

        def holds(names: list[str]) -> bool:  # a number of the names, written alone or in a code (600G, RO600), or a measure
            return (any(_says_number(name, n) for name in names for n in numbers)
                    or any(_says_measure(name, m) for name in names for m in measured))

        parts = self._name_parts(merchant_id, products)
        own = next((i for i, p in enumerate(products) if p.sku == product.sku), None)
        if own is None or holds(product.names() + product.variant_names()):
            return None  # the number is the focus's own, or one of its options' ("99枝的呢"): no other product is named
        likeness = sorted(((len(parts.pieces[i] & parts.pieces[own]), i) for i, p in enumerate(products) if i != own and holds(p.names())),
                          reverse=True)
        if not likeness or likeness[0][0] == 0 or (len(likeness) > 1 and likeness[1][0] == likeness[0][0]):
            return None
        return products[likeness[0][1]]

    @staticmethod
    def _sized_sibling(products: list[Product], product: Product, bigger: bool) -> Product | None:
        """"那个大号的呢" after the 47cm grill: of the products named most like it, each with a
        size in its name, the next one up (or down). The focus's own options answer first: a
        product sold in sizes has its large one among them."""
        if any(re.search(r"\d|大|小|码|号|\b(xs|s|m|l|xl|xxl)\b", v.casefold()) for v in product.variant_names()):
            return None
        def size(p: Product) -> float | None:
            found = re.findall(r"(\d+(?:\.\d+)?)\s*(?:cm|mm|m|寸|英寸|inch|l|升|ml|kg|g|斤|码|号|人)", p.title("zh").casefold())
            return float(found[0]) if len(found) == 1 else None
        own = size(product)
        if own is None:
            return None
        others = [(len(p.own_pieces & product.own_pieces), size(p), p) for p in products if p.sku != product.sku and not p.is_accessory]
        others = [(like, n, p) for like, n, p in others if like and n is not None and (n > own if bigger else n < own)]
        if not others:
            return None
        most = max(like for like, _, _ in others)
        family = [(n, p) for like, n, p in others if like == most]
        nearest = min(family, key=lambda pair: abs(pair[0] - own))
        return nearest[1] if sum(1 for n, _ in family if n == nearest[0]) == 1 else None

    @staticmethod
    def names_sibling(question: str, focus: Product, other: Product) -> bool:
        """"图片版呢" after 机密代号 文字版: a follow-up naming a thing as the one asked about now
        ("X呢") by a piece of another product's own name that the focus's names lack, the two
        sharing a piece of name (one family). ("这个有折叠吗" of the balance board in view asks
        it of that board, though another product's title says 可折叠.)"""
        asked = set().union(*(_pieces(c, pinyin=False) for c in _clauses(question) if asks_as_before(c))) & other.own_pieces
        asked -= focus.name_pieces
        return bool(other.own_pieces & focus.own_pieces) and any(len(p) >= 2 and not p.isdigit() for p in asked)

    def named_instead(self, merchant_id: str, words: list[str], focus: Product, version: int | None = None) -> Product | None:
        """The product a "X呢" follow-up names by words the record in focus never uses
        (``thing_unexplained``): "那个粉呢" after the parmesan block is the parmesan powder, "and
        the pro?" after the Vector shoe the Vector Pro. Of the products of the focus's family
        (sharing a piece of its name) whose names hold every word (an English word also by its
        Chinese name in the dictionary), the one most like the focus, when one alone is."""
        family = [(len(p.own_pieces & focus.own_pieces), p) for p in self.products(merchant_id, version)
                  if p.sku != focus.sku and p.own_pieces & focus.own_pieces]

        def holds(product: Product, word: str) -> bool:  # as written, or by the dictionary: a word close in meaning is no name
            names = " ".join(product.names()).casefold()
            if not word.isascii():
                return word in names
            return word in tokenize(names) or bool(english_words(word) & product.name_head_glosses)

        named = sorted(((like, p) for like, p in family if all(holds(p, w) for w in words)), key=lambda lp: -lp[0])
        if not named or (len(named) > 1 and named[1][0] == named[0][0]):
            return None
        return named[0][1]

    def names_other_product(self, merchant_id: str, product: Product, text: str, version: int | None = None) -> bool:
        """Whether a text (an FAQ row, a policy sentence) plainly names another of the shop's
        products, and nothing of this one: then it is about that product, whatever words it
        shares with the question. Plainly: a whole name, or two pieces of names only that
        product has (a row that merely mentions 罐子 or "card" is not about a product)."""
        products = self.products(merchant_id, version)
        parts = self._name_parts(merchant_id, products)
        own = next((i for i, p in enumerate(products) if p.sku == product.sku), None)
        if own is None or parts.named(own, text) or name_match(text, product, codes=False) >= 1.0:
            return False
        return any(i != own and (parts.named(i, text) >= 2 or name_match(text, other, codes=False) >= 1.0)
                   for i, other in enumerate(products))

    def plainly_named(self, merchant_id: str, text: str, version: int | None = None) -> Product | None:
        """The one product a text (a question and the FAQ answer to it) plainly names, if it
        names exactly one: a whole name, or two pieces of names only that product has."""
        products = self.products(merchant_id, version)
        if not products:
            return None
        parts = self._name_parts(merchant_id, products)
        # Only the products sharing a piece of name with the text (a 10k-product shop's
        # names are not all matched against every answer).
        pieces = {p for p in _pieces(text) if not (len(p) == 1 and p.isdigit())}  # "发货后1-2天" names no "1盒100张"
        named = [products[i] for i in parts.sharing(pieces)
                 if sum(parts.count[p] == 1 for p in pieces & parts.pieces[i]) >= 2
                 or name_match(text, products[i], codes=False) >= 1.0]
        return named[0] if len(named) == 1 else None

    def names_it(self, product: Product) -> Callable[[list[str]], list[bool]]:
        """Which of some English words name this product or one of its facts in Chinese: each
        word's meaning close to a word of its Chinese names ("tea" → 熟茶, "cake" → 茶饼; only
        for a product without an English name) or to a fact key ("protein" → 粗蛋白)."""
        targets = {k for k in (product.data.get("facts") or {}) if is_cjk(k)}
        if not any(n.isascii() for n in product.names()):
            targets |= set(_chinese_name_words(product))
        targets = sorted(targets)
        # A Chinese word may be the shopper's word for a part the record keys ("后摄像头" → 后镜头).
        key_words = sorted({w for k in targets for w in tokenize(k) if is_cjk(w) and len(w) >= 2} | set(targets))

        def named(words: list[str]) -> list[bool]:
            # The dictionary's English for its names and facts ("skirt" of 马面裙, "bust" of 胸围).
            known = {w for w in words if w.isascii() and english_words(w) & product.dictionary_glosses}
            foreign = [w for w in words if w.isascii() and w not in known]
            own = [w for w in words if not w.isascii()]
            close: dict[str, bool] = {}
            if self._words is not None:
                for asked, against in ((foreign, targets), (own, key_words)):
                    if asked and against:
                        vectors = self._words.of(asked + against)
                        sims = (vectors[: len(asked)] @ vectors[len(asked):].T).max(axis=1)
                        close.update(zip(asked, sims >= KEY_MEANING))
            return [w in known or bool(close.get(w, False)) for w in words]

        return named

    def _name_parts(self, merchant_id: str, products: list[Product]) -> NameParts:
        version = self._cache[merchant_id][0]
        cached = self._parts.get(merchant_id)
        if cached is None or cached[0] != version:
            cached = (version, NameParts(products))
            self._parts[merchant_id] = cached
        return cached[1]

    def warm(self, merchant_id: str, version: int | None = None) -> None:
        """Do now what a turn would do once per knowledge version: read the products, cut
        their names into pieces, embed the names, their words and the fact keys."""
        products = self.products(merchant_id, version)
        if not products:
            return
        self._name_parts(merchant_id, products)
        if self.embedder is not None:
            self._names_by_meaning(merchant_id, products)
        if self._words is not None:
            self._name_words(merchant_id, products)
            keys = sorted({str(k) for p in products for k in (p.data.get("facts") or {})})
            for start in range(0, len(keys), 512):
                self._words.of(keys[start : start + 512])

    def key_similarity(self, keys: list[str], question: str) -> np.ndarray:
        """Cosine of each fact key to the question's words (the best word), by meaning."""
        words = content_words(tokenize(question)) or [question]
        vectors = self._words.of(keys + words)
        return (vectors[: len(keys)] @ vectors[len(keys):].T).max(axis=1)

    def _names_by_meaning(self, merchant_id: str, products: list[Product]) -> np.ndarray:
        """One row per product: the mean of its names' vectors (title, English title,
        aliases), normalised; embedded once per knowledge version."""
        version = self._cache[merchant_id][0]
        cached = self._name_vectors.get(merchant_id)
        if cached is None or cached[0] != version:
            names, owners = [], []
            for i, p in enumerate(products):
                for name in p.names():
                    names.append(name)
                    owners.append(i)
            vectors = self.embedder.embed(names)
            rows = np.zeros((len(products), vectors.shape[1]), dtype=np.float32)
            for vector, owner in zip(vectors, owners):
                rows[owner] += vector
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            cached = (version, rows / np.where(norms == 0, 1, norms))
            self._name_vectors[merchant_id] = cached
        return cached[1]


def _english_naming_words(question: str) -> list[str]:
    """The English words a question may name a product by: its content words that are not an
    attribute's cue ("the classical guitar" of "how wide is the neck on the classical guitar?")."""
    cues = " ".join(c for a in analyse(question).attributes for c in ATTRIBUTE_BY_NAME[a].cues)
    return [w for w in content_words(tokenize(question)) if w.isascii() and w not in cues]


def _link_by_dictionary(question: str, naming: list[str], products: list[Product], eligible: np.ndarray) -> ProductLink | None:
    """Last, for an English question about products named in Chinese only: the one product
    whose Chinese names hold, for every English word the question names a thing by
    (``naming``, as the dictionary spells them), a word the dictionary translates it with
    ("is the succulent set in stock" → 多肉植物组合). Every word, or none: "king crab" is not
    the hairy crab because "crab" alone is 螃蟹."""
    words = english_words(question) & set(naming)
    if words <= set(COLOUR_WORDS):
        return None  # a colour alone names an option, not a product: "is the red one in stock?"
    named = []
    for i, product in enumerate(products):
        if not eligible[i]:
            continue
        chinese = " ".join(n for n in product.names() if is_cjk(n))
        if all(w in product.name_pieces or w in product.name_head_glosses or any(h in chinese for h in chinese_for(w)) for w in words):
            named.append(product)
    return ProductLink(named[0], MEANING_SURENESS) if len(named) == 1 else None


def _without_part(products: list[Product], product: Product, part: str) -> Product | None:
    """"那个不带pro的呢" after the B10 Pro: of the products whose names lack the part, the one
    whose names share most with the focus's, when one alone does (the B10)."""
    own = product.own_pieces - _pieces(part, pinyin=False)
    likeness = sorted(((len(p.own_pieces & own), i) for i, p in enumerate(products)
                       if p.sku != product.sku and not p.is_accessory and not any(_holds_name(n.casefold(), part) for n in p.names())),
                      reverse=True)
    if not likeness or likeness[0][0] == 0 or (len(likeness) > 1 and likeness[1][0] == likeness[0][0]):
        return None
    return products[likeness[0][1]]


class NameParts:
    """Every product's names cut into pieces (Chinese character pairs, English words, model
    and variant codes like 4kg or A5), each weighted by how few of the shop's products
    share it. A question that holds pieces only one product has names that product, though
    it names only part of it ("落地灯几瓦" → 护眼LED落地灯 客厅卧室阅读灯), misspells the rest
    ("升降卓" → 升降桌) or names one of its variants ("四人位" → the sofa sold as 三人位/四人位)."""

    def __init__(self, products: list[Product]) -> None:
        self.pieces = [p.name_pieces for p in products]
        self.own = [p.own_pieces for p in products]
        # A dictionary's gloss of a Chinese name is weaker evidence than a name the merchant
        # wrote: "daily nuts" is the Daily Nuts, not the 儿童每日坚果 glossed "daily … nut".
        self.glossed = [p.gloss_only for p in products]
        self.count: dict[str, int] = {}  # how many products' names have each piece
        for pieces in self.pieces:
            for piece in pieces:
                self.count[piece] = self.count.get(piece, 0) + 1
        n = len(products)
        self.weight = {piece: math.log((n + 1) / count) for piece, count in self.count.items()}
        self.any_glossed = set().union(*self.glossed) if self.glossed else set()
        self.written: dict[str, int] = {}  # how many products' names have each piece as written, not as a gloss
        for pieces, glossed in zip(self.pieces, self.glossed):
            for piece in pieces - glossed:
                self.written[piece] = self.written.get(piece, 0) + 1
        self.unique = math.log((n + 1) / 1) if n else 0.0
        self._owners: dict[str, list[int]] | None = None  # piece → the products whose names have it

    def sharing(self, pieces: set[str]) -> list[int]:
        """The products whose names share one of these pieces (a text's: ``_pieces``)."""
        if self._owners is None:
            owners: dict[str, list[int]] = {}
            for i, pieces in enumerate(self.pieces):
                for piece in pieces:
                    owners.setdefault(piece, []).append(i)
            self._owners = owners
        return sorted({i for piece in pieces for i in self._owners.get(piece, ())})

    def named(self, i: int, text: str) -> int:
        """How many pieces of product ``i``'s names that no other product has the text holds.
        A bare number is none: the 6 of "6-12岁" in a name is not the 6 of "5-6小时" in a row."""
        return sum(self.count[p] == 1 and not p.isdigit() for p in _pieces(text) & self.pieces[i])

    def namesakes(self, question: str) -> list[int]:
        """Two or three products whose own names (as written) hold every name piece the
        question has (a Chinese pair or a code among them) and nothing tells apart."""
        if len(_clauses(question)) > 1:
            return []  # "记录仪能帮忙装吗 装一下多少钱": more is asked than each one's fact
        asked = _pieces(question)
        held = [asked & own for own in self.own]  # its own names as written: an option shared is no name
        named = set().union(*held) if held else set()
        if not any(not p.isascii() or any(c.isdigit() for c in p) for p in named):
            return []
        same = [i for i, h in enumerate(held) if h == named]
        return same if 2 <= len(same) <= 3 else []

    def best(self, question: str) -> int | None:
        """The product the question's name pieces point to, when they point to one alone."""
        asked = _pieces(question)

        def score(j: int, uncontested: set[str] = frozenset()) -> float:
            """Product j's weight of the question's pieces, a gloss at GLOSS_WEIGHT; none for
            its glosses of ``uncontested`` pieces (another product has them as written)."""
            return sum(self.weight[p] * (GLOSS_WEIGHT if p in self.glossed[j] else 1.0)
                       for p in asked & self.pieces[j] if not (p in self.glossed[j] and p in uncontested))

        scores = [score(j) for j in range(len(self.pieces))]
        # A model number the question gives ("iphone15", "65w") that some products have rules
        # out the others, whatever else they share with it ("15的壳防摔吗" is not the 16's 防摔壳).
        # The number of a measure the question gives ("strap in 20mm": 20) is no model number either.
        measured = {m.group(0) for p in asked if _MEASURE.fullmatch(p) and (m := re.match(r"\d+(?:\.\d+)?", p))}
        codes = {p for p in asked if len(p) >= 2 and any(c.isdigit() for c in p) and not _MEASURE.fullmatch(p)
                 and p not in measured and any(p in pieces for pieces in self.pieces)}
        if codes:
            scores = [score if codes & pieces else 0.0 for score, pieces in zip(scores, self.pieces)]
        order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
        best = order[0]
        second = scores[order[1]] if len(order) > 1 else 0.0
        held = asked & self.pieces[best]
        # A piece only this product's names have; a piece written in its name also when other
        # products have it only as a gloss ("daily" of Daily Nuts beside 儿童每日坚果).
        distinctive = [p for p in held if self.count[p] == 1 or (p not in self.glossed[best] and self.written.get(p) == 1)]
        # One piece no other product has and a lead, or a lead as large as such a piece's
        # weight: two products that share the question's pieces equally ("猫粮多少钱" with a kitten and an adult food) are not told apart.
        # One everyday English word ("cat", "pen") is too little to name a product by; a code
        # or a brand written in its name ("PWM", "Oakley") is not everyday English.
        enough = len(held) >= 2 or any(not p.isalpha() or not p.isascii() or (p not in self.glossed[best] and not everyday_english(p))
                                       for p in held)
        written = held - self.glossed[best]
        if written & self.any_glossed:
            # Another product's gloss does not contest a piece this one has as written.
            second = max((score(j, written) for j in range(len(self.pieces)) if j != best), default=0.0)
        lead = scores[best] - second
        # Another product that holds every piece this one does and more of the question's
        # ("men's cotton pajamas": the men's set glossed cotton, pajama and man, beside the
        # women's set whose English title has only cotton and pajama) is the one named, when
        # only one does.
        wider = [j for j in range(len(self.pieces)) if j != best and held < (asked & self.pieces[j])]
        if wider:
            return wider[0] if len(wider) == 1 and enough else None
        # Pieces shared with other products can still name one together ("太空舱" + "猫爬架").
        if enough and ((distinctive and lead >= 0.5 * self.unique) or lead >= self.unique):
            return best
        # Two pieces each shared with another product, together only this one's: "longjing
        # 250g" with a 100g Longjing and a 250g pecan pack in the shop.
        if enough and len(held) >= 2 and held == asked & set().union(*self.pieces) and not any(
                held <= other for j, other in enumerate(self.pieces) if j != best):
            return best
        return None


_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LETTER_WORD = re.compile(r"(?<![a-z0-9])[a-z][\u4e00-\u9fff]")
# A weight or length ("3kg", "120cm") may be the shopper's own, not a model number.
_MEASURE = re.compile(r"\d+(\.\d+)?(kg|g|cm|mm|m|ml|l|斤|公斤|厘米)")
_NAME_STOP = {"set", "pack", "new"}
_WORD_AND_LETTER = re.compile(r"\b([a-z]{3,})[\s-]([a-z0-9])\b(?![-'’][a-z0-9])")
# British and American spellings of the same product word name the same product ("tire inflator" → Tyre Inflator).
_SPELLING = {"tyre": "tire", "colour": "color", "grey": "gray", "jewellery": "jewelry", "aluminium": "aluminum", "centre": "center"}
PINYIN = "pinyin:"  # marks a piece as a name's pinyin, never an everyday English word


_UNITS = {"米": "m", "m": "m", "厘米": "cm", "cm": "cm", "毫米": "mm", "mm": "mm", "英寸": "inch", "寸": "inch", "inch": "inch",
          "inches": "inch", "升": "l", "l": "l", "毫升": "ml", "ml": "ml", "克": "g", "g": "g", "公斤": "kg", "千克": "kg", "kg": "kg"}
_MEASURE_IN_NAME = re.compile(r"(?<![\d.a-z])(\d+(?:\.\d+)?)\s*(" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")(?![a-z])")


_COUNTERS = "期磅个件只支袋包盒瓶张套节条根年月天日号次元块折斤克升米寸匹码岁人度瓦档层"
_NUMBER_COUNTED = re.compile(rf"(?<![\d.a-z])(\d+(?:\.\d+)?)\s*([{_COUNTERS}])")


@lru_cache(maxsize=4096)
def _pieces(text: str, pinyin: bool = True) -> frozenset[str]:
    """``pinyin``: a question's words, also read as a name's pinyin and split into a model's
    words and numbers (not a name's). Kept for the texts seen last: a candidate answer is
    checked against every product's names, each asking for its pieces."""
    text = text.casefold()
    pieces = {run[i : i + 2] for run in _HAN_RUN.findall(text) for i in range(len(run) - 1)}
    pieces |= set(_LETTER_WORD.findall(text))  # T恤, U盘, A字裙: a letter that is part of the word
    # English words as the search index has them (no function words, plural folded), and codes like 4kg, a5.
    tokens = tokenize(text)
    if pinyin:  # a question's words: "iphone15", "16promax" run a model's words and numbers together
        tokens += [run for t in tokens if t.isascii() and t.isalnum() and not t.isalpha() and not t.isdigit()
                   and min(map(len, re.findall(r"[a-z]+|\d+", t))) >= 2 for run in re.findall(r"[a-z]+|\d+", t)]
    words = {_SPELLING.get(t, t) for t in tokens if t.isascii() and (len(t) >= 3 or any(c.isdigit() for c in t))
             and t not in _NAME_STOP and t not in ASK_WORDS}
    # A word and the one letter or digit that makes it a name ("Vitamin C", "Type-C", "Plan B"):
    # the letter alone is too short to be a piece, the two together tell products apart.
    words |= {f"{w} {c}" for w, c in _WORD_AND_LETTER.findall(text) if w not in ASK_WORDS and w not in _NAME_STOP}
    # A measure in either script, one spelling: "3米" and "3m", "120英寸" and "120 inch".
    words |= {f"{n}{_UNITS[u]}" for n, u in _MEASURE_IN_NAME.findall(text)}
    # A number a question only ever writes with a count or a measure is that, not the number
    # alone: "24期" (instalments) does not name the limbs of "(24磅)"; a name's number stays
    # a piece too ("size 10" names the "10号" batteries).
    counted = _NUMBER_COUNTED.findall(text)
    if pinyin:
        words -= {n for n, _ in counted if not re.search(rf"(?<![\d.]){re.escape(n)}(?![\d.]|\s*[{_COUNTERS}])", text)}
    words |= {n + c for n, c in counted}
    # A word may be a Chinese name's pinyin ("longjing", "pu'er"): it can meet a name's pinyin
    # piece; an English word may meet a Chinese name's gloss in the dictionary's spelling.
    if pinyin:
        words |= {w for w in english_words(text) if w not in _NAME_STOP and w not in ASK_WORDS}
        words |= {PINYIN + t.replace("'", "").replace("’", "") for t in words if t.replace("'", "").isalpha()}
    return frozenset(pieces | words)


def _name_pieces(product: Product) -> set[str]:
    pieces = product.written_pieces | product.gloss_pieces
    # Every pair of Chinese characters in a name also by its pinyin: shoppers abroad and
    # shoppers without a Chinese keyboard type 龙井 as "longjing" and 普洱 as "pu'er".
    return pieces | {PINYIN + "".join(lazy_pinyin(p)) for p in pieces if _HAN_RUN.fullmatch(p)}


def _residual_words(question: Question, product: Product | None = None) -> list[str]:
    """The question's content words that are neither attribute words nor the product's own
    names, variants, fact keys or values: what else the question is about."""
    covered = " ".join(cue for a in question.attributes for cue in ATTRIBUTE_BY_NAME[a].cues).casefold()
    if "capacity" in question.attributes:
        covered += " " + " ".join(m.group(0) for m in HOW_BIG_A_PACK.finditer(question.text.casefold()))  # "多大一袋"
    if product is not None:
        facts = product.data.get("facts") or {}
        # The price or stock of a thing the record only mentions ("停车监控：需另购降压线") is that
        # thing's, not the product's: for those asks the record's values cover no word.
        values = [] if question.attributes and set(question.attributes) <= {"price", "stock"} else list(facts.values())
        covered += " " + " ".join(product.names() + product.variant_names() + list(facts) + values).casefold()
        # The English for a measure the record counts in ("a bottle" of "60片/瓶").
        measured = "".join(re.findall(r"(?:[\d一二两三四五六七八九十]|[/每])\s*([\u4e00-\u9fff])", " ".join(map(str, values))))
        covered += " " + " ".join(en for en, zh in _MEASURE_WORDS.items() if set(zh) & set(measured))
    # The unit a figure is asked in ("续航多少公里", "功率多少瓦") is the ask's form, whatever unit the record writes (90km).
    covered += " " + " ".join(w for pair in _ASKED_UNIT.findall(question.text) for w in pair if w).casefold()
    covered += " " + " ".join(w + "色" if not w.isascii() else w for w in COLOUR_WORDS) + " 颜色 款 个 件 还有 有货 买 想买个 想要 要买 下单 come order buy purchase size"
    # A function in general ("zero gravity mode", "有零重力功能吗"): the thing named beside it is asked.
    covered += " 功能 模式 mode function feature setting"
    own = product.name_pieces if product is not None else set()
    return [w for w in content_words(tokenize(without_left_out(question.text)))
            if w.casefold() not in _THE_PRODUCT and not _said_in(w.casefold(), covered) and not QUANTITY.fullmatch(w) and not (is_cjk(w) and _covered_in_part(w.casefold(), covered))
            and not (_pieces(w) & own)]  # "longjing": the name's own pinyin


_ASKED_UNIT = re.compile(r"(?:多少|几个|几)\s*(公里|千米|米|厘米|毫米|公分|公斤|千克|斤|克|毫升|升|小时|分钟|秒|瓦|千瓦|伏|安|度|平米|平方|平|寸|英寸|码)|"
                         r"\bhow many (grams?|kilos?|kg|ml|lit(?:er|re)s?|hours?|minutes?|watts?|volts?|km|kilomet(?:er|re)s?|met(?:er|re)s?|"
                         r"cm|mm|inch(?:es)?|pounds?|lbs?|ounces?|oz)\b", re.IGNORECASE)


# English words for the product itself ("the 1HP wall unit", "this item"), as its tokens
# (stemmed: units → unit).
_THE_PRODUCT = frozenset(tokenize("unit units item items product products thing things"))


def _said_in(word: str, covered: str) -> bool:
    """A Chinese word anywhere in the record's words; an English one as a word of its own or
    the start of one (pillow: pillows), not inside another ("range" is no part of "orange")."""
    if not word.isascii():
        return word in covered
    return any(m.start() == 0 or not (covered[m.start() - 1].isascii() and covered[m.start() - 1].isalpha())
               for m in re.finditer(re.escape(word), covered))  # (after a figure or a Chinese word: 90gsm, 含cpa)


def _covered_in_part(word: str, covered: str) -> bool:
    """Two characters of the word met in the record's words; for a compound of three or more,
    its head (last character) among them: 收纳袋 is a bag, not the 收纳尺寸 it shares 收纳 with."""
    run = longest_shared_run(word, covered)
    return len(run) >= 2 and (len(word) < 3 or word.endswith(run) or word[-1] in run)


def names_option_whole(question: str, product: Product) -> bool:
    """The question holds one of the product's option names whole ("双滚刷版呢" of the F5 sold as
    标准版 and 双滚刷版): it asks about that option, whatever else holds part of its words (the
    replacement 滚刷 sold alone)."""
    text = question.casefold()
    return any(len(n) >= 2 and not n.isascii() and n.casefold() in text for n in (v.strip() for v in product.variant_names()))


def named_by_option_only(question: str, product: Product) -> bool:
    """The question names the product only by one of its options ("有黑玛瑙的吗": the
    necklace sold in 黑玛瑙), none of its own names."""
    asked = _pieces(question)
    return not asked & (product.own_pieces | product.gloss_pieces) and bool(asked & product.name_pieces)


def names_a_key(question: Question, product: Product, matcher: KeyMatcher | None = None) -> bool:
    """The question names one of the product's own fact keys as written (with ``matcher``,
    an English question also by meaning: "is it waterproof?" → 防水性能)."""
    least = FOCUS_KEY_MEANING if _ASKS_INCLUDED.search(question.text) else KEY_MEANING
    return bool(literal_facts(product, question.text, matcher, least=least))


def about_focus(question: Question, product: Product | None = None, topics: set[str] | None = None,
                names_it: Callable[[list[str]], list[bool]] | None = None, matcher: KeyMatcher | None = None) -> bool:
    """A follow-up that names nothing but an attribute ("还有库存吗", "重量呢", "蓝色的呢") or
    the product's own words ("杆子多长"), no topic of the shop's FAQ."""
    # A key of the product's own record, named as written ("显色指数多少"), asks about it too.
    asks = bool(question.attributes) or (product is not None and (
        names_a_key(question, product, matcher) or bool(_value_facts(product, question, matcher))
        or (question.ask == "yes_no" and _variant_for(product, question.text) is not None)  # "白盘的有吗"
        or (_sizes_named(question.text) and bool(_list_field(product.data, "sizes", "zh")))))  # "有XL吗" of a jacket sold in S-XL
    return asks and not (question_has_other_topic(question, product, topics, names_it) if product else _residual_words(question))


def question_has_other_topic(question: Question, product: Product, topics: set[str] | None = None,
                             names_it: Callable[[list[str]], list[bool]] | None = None, matcher: KeyMatcher | None = None) -> bool:
    """"这款运费多少钱" names the product but asks about shipping, not the product's price.
    ``topics``: the words of the shop's FAQ and documents; a leftover word they never use
    ("逗猫棒杆子多长": 杆子) is the shopper's word for a part of the product, not a topic; so is one
    beside a key an English question names by meaning (``matcher``: "top speed" of 最高车速)."""
    residual = _residual_words(question, product)
    if topics is not None and (question.attributes or _value_facts(product, question)
                               or (matcher is not None and not is_cjk(question.text) and literal_facts(product, question.text, matcher))):
        # Only with an everyday attribute word asked, or a value of the record named ("凯美瑞…能用吗"):
        # a fact key met in part ("可可含量" → 净含量) with a leftover word is another fact,
        # whatever the FAQ says.
        residual = [w for w in residual if w in topics]
    if residual:
        # "夹板会自动断电不 我老忘关": a clause beside the one naming a key of the record is the
        # shopper's story; the words asked with the key stay ("刻字能刻图案吗" asks 图案).
        clauses = _clauses(question.text)
        keyed = [c.casefold() for c in clauses if literal_facts(product, c)]
        if keyed and len(keyed) < len(clauses):
            residual = [w for w in residual if any(w.casefold() in c for c in keyed)]
    if residual and names_it is not None:
        # "pu'er tea cake" of 普洱熟茶饼: the product's name in the shopper's language.
        residual = [w for w, named in zip(residual, names_it(residual)) if not named]
    return bool(residual)


# A size asked of a follow-up's thing ("那个大的呢", "and the small one?") is an option's, or
# the next size's (Catalog.sibling), not a word naming another product.
_SIZE_WORDS = frozenset("大 小 大号 小号 中号 大的 小的 big bigger small smaller large larger mini medium".split())


def thing_unexplained(thing: str, product: Product, names_it: Callable[[list[str]], list[bool]] | None = None) -> list[str]:
    """The words naming a "X呢" follow-up's thing (``question.thing_named``) that the record
    of the product in focus never uses: not its names, options, fact keys or values, nor an
    attribute or colour word. "粉" after the parmesan block, "liquid" after the block chalk,
    "袋装" after the 礼盒装; none for "蓝色的呢", "重量呢" or "毛领款的呢" of a jacket sold in
    毛领款. (A thing named by one character is one word: 粉.)"""
    # (A Chinese word close in meaning to the record's is no word of it here: 袋装 after 礼盒装
    # names the other packing; an English word may be its Chinese's, as names_it reads it.)
    words = [w for w in _residual_words(analyse(thing), product) if w.casefold() not in _SIZE_WORDS]
    english = [w for w in words if w.isascii()]
    if english:
        # (or its options' in the dictionary: "family" of 1000ml家庭装, "four" of 四方连)
        options = head_glosses(product.variant_names())
        named = dict(zip(english, names_it(english) if names_it is not None else [False] * len(english)))
        words = [w for w in words if not named.get(w, False) and not english_words(w) & options]
    bare = re.sub(r"[的个款那这只种一]", "", thing)
    if not words and len(bare) == 1 and is_cjk(bare) and not content_words(tokenize(thing)):
        facts = product.data.get("facts") or {}
        said = " ".join(product.names() + product.variant_names() + list(facts) + [str(v) for v in facts.values()])
        # (粉 is pink too: a colour only of a product sold in colours)
        coloured = bool(_list_field(product.data, "colors", "zh")) or any(c in v for v in product.variant_names() for c in COLOUR_WORDS)
        words = [] if bare in said or bare in _SIZE_WORDS or (coloured and bare in COLOUR_WORDS) else [bare]
    return words


def unexplained_words(question: Question, product: Product, names_it: Callable[[list[str]], list[bool]] | None = None) -> list[str]:
    """The question's words the product's record does not explain: neither attribute words,
    nor its names (in Chinese, or in English by ``names_it``), options, fact keys or values.
    The more there are, the likelier the record answers another question than the one asked
    ("royal jelly freeze dried powder" of the fresh royal jelly: "dried", "powder")."""
    residual = _residual_words(question, product)
    if residual and names_it is not None:
        residual = [w for w, named in zip(residual, names_it(residual)) if not named]
    return residual


# Clauses: a space parts two only between Chinese words (English words are spaced anyway).
_CLAUSE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])|\s*(?:[,，。!！?？;；~～]|\.(?!\d))\s*")


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c.strip()]


def name_match(question: str, product: Product, codes: bool = True) -> float:
    """How surely the question names the product: 1.0 for its SKU or a full name; else the
    share of its name found in the question (characters for Chinese, words for English).
    ``codes``: a Chinese name's model code must be there too ("P1投影仪" is not named by
    投影仪); a text that names the thing by its kind (an FAQ row on 智能手表) is told apart
    without it."""
    q = question.casefold()
    if re.search(rf"(?<![a-z0-9]){re.escape(product.sku.casefold())}(?![a-z0-9])", q):
        return 1.0
    best = 0.0
    for name in product.names():
        n = name.casefold().strip()
        if len(n) >= 2 and n in q and not (n.isascii() and not re.search(rf"(?<![a-z0-9]){re.escape(n)}(?![a-z0-9])", q)):
            return 1.0  # (a code only as a whole: "1500" is not named by "eb1500", nor "x8" by "x8pro")
        if is_cjk(n):
            core = re.sub(r"[\s\d０-９a-z（）()【】\[\]/+.-]+", "", n)  # "每日坚果750g" → "每日坚果"
            if len(core) < 2:
                continue
            if core in q:
                # "每日坚果750g" is named by 每日坚果: a measure only tells a pack. Not "4K投影仪"
                # by 投影仪, nor "P1投影仪" by it: the code is what names this one.
                coded = re.findall(r"[a-z0-9]+", _MEASURE.sub("", n))
                if not codes or all(re.search(rf"(?<![a-z0-9]){c}(?![a-z0-9])", q) for c in coded):
                    return 1.0  # ("RO600 2号滤芯" by "RO600的2号滤芯": its codes are all there)
                best = max(best, CODED_NAME_MATCH)
                continue
            # The longest run of the name found in the question, against the name's length:
            # "坚果礼盒" names "每日坚果礼盒" well, one shared character "盒" does not.
            run = len(longest_shared_run(core, q))
            share = sum(ch in q for ch in core) / len(core)  # 云雾冲锋衣 names 云雾三合一冲锋衣
            if run >= 2:
                best = max(best, min(1.0, share + 0.15 * (run >= 3)))
        else:
            # A model code is a word of the name however short ("A5 notebook" is not just "notebook").
            words = [w for w in re.split(r"[\s'’\-,&]+", n) if len(w) > 2 or any(c.isdigit() for c in w)]
            if words:
                # (a code whole: "T1" is not named by "t1s")
                hits = sum(re.search(rf"\b{re.escape(w)}" + (r"(?![a-z0-9])" if any(c.isdigit() for c in w) else ""), q) is not None for w in words)
                # "the adult cat food" names "Chicken & Salmon Grain-Free Adult Cat Food".
                share = hits / len(words)
                best = max(best, min(1.0, share + 0.25) if hits >= min(2, len(words)) else 0.0)
    return best


# --- answering one attribute ----------------------------------------------------------------


# One dimension asked by name ("多厚", "how tall"): the key holding that one, not the first
# size the record lists. (zh key character, English key word, how a question asks for it)
_DIMENSIONS = (
    ("厚", "thick", re.compile(r"多厚|厚度|厚不厚|thick", re.IGNORECASE)),
    ("高", "height", re.compile(r"多高|高度|height|how tall|how high", re.IGNORECASE)),
    ("宽", "width", re.compile(r"多宽|宽度|width|how wide", re.IGNORECASE)),
    ("长", "length", re.compile(r"多长|长度|length|how long is", re.IGNORECASE)),
    ("深", "depth", re.compile(r"多深|深度|depth|how deep", re.IGNORECASE)),
    ("粗", "gauge", re.compile(r"多粗|粗细|粗不粗", re.IGNORECASE)),
)


def _holds(key: str, word: str) -> bool:
    # One-character words only end a key (杆长, 座高, 厚度 hold a dimension; 长度单位 does not);
    # an English word starts one of the key's words ("age" is no part of "pages").
    if word.isascii():
        return re.search(rf"(?<![a-z]){re.escape(word)}", key) is not None
    if len(word) > 1:
        return word in key
    # (时长 is a span of time, not a length: 游戏时长 answers no "多大尺寸".)
    return (key.endswith(word) and not key.endswith("时" + word)) or key.endswith(word + "度")


# A key that says what the product fits (适用尺寸 "20-32寸", 适用车型), not its own measure.
_FITS_KEY = re.compile(r"^(适用|适合|适配|兼容)|^(fits?|suitable|compatible)\b", re.IGNORECASE)


# 提手高度, 肩带长度: a part's length or height (not 整机高度, 产品长度: the whole's).
_PART_MEASURE = re.compile(r"^(?!整|总|产品|商品|外形|外观|机身|主体|成品)[\u4e00-\u9fff]{2,}(?:[长宽高厚深]度?)$")


def _fact_for(product: Product, attribute: str, question: str = "") -> tuple[str, str] | None:
    """(key, value) of the merchant's fact holding ``attribute``, if the record has one."""
    facts = product.data.get("facts") or {}
    words = ATTRIBUTE_BY_NAME[attribute].keys
    if attribute == "dimensions":
        facts = {k: v for k, v in facts.items() if not _FITS_KEY.search(k.strip())}
    if attribute == "dimensions" and question:
        asked = [(zh, en) for zh, en, cue in _DIMENSIONS if cue.search(question)]
        if asked:
            found = _named_first([(k, v) for k, v in facts.items()
                                  if any(_holds(k.casefold(), zh) or en in k.casefold() for zh, en in asked)], question, product)
            if found:
                return found
            if part := _part_measured(facts, question, product):
                return part
            # The dimension named inside one value: "链条：可拆卸，长度120cm", "备注：单条长度2m".
            inside = [(k, v) for k, v in facts.items() if any(f"{zh}度" in str(v) or en in str(v).casefold() for zh, en in asked)]
            if len(inside) == 1:
                return inside[0]
            # Another single dimension (高度 when 多厚 is asked) is not the answer; an overall size is.
            single = {w for zh, en, _ in _DIMENSIONS for w in (zh, en)}
            words = tuple(w for w in words if w not in single)
        else:
            # An overall size asked ("dimensions of the large one?", "多大"): a part's own
            # measure (提手高度, the handle's height) is none; the product's height may be.
            facts = {k: v for k, v in facts.items() if not _PART_MEASURE.search(k.strip())}
    return _named_first([(k, v) for k, v in facts.items() if any(_holds(k.casefold(), word) for word in words)], question, product)


def _part_measured(facts: dict, question: str, product: Product) -> tuple[str, str] | None:
    """A part's length asked by a character of its key ("毛多长" of 毛高：12mm, "杆子能伸多长" of
    伸缩杆：1.2-2m): the one key holding a character the question names beyond the product's
    names and the asking words, whose value is a length."""
    text = question
    for _, _, cue in _DIMENSIONS:
        text = cue.sub(" ", text)
    names = set("".join(product.names() + product.variant_names()))
    asked = {c for c in text if is_cjk(c) and c not in _NO_TOPIC and c not in _SUFFIXES and c not in names and c not in "长宽高厚深粗"}
    held = [(k, v) for k, v in facts.items() if asked & set(k) and "length" in measurements(str(v))]
    return held[0] if len(held) == 1 else None


def _within(key: str, fact: tuple[str, str] | None) -> bool:
    """The key is the asked attribute's own fact, or part of its key (珍珠 of 珍珠直径)."""
    return fact is not None and key in fact[0]


def _named_first(found: list[tuple[str, str]], question: str, product: Product | None = None) -> tuple[str, str] | None:
    """Of several keys holding the attribute, the one whose own words the question uses:
    "转运珠多大" is 转运珠直径, not the bracelet's 长度; "主石多重" is 主石重量."""
    q = question.casefold()
    for key, value in found:
        k = key.casefold()
        if is_cjk(k) and len(longest_shared_run(k, q)) >= 2:
            return key, value
        if not is_cjk(k) and any(len(w) > 3 and w in q for w in re.split(r"[\s_/-]+", k)):
            return key, value
    for key, value in found:
        # A two-character key asked around its measure word: "跟多高" is 跟高, not 靴筒高度.
        k = key.casefold()
        if len(k) == 2 and is_cjk(k) and re.search(f"{re.escape(k[0])}.{{1,2}}{re.escape(k[1])}", q):
            return key, value
    if len(found) > 1 and (ask := analyse(question).ask) in ("duration", "date", "day", "time"):
        # "how long does the battery last": of 电池 (内置锂电池) and 续航 (约24小时), the one whose
        # value is the kind of fact asked.
        fitting = [(key, value) for key, value in found if answer_fits(ask, str(value))]
        if len(fitting) == 1:
            return fitting[0]
    if len(found) > 1 and not is_cjk(q):
        # Asked in English of Chinese keys: the one key whose characters' dictionary senses the
        # question uses, beyond the product's own name ("the heel on the combat boot" → 跟高).
        words = english_words(q) - (english_words(" ".join(product.names())) | product.gloss_pieces if product else set())
        shared = set.intersection(*(set(key) for key, _ in found))  # 高 of every height key says no more than "tall"
        glossed = [(key, value) for key, value in found
                   if words & set().union(*(glosses(c) for c in key if is_cjk(c) and c not in shared))]
        if len(glossed) == 1:
            return glossed[0]
    return found[0] if found else None


# A count asked by its measure word ("一斤多少颗", "送几对"): answered by the one value that
# counts in it ("约90-110颗/500g", "硅胶防痛垫2对"). 个 and 件 count anything, so they name no fact.
_COUNTED = re.compile(r"(?:几|多少)\s*(颗|粒|对|根|片|支|节|层|只|条|块|包|袋|瓶|盒|张|本|套|双|卷|档|挡)")


# The same, asked in English of a record written in Chinese ("how many packs are in it?" of
# "750g（25g×30包）"): each English measure word and the Chinese ones it may be written as.
_MEASURE_WORDS = {"pack": "包袋", "bag": "袋包", "piece": "片个块颗粒", "pc": "片个块颗粒", "pair": "对双", "roll": "卷",
                  "sheet": "张页", "bottle": "瓶", "boxe": "盒", "box": "盒", "stick": "支根", "capsule": "粒", "tablet": "片粒",
                  "pill": "粒片", "sachet": "包袋"}
_COUNTED_EN = re.compile(r"\bhow many (packs?|bags?|pieces?|pcs|pairs?|rolls?|sheets?|bottles?|box(?:es)?|sticks?|capsules?|tablets?|"
                         r"pills?|sachets?)\b", re.IGNORECASE)


_TIME_ASKED = set("多久几点天时间长分钟小秒月年周")
_TIME_KEY = re.compile(r"时长|时间|用时|耗时|duration|time", re.IGNORECASE)


def _timed_facts(facts: list[tuple[str, str]], ask: str) -> list[tuple[str, str]]:
    """The facts keyed as a time (服务时长, 开演时间) whose value holds the kind of time asked."""
    return [(k, v) for k, v in facts if _TIME_KEY.search(k) and answer_fits(ask, str(v))]


def _value_facts(product: Product, question: Question, matcher: KeyMatcher | None = None) -> list[tuple[str, str]]:
    """For a yes/no question, the one fact whose value holds a word the question names and
    the product's name does not ("凯美瑞20款能用吗" → 适用车型：丰田凯美瑞 2018-2024款…); for a
    count asked by its measure word, the one fact counting in it."""
    facts = product.data.get("facts") or {}
    counted = _COUNTED.search(question.text)
    english = None if counted else _COUNTED_EN.search(question.text)
    if counted or english:
        unit = re.escape(counted.group(1)) if counted else "[" + _MEASURE_WORDS[english.group(1).lower().rstrip("s")] + "]"
        held = [(k, v) for k, v in facts.items() if re.search(rf"(\d|[一二两三四五六七八九十])\s*{unit}", str(v))]
        if len(held) > 1 and matcher is not None:
            # "一天吃几粒" of 规格 "60粒/瓶" and 每日用量 "每日1粒": the key the question means.
            scores = matcher([k for k, _ in held], question.text)
            order = np.argsort(-scores)
            if scores[order[0]] >= KEY_MEANING and scores[order[0]] - scores[order[1]] >= MEANING_MARGIN:
                held = [held[int(order[0])]]
        return held if len(held) == 1 else []
    if question.ask in ("duration", "time") and is_cjk(question.text) and not question.attributes and not _residual_words(question, product):
        # "要洗多久" of the cat bath, "几点开演" of the play: the one fact whose value is a span of
        # time (服务时长：约90分钟) or a clock time and whose words hold every other character
        # the question asks with ("能粘多久" is not asked by 干燥时间：约10秒).
        names = set("".join(product.names()))
        asked = {c for c in question.text if is_cjk(c) and c not in _NO_TOPIC and c not in names and c not in _TIME_ASKED}
        held = [(k, v) for k, v in facts.items() if answer_fits(question.ask, str(v)) and asked <= set(f"{k}{v}")]
        if len(held) > 1:  # (适用年龄：3个月以上 is a span too; the key says which is the time taken)
            held = _timed_facts(held, question.ask)
        return held if len(held) == 1 else []
    if question.ask != "yes_no":
        return []
    title = " ".join(product.names()).casefold()
    # The clause that asks ("鹤鸣有XL吗 我腰围90": not the shopper's own waist).
    words = [w for w in content_words(tokenize(asking_clause(question.text))) if is_cjk(w) and len(w) >= 2 and w not in title]
    held = [(k, v) for k, v in facts.items() if any(w in str(v).casefold() for w in words)]
    return held if len(held) == 1 else []


# "带气球吗", "里面带杯子吗", "送瓶子不": whether a thing comes with the product. The record
# says so where it writes a word of inclusion beside that thing ("是否含瓶：不含玻璃瓶",
# "配件：胶点100个"), however the thing is called in the product's own name.
_COMES_WITH = re.compile(r"(?:带|送|含|附|配|赠)(?:不(?:带|送|含|附|配|赠))?([a-z0-9]*[\u4e00-\u9fff]+?)(?:吗|不|么|没|呢|嘛|$)", re.IGNORECASE)
# (Not 含量, an amount contained; not 配送, 配料, 适配, 表带: other words that hold the characters.)
_INCLUDED = re.compile(r"(?:不|包|内)?含(?!量)|附(?:赠|送|带)?|赠(?:送|品)?|(?<!配)送|配件|标配|随(?:附|带)|包括|另购|另拍")
_SUFFIXES = set("子儿头")  # 瓶子 is the 瓶 of 玻璃瓶


def included_facts(product: Product, question: Question) -> list[tuple[str, str]]:
    """For "does it come with X", the one fact that says whether X is included: its key or
    its value has a word of inclusion, and X's head character follows it."""
    asked = _COMES_WITH.search(asking_clause(question.text))
    if asked is None or question.ask not in ("yes_no", "amount", "other"):
        return []
    thing = [c for c in asked.group(1).casefold() if c not in _NO_TOPIC and c not in _SUFFIXES and not _INCLUDED.fullmatch(c)]
    if not thing:
        return []
    head = thing[-1]  # a compound ends in the thing it names: 瓶子 → 瓶 (玻璃瓶), 螃蟹 → 蟹 (大闸蟹)
    held, whole = [], []
    for key, value in (product.data.get("facts") or {}).items():
        value, folded = str(value), str(value).casefold()  # ("带不带pei板" of 不含PEI板)
        said = folded if _INCLUDED.search(key) else "".join(folded[m.end():] for m in _INCLUDED.finditer(folded))
        if head in key and _INCLUDED.match(value.strip()):
            said = key  # "软管：不含" keys the thing and says whether it comes with it
        if head in said:
            held.append((key, value))
            if "".join(thing) in said:
                whole.append((key, value))
    if len(held) > 1 and len(whole) == 1:
        return whole  # "包含假发吗": 不含：假发、鞋、道具, not 包含：…发饰 (the head 发 alone is in both)
    return held if len(held) == 1 else []


_ALTERNATIVES = re.compile(r"还是|或者|\bor\b")
# Asking whether the shop has it at all: "有吗", "有没有", "还有吗", "有卖吗", "do you have/sell".
# (Not "也有吗", "那个呢 也有吗": whether it too has what was asked before.)
# "还有票吗" of a ticket, "有位吗": whether the thing named by one character of its name can be had.
_HAS_IT = re.compile(r"有(?:没有)?([\u4e00-\u9fff])(?:吗|么|嘛|没|不|[?？]|$)")
_ASKS_IF_SOLD = re.compile(r"(?<!也)有(?:吗|么|嘛|没|不|卖|的卖)|\b(?:do|does) (?:you|the shop) (?:have|sell|carry)\b", re.IGNORECASE)


def covering_facts(product: Product, question: Question) -> list[tuple[str, str]]:
    """The one fact whose key and value hold every character the question asks with, beyond
    the product's name and the asking words, and every number it gives: "生蚝从哪个仓发" →
    发货仓：青岛仓, "禁步是什么玉" → 材质：岫玉+流苏. A word the record never writes (可可 of
    "可可含量", against 净含量) or a size it does not list ("有24寸的吗") finds none."""
    facts = product.data.get("facts") or {}
    if not facts or not is_cjk(question.text) or _ALTERNATIVES.search(question.text):
        return []  # "是淡干的还是盐干的" asks which of two, not a bag of characters
    text = _without_name(asking_clause(question.text).casefold(), " ".join(product.names()).casefold(), least=2)
    asked = {c for c in text if is_cjk(c) and c not in _NO_TOPIC}
    asked |= {c for w in content_words(tokenize(text)) if is_cjk(w) and len(w) >= 2 for c in w if is_cjk(c)}
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    letters = re.findall(r"[a-z]{2,}", text)  # a size or code named ("有XL码的吗") is held too: 约345g（M码） holds no XL
    names = " ".join(product.names() + product.variant_names()).casefold()
    if not asked:
        return []
    counted = [m.group(1) + m.group(2) for m in _NUMBER_COUNTED.finditer(text)]  # "15天" is not the 15 of 15GB
    held = [(k, v) for k, v, record in ((k, v, f"{k}{v}".casefold()) for k, v in facts.items())
            if asked <= set(record) and all(n in record for n in numbers) and all(_says_measure(record, c) for c in counted)
            and all(re.search(rf"(?<![a-z]){w}(?![a-z])", f"{record} {names}") for w in letters)]
    if len(held) != 1 or not (question.ask in ("yes_no", "other", "how", "which", "where") or answer_fits(question.ask, str(held[0][1]))):
        return []
    return held


def literal_facts(product: Product, question: str, matcher: KeyMatcher | None = None,
                   least: float = KEY_MEANING) -> list[tuple[str, str]]:
    """Facts whose own key the question names: whole ("保质期多久" → 保质期), in part
    ("蛋白质含量" → 粗蛋白), or, across languages, by meaning ("protein" → 粗蛋白)."""
    facts = product.data.get("facts") or {}
    title = " ".join(product.names()).casefold()
    # The product's own name in the question names no fact: "弹簧床垫防螨吗" does not ask 弹簧.
    q = _without_name(question.casefold(), title)
    named = []
    in_part: dict[str, str] = {}  # key -> the run of it the question names, for keys named only in part
    for key, value in facts.items():
        k = key.casefold()
        if (yes_no := _YES_NO_KEY.match(k)) and _asked_whether(yes_no.group(2), question.casefold()):
            # "虾仁去虾线了吗" → 是否去虾线: asked whether, though the title also says 去虾线.
            named.append((key, value))
        elif len(k) >= 2 and k in q:
            named.append((key, value))
        elif is_cjk(k) and (run := longest_shared_run(k, q)) and len(run) >= 2 and (run not in title or _asked_of(run, q) or set(k) <= set(q)):
            # (A word of the name too is asked of when the question asks it: "这个能折叠吗" of
            # the 可折叠 eye massager, "脉冲有几档" of 脉冲档位; or holds the key's every
            # character: "刻度准不准 误差多少" of 刻度误差.)
            named.append((key, value))
            in_part[key] = run
        elif not is_cjk(k) and any(len(w) > 3 and re.search(rf"\b{re.escape(w)}", q) for w in re.split(r"[\s_/-]+", k)):
            named.append((key, value))
    if not named and matcher is not None and facts and not is_cjk(question):
        keys = list(facts)
        scores = matcher(keys, question)
        best = int(np.argmax(scores))
        if scores[best] >= least and (scores[best] >= KEY_SURE or _dictionary_agrees(keys[best], str(facts[keys[best]]), question, product)):
            named.append((keys[best], facts[keys[best]]))
    if not named and _SUITS.search(q) and "适用" not in q:
        # What it suits is asked as 适合 and keyed as 适用X ("适合多大房间" of 适用面积): the
        # record's one such key (of 适用年龄 and 适用身高, which is asked is not said).
        suited = [(key, value) for key, value in facts.items() if key.startswith("适用") and len(key) > 2]
        named = suited if len(suited) == 1 else []
    if len(named) > 1 and in_part:
        # Keys sharing the part named (冷排尺寸, 冷排厚度 of "冷排多厚"): the one named whole
        # ("冷排厚度多少"), else the one of the measure asked (多厚: 厚).
        whole = [key for key, _ in named if key not in in_part]
        shared = [key for key in in_part if any(in_part[key] in other.casefold() and len(other) > len(in_part[key]) for other in whole)]
        dims = [zh for zh, _, cue in _DIMENSIONS if cue.search(question)]
        measured = [key for key in in_part if any(zh in key for zh in dims)]
        # A key named whole inside a longer key the question holds all of, apart ("刻度准不准 误差多少"
        # of 刻度 and 刻度误差): the longer key is asked.
        longer = [key for key in in_part if is_cjk(key) and set(key.casefold()) <= set(q) and any(w in key for w in whole)]
        if longer:
            named = [(k, v) for k, v in named if k in longer or not any(k in lk for lk in longer)]
        elif shared:
            named = [(k, v) for k, v in named if k not in shared]
        elif dims and measured and len(measured) < len(named):
            named = [(k, v) for k, v in named if k not in in_part or k in measured]
    return named


_SUITS = re.compile(r"适合|适不适合|合适")
_ASKED_OF = r"\s*[了的]?\s*(?:吗|么|嘛|不|没|有几|有多|几|多少|多大|多长|多高|多重|多久|怎么|咋|是多少|是啥|是什么)"


def _asked_of(run: str, question: str) -> bool:
    """The question asks of the word: it is followed by a question word or particle."""
    return re.search(re.escape(run) + _ASKED_OF, question) is not None


# A key that is itself a yes/no question ("是否去虾线", "可否机洗", "能否拼接"), and what it asks.
_YES_NO_KEY = re.compile(r"^(是否|有无|能否|可否)(.{2,})$")


def _asked_whether(core: str, question: str) -> bool:
    """The question asks whether the key's thing holds: its words (without a leading 可 / 能,
    which the shopper may say either way: "能水洗吗" of 可否水洗... 是否可水洗) followed by a
    yes/no particle."""
    core = core[1:] if core[0] in "可能" and len(core) > 2 else core
    at = question.find(core)
    return at >= 0 and re.match(r"[了的]?\s*(吗|么|嘛|不|没|否)", question[at + len(core):]) is not None


def _dictionary_agrees(key: str, value: str, question: str, product: Product) -> bool:
    """A Chinese key picked by meaning for an English question is one the dictionary also
    says the question names, beyond the product's own name: word vectors put "language" near
    课时 and "fee" near 服务时间 ("the measuring service"); CC-CEDICT says 课时 is a class
    hour, and of 服务时间 only 时间 says more than the service's own name (上门测量服务). A key
    the name holds whole is read whole ("磁力刹车" names the brake it has). An English key has
    no dictionary entry to ask; a value that writes the word asked ("每袋200亿CFU") needs none."""
    names = " ".join(product.names())
    if not is_cjk(key) or (english_words(question) - english_words(names)) & english_words(value):
        return True
    # Beyond the name: its characters (课时 of a 视频课 is 时, a time), or its whole words
    # (投射比's 投射 is no part of 投影仪, though 投 is) for a question word that is none of
    # the name's own English ("course" of a course).
    asked = english_words(question)
    by_words = [w for w in jieba.lcut(key) if w not in names] or [key]
    return (shares_word(asked, key_glosses("".join(c for c in key if c not in names) or key))
            or shares_word(asked - english_words(names), frozenset().union(*(glosses(w) for w in by_words))))


def without_names(text: str, product: Product) -> str:
    """The text without the product's names: runs of three or more Chinese characters, and
    of two or more English words, that one of its names also has."""
    names = [n.casefold() for n in product.names()]
    text = _without_name(text.casefold(), " ".join(names))
    words = re.sub(r"[?？!！,，.。]+(?=\s|$)", " ", text).split()  # "wall fabric?" holds the name's "wall fabric"
    out, i = [], 0
    while i < len(words):
        j = i + 1
        while j <= len(words) and any(f" {' '.join(words[i:j])} " in f" {n} " for n in names):
            j += 1
        if j - 1 - i >= 2:
            out.append(" ")
            i = j - 1
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


def _without_glosses(text: str, product: Product) -> str:
    """The text without the English words that gloss the product's Chinese names."""
    glossed = product.gloss_pieces | product.name_head_glosses
    return re.sub(r"[a-z]+", lambda m: " " if english_words(m.group(0)) & glossed else m.group(0), text.casefold())


def _without_name(text: str, name: str, least: int = 3) -> str:
    """The text with every run of at least ``least`` Chinese characters it shares with the
    name blanked out."""
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and is_cjk(text[j]) and text[i : j + 1] in name:
            j += 1
        if j - i >= least:
            out.append(" ")
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# What a name says comes with the product ("附送备用镜片", "赠收纳袋", "含电池"): a thing it is sold with, not it.
_INCLUDED_IN_NAME = re.compile(r"(?:附送|附赠|赠送|随附|附带|送|赠|含|附)[^\s,，/+（）()]*")
# A name that says the product is made for another one: an accessory of it.
# The bigger or the smaller one of a family ("那个大号的呢", "小一号的呢", "the bigger one").
_BIGGER = re.compile(r"大号|大一号|大一点|大点的|大的|更大|大尺寸|\b(bigger|larger|big one|large one)\b", re.IGNORECASE)
_SMALLER = re.compile(r"小号|小一号|小一点|小点的|小的|更小|小尺寸|\b(smaller|small one)\b", re.IGNORECASE)
_ACCESSORY = re.compile(r"专用|配件|替换|适用于|配套|\bfor\b|\breplacement\b|\baccessor", re.IGNORECASE)
# A part asked to be bought on its own ("头枕单买多少钱", "遥控器丢了 能单独买吗").
_SEPARATELY = re.compile(r"单买|单独买|单独卖|单卖|单独购买|单独出售|单独拍|单拍|\bseparately\b|\bon (?:its|their) own\b", re.IGNORECASE)


def asks_part_alone(question: str) -> bool:
    return _SEPARATELY.search(question) is not None


def _naming_words(question: str) -> list[str]:
    """The Chinese words (two characters or more) a question names things by, not the
    asking to buy one alone."""
    return [w for w in content_words(tokenize(question)) if is_cjk(w) and len(w) >= 2 and not _SEPARATELY.search(w)]


def _named_only_as_included(product: Product, words: list[str]) -> bool:
    """One of ``words`` is in the product's names only as a thing it comes with (含唱针)."""
    names = " ".join(product.names())
    stripped = _INCLUDED_IN_NAME.sub(" ", names)
    return any(w in names and w not in stripped for w in words)


def _names_all(product: Product, words: list[str]) -> bool:
    """Every one of ``words`` is in the product's names, and not only as a thing it comes with."""
    names = _INCLUDED_IN_NAME.sub(" ", " ".join(product.names()))
    return all(w in names for w in words)


def _within_longer_name(question: str, named: Product, other: Product) -> bool:
    """Every name of ``named`` the question holds lies inside a longer run of the question
    that is part of one of ``other``'s names (the shorter name is only a piece of it), or
    inside one of ``other``'s own names. Asked only when the question's name pieces point
    to ``other``, not to ``named``."""
    q = question.casefold()
    held = [n.casefold() for n in named.names() if n.casefold() in q]
    runs = [longest_shared_run(n.casefold(), q).strip() for n in other.names()]  # (a space beside "t1s" makes no longer name)
    if held and all(any(h in run and len(run) > len(h) for run in runs) for h in held):
        return True
    # Or the other is named after it ("马丁靴替换鞋带" holds 马丁靴): a thing made for it,
    # which the question names by more than that ("马丁靴的替换鞋带"): by whole words of the
    # other's names that the named one's lack (鞋带; 挂耳 of 单品挂耳咖啡). "b10充电要多久" holds
    # only 充电, part of the "X8/B10 原装充电器"'s word 充电器: it asks about the B10 itself.
    own = " ".join(n.casefold() for n in named.names())
    return (bool(held) and all(any(h in n.casefold() and len(n) > len(h) for n in other.names()) for h in held)
            and any(run in q and run not in own for n in other.names() for run in _word_runs(n.casefold())))


def _held_within(question: str, named: Product, other: Product) -> bool:
    """Every name of ``named`` the question holds whole is part of a longer name of ``other``
    it also holds whole (馄饨 of 大馄饨)."""
    q = question.casefold()
    held = [n.casefold() for n in named.names() if _holds_name(q, n.casefold())]
    longer = [n.casefold() for n in other.names() if _holds_name(q, n.casefold())]  # ("p1 pro" is not in "p1 projector")
    return bool(held) and all(any(h in n and len(n) > len(h) for n in longer) for h in held)


def _word_runs(name: str) -> set[str]:
    """Runs of a name's characters (two or more, no space) that begin and end at its jieba
    word boundaries: 充电器 and 原装充电器 of "原装充电器", never 充电."""
    cuts = [0]
    for word in jieba.lcut(name):
        cuts.append(cuts[-1] + len(word))
    return {name[i:j] for a, i in enumerate(cuts) for j in cuts[a + 1:] if j - i >= 2 and " " not in name[i:j]}


# A model named by a word and its number ("mini 3", "air3"): the word, the number (not a count
# or a measure: "for 4 people", "5-6 pcs", "4k").
_NOT_A_COUNT = r"(?![a-z\d.\-~]|\s*[克寸米升斤号件个天年月期片只套瓶盒包度瓦级码人])"
_MODEL = re.compile(r"(?<![a-z])([a-z]{3,})\s*(\d+)" + _NOT_A_COUNT, re.IGNORECASE)
# The same after a Chinese name's last two characters, with a number of two or more digits
# (a version or a year: "会声会影2024"; not "2号", "3匹").
_CHINESE_MODEL = re.compile(r"([\u4e00-\u9fff]{2})\s*(\d{2,})" + _NOT_A_COUNT)
_NOT_MODEL_WORDS = {"for", "with", "and", "the", "per", "than", "over", "under", "about", "size", "pack", "pcs", "set", "sets", "of",
                    "only", "buy", "get", "have", "need", "want", "order", "ordered", "bought", "after", "within", "last", "first"}


def _other_model(question: str, product: Product) -> bool:
    """The question names a model ("mini 3", "会声会影2024") whose word the product's names give
    another number ("Mini 4", "会声会影 2023") and never this one."""
    names = [n.casefold() for n in product.names() + product.variant_names()]
    for pattern in (_MODEL, _CHINESE_MODEL):
        for word, number in pattern.findall(question.casefold()):
            if word in _NOT_MODEL_WORDS:
                continue
            before = r"(?<![a-z])" if word.isascii() else ""
            # (a Chinese word's number in its own names only: an option's "身高185以上" is a measure)
            among = names if word.isascii() else [n.casefold() for n in product.names()]
            given = {m.group(1) for n in among for m in re.finditer(rf"{before}{re.escape(word)}\s*(\d+)(?![\d.\-~])", n)}
            if given and number not in given:
                return True
    return False


def _says_number(text: str, number: str) -> bool:
    """The text has the number whole: 42.5 in "白色42.5", 600 in "RO600"; not 42 in "42.5"."""
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d.])", text) is not None


def _says_measure(text: str, measure: str) -> bool:
    """A one-figure measure ("3匹") written in the text, not the end of a longer number (13匹)."""
    return re.search(rf"(?<![\d.]){re.escape(measure)}", text) is not None


def _letter_sizes(text: str) -> set[str]:
    """The sizes of two or more letters a text writes as words of their own ("xxl", "XL码")."""
    return set(re.findall(r"(?<![a-z0-9])[0-9]?x+[sl](?![a-z0-9])", text))


def _another_size(asked: set[str], variant: dict) -> bool:
    """The option is sold in letter sizes, none of them one asked (``_letter_sizes``)."""
    own = _letter_sizes(str(variant["name"]).casefold())
    return bool(asked and own and not asked & own)


def _says_letter_size(text: str, letter: str) -> bool:
    """A one-letter size said as a size: "size L", "L码", "L号", "粉色L的" (a letter beside
    Chinese), not the l of a word or the m of "5 m"."""
    letter = re.escape(letter)
    alone = rf"(?<![a-z0-9'’.]){letter}(?![a-z0-9'’])"
    return re.search(rf"\bsize\s*{alone}|{alone}\s*(码|号|size)|[\u4e00-\u9fff]{alone}|{alone}[\u4e00-\u9fff]", text) is not None


def _list_field(data: dict, key: str, lang: str) -> list[str]:
    value = (data.get(f"{key}_en") if lang == "en" else None) or data.get(key)
    if key == "colors" and not value:
        value = (data.get("colours_en") if lang == "en" else None) or data.get("colours")
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value or []]


def variant_named(product: Product, question: str) -> bool:
    """The question names one of the product's options."""
    return _variant_for(product, question) is not None


def _variant_for(product: Product, question: str) -> dict | None:
    """The SKU variant the question names: whole, by the part of its name that sets it apart
    ("活性炭味的豆腐砂" → 活性炭味 6L; "the 4kg one" → 4kg; "16plus" → iPhone 16 Plus), or by
    the one colour only it has ("紫色的" → 远峰紫)."""
    variants = [v for v in product.data.get("variants") or [] if str(v.get("name") or "").strip()]
    if not variants:
        return None
    q = _squeeze(_in_base_units(_as_left_out(question)))  # ("不要头枕的" is the option 无头枕版)
    spaced = _in_base_units(question).casefold()  # (a number apart from the name's: "e82 160" says 160)
    asked_sizes = _letter_sizes(spaced)
    title = _squeeze(_in_base_units(" ".join(product.names())))
    whole = [v for v in variants if _holds_name(q, _squeeze(_in_base_units(_as_left_out(str(v["name"])))))]
    if whole:  # "iphone 16 pro" holds the names iPhone 16 and iPhone 16 Pro: the longer one
        named = max(whole, key=lambda v: len(_squeeze(str(v["name"]))))
        own = _squeeze(_in_base_units(str(named["name"])))
        for other in variants:
            # "黑色近视面镜": 黑色+近视镜片定制, which adds to 黑色 a part the question names too.
            longer = _squeeze(_in_base_units(str(other["name"])))
            rest = longer.replace(own, "", 1)
            if other is not named and own in longer and is_cjk(rest):
                run = longest_shared_run(rest, q)
                if len(run) >= 2 and run not in title:
                    return other
        return named
    scored = []
    splits = [[_squeeze(p) for p in re.split(r"[\s/,，、()（）+|;；]+", _in_base_units(_as_left_out(str(v["name"]))).casefold())]
              for v in variants]
    for variant, parts in zip(variants, splits):
        best = 0
        for part in parts:
            # A part the title also has names the product, unless only this option has it (the
            # "205/55R16" of a tyre titled in its first size, sold in two more).
            if not part or (part in title and sum(part in other for other in splits) != 1):
                continue
            if part in q and (len(part) >= 2 or part.isdigit()) and not (part.isascii() and part.isalpha()
                                                                          and not re.search(rf"(?<![a-z]){re.escape(part)}(?![a-z])", spaced)):
                run = len(part) + 1  # a whole part ("1段", "4kg") says more than a run of one (and "xxl" holds no "xl")
            elif is_cjk(part):
                shared = longest_shared_run(part, q)
                # (a model code the title holds too names this option when only it has the code:
                # "y3的呢" of the battery titled 绿驰T1/Y3 and sold as 48V24Ah（Y3适用）)
                run = (len(shared) if len(shared) >= 2 and (shared not in title or (shared.isascii() and sum(shared in "".join(other) for other in splits) == 1))
                       and not _cuts_number(shared, part, q) else 0)
            elif len(part) == 1 and part in "sml" and _says_letter_size(spaced, part):
                run = 2  # "size L": the L option (a whole one-letter part says as much as "4kg")
            elif len(numbers := re.findall(r"\d+(?:\.\d+)?", part)) == 1 and len(numbers[0]) >= 2 and _says_number(spaced, numbers[0]):
                run = len(numbers[0]) + 1  # "EU42.5" named as "42.5" (but "55R17" is a code, not its 55)
            else:
                run = 0
            best += run  # "16 pro max": pro and max, against the Pro's pro alone
        named_colours = {word for word in _PLAIN_COLOURS if word in q}
        own_colours = {word for word in _PLAIN_COLOURS if word in str(variant["name"]).casefold()}
        # (in either language: "pink" is the 粉色 option)
        same_colour = bool(in_either_language(sorted(named_colours)) & in_either_language(sorted(own_colours)))
        if named_colours and own_colours and not same_colour:
            best = 0  # "黑玛瑙" is not 红玛瑙, however much else they share
        elif _contradicts(named_colours, own_colours, title):
            best = 0  # "黑框电镀蓝" is not 黑框/电镀银: the frame's colour agrees, the lens's does not
        elif _another_size(asked_sizes, variant):
            best = 0  # "xxl有水泥灰吗" is not 水泥灰 XL
        elif best and same_colour:
            best += 2  # "白色42.5": the white one in 42.5, not the black one
        scored.append((best, variant))
    scored.sort(key=lambda pair: pair[0], reverse=True)
    if scored[0][0] >= 2 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][1]
    unnamed = _squeeze(without_names(question, product))  # "有蓝牙音箱吗" of the scooter 带蓝牙音箱 names no blue
    colours = _colour_words_in(unnamed)
    if colours:
        said = in_either_language(colours)  # "chocolate brown" is the 巧克力棕 option
        having = [v for v in variants if any(word in str(v["name"]).casefold() for word in said)
                  and not _contradicts(set(colours), set(_colour_words_in(str(v["name"]).casefold())), title)
                  and not _another_size(asked_sizes, v)]
        if len(having) == 1:
            return having[0]
    if not is_cjk(question):
        return _variant_by_gloss(variants, product, question)
    return None


_FIGURE_WORDS = dict(zip(map(str, range(1, 11)), "one two three four five six seven eight nine ten".split()))


def _variant_by_gloss(variants: list[dict], product: Product, question: str) -> dict | None:
    """An English question naming an option written in Chinese, by the dictionary's English
    for the characters that set it apart ("the gift box" → 750ml×2瓶礼盒, "the ear-loop ones"
    → 耳挂式): the one option whose own words (not the product's name) hold the most of the
    question's words, and at least one more than any other option."""
    names = " ".join(product.names())
    glossed = [key_glosses(own) if (own := "".join(c for c in str(variant.get("name") or "") if is_cjk(c) and c not in names)) else frozenset()
               for variant in variants]
    # A figure is asked as its English word, as the dictionary glosses the option's numeral
    # ("the 6 frame electric one" → 六框电动款).
    figures = {_FIGURE_WORDS[n] for n in re.findall(r"(?<![\d.])(\d{1,2})(?![\d.])", question) if n in _FIGURE_WORDS}
    words = english_words(question) | figures
    asked = words - english_words(names) - ASK_WORDS
    if not asked:
        return None
    # (Options alike in the words asked are told apart by the name's words the question also
    # uses: "the 4 frame electric one" of a product titled "…(manual / electric)".)
    named = words & english_words(names) - ASK_WORDS
    counts = [(len(asked & g), len(named & g)) if asked & g else (0, 0) for g in glossed]
    order = sorted(range(len(variants)), key=lambda i: counts[i], reverse=True)
    best = counts[order[0]]
    if best[0] and (len(order) == 1 or counts[order[1]] < best):
        return variants[order[0]]
    return None


def _cuts_number(shared: str, part: str, question: str) -> bool:
    """The run two texts share begins or ends inside a number of either: "7码" of 37码 and 47码."""
    def cut(text: str) -> bool:
        return any((m.start() > 0 and shared[0].isdigit() and text[m.start() - 1].isdigit())
                   or (m.end() < len(text) and shared[-1].isdigit() and text[m.end()].isdigit())
                   for m in re.finditer(re.escape(shared), text))
    return cut(part) or cut(question)


def _contradicts(named: set[str], own: set[str], title: str) -> bool:
    """An option with colours of its own lacks one the question names (beyond the product's
    title's own): "黑框电镀蓝" against 黑框/电镀银."""
    held = in_either_language(sorted(own))
    return bool(own) and any(not in_either_language([word]) & held and word not in title for word in named)


# The option wanted instead, in an exchange request: what follows the last 换 / 换成 ("鹤鸣M码小了
# 想换朱红L", "钓椅黑色的想换迷彩的") or "swap it for" / "exchange for".
_EXCHANGE_TARGET = re.compile(r"换(?:成|到|个|一个)?(?!货)([^换]+)$|(?:exchange|swap|change)(?: it)? (?:for|to|into) (.+)$", re.IGNORECASE)


def exchange_stock(text: str, lang: str, product: Product, currency: str = "CNY") -> FactAnswer | None:
    """That the option a shopper wants to exchange to is sold out (and when it is back), or
    its stock when asked ("想换3000型的 有货吗"); None when the request names no option of
    ``product``, or one in stock without asking: how to exchange is the shop's answer then."""
    match = _EXCHANGE_TARGET.search(text.strip())
    target = match and (match.group(1) or match.group(2))
    variant = _variant_for(product, target) if target else None
    if variant is None or not (_sold_out(variant) or "stock" in asked_attributes(text)):
        return None
    reply = _attribute_reply("stock", Question(target, "yes_no", ["stock"]), lang == "en", product.title(lang), product, variant, currency)
    return FactAnswer(reply, product, ["stock"]) if reply else None


def _sold_out(variant: dict | None) -> bool:
    return variant is not None and variant.get("stock") is not None and int(variant["stock"]) <= 0


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text.casefold())


# A part said to be left out: "不要头枕的", "不带pro的", "without the headrest" (not 没有, which also
# asks whether a thing is had: "没有黑色的吗"; nor "要不要翻面", "带不带", which ask whether).
# Options are read with one spelling of it (无X), so the question and an option named "无头枕版"
# or "不含头枕" meet.
_LEFT_OUT_ZH = r"(?<!要)不要|(?<!带)不带|(?<!含)不含|没带|(?<!配)不配"
_LEFT_OUT_EN = r"\bwithout(?: the| a)?\s+"
_LEFT_OUT = re.compile(rf"(?:{_LEFT_OUT_ZH})(?=[a-z0-9\u4e00-\u9fff])|{_LEFT_OUT_EN}(?=[a-z0-9])", re.IGNORECASE)
_LEFT_OUT_PART = re.compile(rf"(?:{_LEFT_OUT_ZH}|{_LEFT_OUT_EN})([a-z0-9]+|[\u4e00-\u9fff]{{1,4}}?)(?=[的版款型呢吗么\s,，?？]|$)",
                            re.IGNORECASE)


def _as_left_out(text: str) -> str:
    return _LEFT_OUT.sub("无", text)


def left_out_part(question: str) -> str | None:
    """The part a question asks to be without ("那个不带pro的呢" → pro), if it names one."""
    found = _LEFT_OUT_PART.search(question.casefold())
    return found.group(1) if found else None


def without_left_out(question: str) -> str:
    """The question without the part it leaves out: that part names no product, nor a word the
    record must explain."""
    stripped = _LEFT_OUT_PART.sub(" ", question.casefold())
    return stripped if stripped != question.casefold() else question


# A weight or volume in the unit an option is sold by: "the 1kg one" is the 1000g jar, 2斤 is 1000g.
_TO_BASE = {"kg": ("g", 1000), "公斤": ("g", 1000), "千克": ("g", 1000), "斤": ("g", 500), "克": ("g", 1),
            "l": ("ml", 1000), "升": ("ml", 1000), "毫升": ("ml", 1)}
_BASE_MEASURE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(kg|公斤|千克|斤|克|l|升|毫升)(?![a-z])", re.IGNORECASE)


def _in_base_units(text: str) -> str:
    """The text with its weights in grams and volumes in millilitres."""
    def base(m: re.Match) -> str:
        unit, times = _TO_BASE[m.group(2).casefold()]
        value = float(m.group(1)) * times
        return f"{value:g}{unit}"
    return _BASE_MEASURE.sub(base, text)


def _holds_name(text: str, name: str) -> bool:
    """``name`` is written in ``text`` whole: a name that begins or ends in a Latin letter or
    digit not run into more of them ("有xs吗" does not hold the size S, nor "l码" XL)."""
    if not name:
        return False
    for match in re.finditer(re.escape(name), text):
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if not (name[0].isascii() and name[0].isalnum() and before.isascii() and before.isalnum()) and not (
                name[-1].isascii() and name[-1].isalnum() and after.isascii() and after.isalnum()):
            return True
    return False


def _by_variant(product: Product, key: str) -> list[tuple[str, object]] | None:
    """Each variant's own price or stock, when they differ: with no variant named, the
    product-level figure would be wrong for some of them."""
    values = [(str(v["name"]), v.get(key)) for v in product.data.get("variants") or [] if v.get("name") and v.get(key) is not None]
    if len(values) < 2:
        return None
    if key == "stock":
        return values if len({int(value) > 0 for _, value in values}) > 1 else None
    return values if len({value for _, value in values}) > 1 else None


def answer_facts(question: Question, lang: str, product: Product, matcher: KeyMatcher | None = None,
                 currency: str = "CNY") -> FactAnswer | None:
    """The asked attributes of ``product``, worded for the shopper; None when the record does
    not hold what is asked (the caller declines and hands off)."""
    en = lang == "en"
    title = product.title(lang)
    parts: list[str] = []
    asked = list(question.attributes)
    if asked:
        # A cue inside the product's own name asks nothing: "the weight of the magnetic power
        # bank" asks its weight, not its power.
        cued, unnamed = set(asked_attributes(question.text)), set(asked_attributes(without_names(question.text, product)))
        asked = [a for a in asked if a not in cued or a in unnamed]  # (one asked as before is cued in no text)
        if len(asked) > 1 and product.gloss_pieces:
            # Named in Chinese only and asked in English: "how heavy is the wall mounted battery"
            # of the 壁挂式储能电池 calls it by its name's gloss (battery) and asks its weight.
            glossed = set(asked_attributes(_without_glosses(without_names(question.text, product), product)))
            asked = [a for a in asked if a not in cued or a in glossed] or asked
    literal = [kv for kv in literal_facts(product, without_left_out(question.text), matcher if not asked else None)
               if not any(_within(kv[0], _fact_for(product, a, question.text)) for a in asked)]
    names = " ".join(product.names()).casefold()
    # (Not a form when the fact named is in another measure: "内机多重" of 内机尺寸：1880×420×320mm
    # still asks a weight, which the record lacks.)
    form_only = [a for a in asked if asked_by_form_only(a, question.text)
                 and not any(_in_another_measure(str(value), a, question.text) for _, value in literal)]
    if form_only and ((literal and not any(key.casefold() in names for key, _ in literal))
                      or any(_fact_for(product, a, question.text) for a in asked if a not in form_only)):
        # "耶加海拔多高": 多高 is the form the altitude is asked in, not the product's height
        # ("链条小方包多重" still asks the bag's weight: 链条 is in its name); "K98电池多大的": how
        # big its battery is, 电池容量.
        asked = [a for a in asked if a not in form_only]
    if (question.ask in ("time", "duration") and literal and not asked
            and not any(answer_fits(question.ask, str(v)) for _, v in literal)):
        # "what time does the Teahouse play start at Capital Theatre": 剧院 is named (by meaning),
        # but a clock time is asked: the one time key holding one (开演时间：19:30).
        # (Its key's own words asked too, in the dictionary's English: 开演 is "start"; 百度网盘
        # svip多久到账 asks no 面值或时长.)
        words = english_words(question.text) - ASK_WORDS - {"time", "long"}
        timed = [(k, v) for k, v in _timed_facts(list((product.data.get("facts") or {}).items()), question.ask) if words & key_glosses(k)]
        if len(timed) == 1:
            literal = timed
    if asked == ["dimensions"] and question.ask == "duration" and not literal and _fact_for(product, "dimensions", question.text) is None:
        # "how long is the CATS musical": a length asked of a record with no length, whose one
        # time key holds a span (演出时长：约150分钟), asks how long it lasts.
        timed = _timed_facts(list((product.data.get("facts") or {}).items()), "duration")
        if len(timed) == 1:
            asked, literal = [], timed
    included = included_facts(product, question)
    by_value = included or _value_facts(product, question, matcher)
    if included and literal:
        # "包含假发吗" names the key 包含, but the fact that says whether the wig is included is 不含.
        literal = included + [kv for kv in literal if kv not in included and not _INCLUDED.search(kv[0])]
    if not asked and not literal and question.ask == "yes_no" and (had := _HAS_IT.search(asking_clause(question.text))) \
            and had.group(1) in "".join(product.names()) and had.group(1) not in _NO_TOPIC:
        asked = ["stock"]  # "周六的还有票吗" of the 门票: whether it can be had (票 is the product itself)
    if not asked and not literal:
        literal = by_value
    elif (literal and not included and by_value and (_COUNTED.search(question.text) or _COUNTED_EN.search(question.text))
          and not literal_facts(product, without_left_out(question.text))):
        # "how many sheets in the letter tattoo pack": 张数 counts in sheets; 字体 was only near
        # "letter" (the product's own name) in meaning.
        literal = by_value
    if not asked and not literal and _sizes_named(question.text) and _list_field(product.data, "sizes", lang):
        asked = ["sizes"]  # "有43码吗", "do you have 130": a yes or no about that size
    variant = _variant_for(product, question.text)
    if variant is not None and (wanted := _EXCHANGE_TARGET.search(question.text.strip())) is not None:
        variant = _variant_for(product, wanted.group(1) or wanted.group(2)) or variant  # "原木色能换胡桃色吗" asks of the 胡桃色
    if not asked and not literal and question.ask == "yes_no" and variant is not None:
        asked = ["stock"]  # "白盘的有吗", "巧克力味的有吗": whether that option can be had
    if (not asked and not literal and question.ask == "yes_no" and _ASKS_IF_SOLD.search(asking_clause(question.text))
            and not asks_as_before(question.text)
            and not _residual_words(replace(question, text=asking_clause(question.text)), product)
            and not _named_as_modifier(asking_clause(question.text), product)):
        asked = ["stock"]  # "pro的快充充电器有吗": the product named and nothing else, whether it can be had
    if not asked and not literal:
        return None
    if question.ask == "yes_no" and not set(asked) & {"colors", "sizes", "price"} and _unheld_counts(question, product):
        return None  # "U5有44号牌的吗": the U5 is sold with 42号 tiles; its stock says nothing of 44号
    if question.ask == "yes_no" and _unheld_sizes(question, product):
        return None  # "黑红有XL吗" of gloves sold in 黑色/黑红 and no sizes: the record says nothing of XL
    if "colors" not in asked and _colour_unknown(question.text, product):
        return None  # "is the tackle box available in black?": its stock says nothing of black
    # The facts the answer is read from (a yes or no among them): those named, and those of the attributes asked.
    facts = literal + [fact for a in asked if (fact := _fact_for(product, a, question.text)) is not None]
    if (question.ask == "yes_no" and not set(asked) & {"colors", "sizes", "stock"} and not _MEASURE_ASKED.search(question.text)
            and not by_value and (_unexplained(_residual_words(replace(question, text=asking_clause(question.text)), product),
                                               literal, matcher) or _unheld_verbs(question, product, facts))):
        # "do you have the A5 notebook with lined pages": yes or no about a word the record
        # never states; its page count is no answer to that. ("多重啊 搬得动不" asks the
        # weight too: the shopper judges the rest from it.)
        return None
    if (question.ask == "yes_no" and not set(asked) & {"colors", "sizes", "stock", "price"}
            and not _asks_value(question.text) and _unheld_numbers(question, product, facts)):
        return None
    if question.ask == "yes_no" and by_value and not asked and _unheld_actions(question, product):
        return None  # "滑盖能上锁吗": the lid is a 滑盖, but nothing says it locks
    if ("price" in asked and _SERVICE_VERBS & set(question.text)
            and set(_unheld_verbs(question, product, facts + [(name, "") for name in product.variant_names()])) & _SERVICE_VERBS):
        return None  # "摇蜜机过保了 修一下多少钱": the price of a repair, which the extractor's record does not give
    if variant is not None and any(_of_another_option(str(value), product, variant) for _, value in facts):
        return None  # "e82 160的转弯半径" of 转弯半径：15m（168cm）: the 168's, not the 160's
    for attribute in asked:
        part = _attribute_reply(attribute, question, en, title, product, variant, currency, matcher)
        if part is None:
            return None  # one asked attribute the record lacks: decline rather than half-answer
        if part not in parts:  # (two attributes asked may be one fact: 电池容量 is the battery and a capacity)
            parts.append(part)
    for key, value in literal:
        parts.append(fact_sentence(title, key, value, en))
    return FactAnswer(" ".join(parts) if en else "".join(parts), product, asked + [k for k, _ in literal])


_ANY_SIZE = re.compile(r"多大|大小|尺寸|how big|\bsize", re.IGNORECASE)


def _in_another_measure(value: str, attribute: str, question: str) -> bool:
    """The value is measured, and not in the attribute's measure (a length, asked a weight).
    "多大" asks a size of any kind ("清水箱多大": 900ml)."""
    if _ANY_SIZE.search(question):
        return False
    dimension = ATTRIBUTE_DIMENSION.get(attribute)
    found = measurements(value)
    return bool(dimension and found and dimension not in found)


def _of_another_option(value: str, product: Product, variant: dict) -> bool:
    """The value says which option it is of, and that is not the one asked ("15m（168cm）"
    asked of the 160cm skis)."""
    value = _squeeze(_in_base_units(value))
    others = [_squeeze(_in_base_units(str(v["name"]))) for v in product.data.get("variants") or [] if v is not variant]
    return any(o and o in value for o in others) and _squeeze(_in_base_units(str(variant["name"]))) not in value


# Work done on a thing (修, 换, 刻…): its price is a service's, not the thing's. (Only these:
# jieba tags many a lone character a verb, 亲 of "亲 多少钱" and 加 of "喷笔加气泵" among them.)
_SERVICE_VERBS = set("修换刻改补剪烫染贴焊磨拆绣裁")


def _unheld_verbs(question: Question, product: Product, facts: list[tuple[str, str]]) -> list[str]:
    """A verb a yes/no question asks about ("胸垫能拆吗": 拆; "电池能换吗": 换), or a price is asked
    with (修), that neither the facts named or asked (电池容量：640Wh) nor the product's names
    hold: 胸垫：有 says there are pads, not that they come out."""
    if not facts or not is_cjk(question.text):
        return []
    held = " ".join(product.names() + [f"{k}{v}" for k, v in facts])
    return [v for v in asked_verbs(question.text) if v not in held]


def _named_as_modifier(text: str, product: Product) -> bool:
    """A word the question names the thing by that the product's names write only inside a
    longer word, before the thing that word names ("有卖鼠标吗" of the 鼠标垫: a mouse pad is no
    mouse): the question asks whether another thing is sold."""
    words = [w for w in content_words(tokenize(text)) if is_cjk(w) and len(w) >= 2]
    words = [w for w in words if not any(w in other and w != other for other in words)]  # (鼠标 of 鼠标垫 asked whole)
    names = [t for name in product.names() for t in jieba.lcut(name.casefold())]
    return any(w not in names and any(t.startswith(w) and len(t) > len(w) for t in names)
               and not any(t.endswith(w) for t in names) for w in words)


def _unheld_actions(question: Question, product: Product) -> list[str]:
    """An action asked whether it can be done ("能上锁吗", "会冻坏吗": a two-character verb right
    after 能/会/可以) that the record never writes: a yes or no about the action, not about the
    value the question also names (滑盖). A question giving a figure ("78mm能夹住吗") asks
    about the figure, which a range of the record answers."""
    clause = asking_clause(question.text)
    if re.search(r"\d", clause):
        return []
    residual = set(_residual_words(replace(question, text=clause), product))
    words = list(posseg.cut(clause))
    return [w.word for before, w in zip(words, words[1:]) if w.flag == "v" and len(w.word) == 2 and w.word in residual
            and re.search(r"(?:能|会|可以|可)$", before.word)]


# A number a yes/no question names as the thing's value ("有22姆米的吗", "4排扣的有吗"), not a
# time the shopper counts ("买了20天"), an amount of money or a rank.
_NAMED_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])(?!\s*(?:个)?\s*(?:天|日|周|星期|个?月|年|小时|分钟|元|块|号|楼|层|"
                           r"days?|weeks?|months?|years?|hours?|yuan)\b)", re.IGNORECASE)
_RANGE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:-|~|～|—|至|到)\s*(\d+(?:\.\d+)?)")


def _asks_value(text: str) -> bool:
    """The question asks a value too ("分辨率多少 是1080p的吗"): the value answers the yes or no."""
    return bool(_ASKS_WHAT.search(text) or _MEASURE_ASKED.search(text) or "多少" in text)


def _record_numbers(product: Product, facts: list[tuple[str, str]]) -> tuple[str, list[tuple[float, float]]]:
    """The product's names, options and ``facts`` as one text, and the ranges written in it."""
    held = " ".join(product.names() + product.variant_names() + [f"{k} {v}" for k, v in facts])
    return held, [(float(a), float(b)) for a, b in _RANGE.findall(held)]


def _unheld_counts(question: Question, product: Product) -> list[str]:
    """A number counted in words ("44号", "15天") that the product's names, options and
    record never write, nor write only as another measure (15GB), nor take in with a range
    (0-15个月): whether "it" is had in that size or length is not said by its stock or its
    other facts ("U5有44号牌的吗" of the U5 with 42号 tiles, "有15天的吗" of the 8天15GB eSIM)."""
    held, ranges = _record_numbers(product, list((product.data.get("facts") or {}).items()))
    held = held.casefold()

    def said(n: str, counted: bool) -> bool:  # (a number counted in words is not said by the same number in letters: 15GB)
        return (re.search(rf"(?<![\d.]){re.escape(n)}(?![\d.])" + (r"(?!\s*[a-z])" if counted else ""), held) is not None
                or any(a <= float(n) <= b for a, b in ranges))

    text = asking_clause(question.text).casefold()
    return list(dict.fromkeys([m.group(0) for m in _NUMBER_COUNTED.finditer(text) if not said(m.group(1), True)]
                              + [n for m in _KIND_BY_NUMBER.finditer(text) if not said(n := m.group(1) or m.group(2), False)]))


# An option asked for by its number alone: "有300的吗", "移动话费300的有吗", "in size 675".
_KIND_BY_NUMBER = re.compile(r"(?<![\d.a-z])(\d+(?:\.\d+)?)\s*的(?=[^\d]{0,6}(?:有|吗|么|没|不|呢))|\bsize (\d+(?:\.\d+)?)\b")


def _unheld_numbers(question: Question, product: Product, facts: list[tuple[str, str]]) -> list[str]:
    """A number a yes/no question asks about that neither the facts named or asked nor the
    product's names hold, nor a range in them takes in: "真丝双绉有22姆米的吗" against
    姆米：16姆米 — the record says 16, not that there is no 22 (another option may be sold)."""
    if not facts:
        return []
    held, ranges = _record_numbers(product, facts)
    text = asking_clause(question.text)

    def within(n: str) -> bool:  # "凯美瑞20款" is the 2020 model: 20 as a year too
        years = [float(n), 2000 + float(n)] if re.search(rf"(?<![\d.]){re.escape(n)}\s*年?款", text) and len(n) == 2 else [float(n)]
        return any(a <= y <= b for a, b in ranges for y in years) or any(_says_number(held, str(int(y))) for y in years)

    return [n for n in _NAMED_NUMBER.findall(text) if not _says_number(held, n) and not within(n)]


def _unheld_sizes(question: Question, product: Product) -> list[str]:
    """A size in letters that a yes/no question asks about ("黑红有XL吗", "in size L") and that
    neither the product's names, its options nor its facts write as a word of its own: the
    record says nothing of it."""
    text = without_names(asking_clause(question.text), product).casefold()
    words = sorted(_letter_sizes(text) | {w for w in "sml" if _says_letter_size(text, w)})
    if not words:
        return []
    facts = product.data.get("facts") or {}
    held = " ".join(product.names() + product.variant_names() + _list_field(product.data, "sizes", "zh")
                    + _list_field(product.data, "sizes", "en") + [f"{k} {v}" for k, v in facts.items()]).casefold()
    return [w for w in words if not _holds_name(held, w)]


def _the(title: str, article: str = "The") -> str:
    """"The Quiet Lantern" stays as it is; "Basin Tap" reads "The Basin Tap" (``article``
    "the" inside a sentence: "Sorry, the Basin Tap …")."""
    return title if re.match(r"(?i)the\s", title) else f"{article} {title}"


def fact_sentence(title: str, key: str, value: object, en: bool) -> str:
    """One fact of the record, as it is read out: "The X's 海拔 is 1900米." / "X的海拔：1900米。"."""
    return f"{_the(title)}'s {key} is {_in_english(value)}." if en else f"{title}的{key}：{value}。"


# A span of time in a Chinese value, read out in an English reply ("10年" → "10 years").
_SPAN_UNITS = {"年": "year", "个月": "month", "周": "week", "天": "day", "小时": "hour", "分钟": "minute"}
_SPAN = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*(个月|年|周|天|小时|分钟)(?![\u4e00-\u9fff\d])")  # not 2025年, 6月


# A record's yes or no, as an English reply says it ("蓝牙：不支持" → not supported).
_YES_NO_IN_ENGLISH = {"是": "yes", "否": "no", "有": "yes", "无": "no", "没有": "no", "可以": "yes", "不可以": "no", "支持": "supported",
                      "不支持": "not supported", "含": "included", "包含": "included", "不含": "not included", "不包含": "not included"}


def _in_english(value: object) -> str:
    def span(m: re.Match) -> str:
        unit = _SPAN_UNITS[m.group(2)]
        return f"{m.group(1)} {unit}{'' if m.group(1) == '1' else 's'}"

    text = str(value)
    if (plain := _YES_NO_IN_ENGLISH.get(text.strip(" 。.，,"))) is not None:
        return plain
    return _SPAN.sub(span, text)


def _unexplained(words: list[str], literal: list[tuple[str, str]], matcher: KeyMatcher | None) -> list[str]:
    """The leftover words no key of the facts named stands for: "is it waterproof?" names
    防水性能 by meaning, "with lined pages" names 页数 by "pages" but not "lined"."""
    if not words or not literal or matcher is None:
        return words
    keys = [key for key, _ in literal]
    return [w for w in words if float(np.max(matcher(keys, w))) < KEY_MEANING]


# "禁步是什么玉": a question word asks for something of the product (its jade, here, a word
# too short to count as another topic); its card (price, stock) answers no such question, nor
# one naming a size ("鹤鸣有XL吗").
_ASKS_WHAT = re.compile(r"什么|啥|哪|\bwhat|\bwhich\b", re.IGNORECASE)


def _more_than_the_name(text: str, product: Product) -> bool:
    """Words beside the product's name before "多少" ("萨兹的α酸是多少": its α-acid, a word
    too short for the residual words, which the card's price does not answer)."""
    # Every character of its names and options goes ("pe线1.5号拉力多少": the option 1.5号 拉力12.3kg).
    named = set("".join(product.names() + product.variant_names()).casefold())
    rest = "".join(c for c in BARE_HOW_MUCH.sub("", text.casefold()) if c not in named)
    return bool(re.sub(r"[的是个款件只这那此呢吗啊呀\s?？!！~～,，.。]", "", rest))


def card_facts(question: Question, lang: str, product: Product, currency: str = "CNY") -> FactAnswer | None:
    """A product named and nothing asked of it ("想买个猫包"), or only "多少": its card, price and stock, so the
    conversation has it in focus for what the shopper asks next. None when the question asks
    anything ("膨润土的呢" asks what the question before it asked)."""
    # "德比鞋多少": its price; not "一天吃多少", an amount per day.
    bare_how_much = (question.ask == "amount" and BARE_HOW_MUCH.search(question.text) is not None
                     and not any(QUANTITY.fullmatch(t) for t in tokenize(question.text))
                     and not _more_than_the_name(question.text, product))
    if (question.attributes or (question.ask != "other" and not bare_how_much) or asks_as_before(question.text)
            or _ASKS_WHAT.search(question.text) or _sizes_named(question.text) or _residual_words(question, product)
            or (_MEASURE_ASKED.search(question.text) and not bare_how_much)):  # "一瓶几片", "一天吃多少": a count asked
        return None
    card = Question(text=question.text, ask="price", attributes=["price", "stock"], elliptical=question.elliptical)
    return answer_facts(card, lang, product, None, currency)


def _attribute_reply(attribute: str, question: Question, en: bool, title: str, product: Product, variant: dict | None,
                     currency: str = "CNY", matcher: KeyMatcher | None = None) -> str | None:
    data = product.data
    lang = "en" if en else "zh"
    if attribute == "price":
        price = variant.get("price") if variant and variant.get("price") is not None else data.get("price")
        each = None if variant else _by_variant(product, "price")
        if price is None and not each:
            return None
        which = f" ({variant['name']})" if variant else ""
        if each:
            listed = (", " if en else "、").join(f"{name} {money(value, currency, format_price(value))}" for name, value in each)
            return f"{_the(title)} costs, by option: {listed}." if en else f"{title}各款价格：{listed}。"
        tag = money(price, currency, format_price(price))
        if _sold_out(variant) and "stock" not in question.attributes:
            back = _restock(product, variant)  # a price for an option there is none of: say so
            return (f"{_the(title)}{which} costs {tag}, but it is out of stock right now." + _restock_note(back, en)
                    if en else f"{title}{which}的价格是{tag}，目前缺货。" + _restock_note(back, en))
        return f"{_the(title)}{which} costs {tag}." if en else f"{title}{which}的价格是{tag}。"
    if attribute == "stock":
        stock = variant.get("stock") if variant and variant.get("stock") is not None else data.get("stock")
        each = None if variant else _by_variant(product, "stock")
        if stock is None and not each:
            return None
        which = f" ({variant['name']})" if variant else ""
        if each:
            options = [v for v in data.get("variants") or [] if v.get("name") and v.get("stock") is not None]
            if not any(v.get("restock") for v in options) and _ASKS_RESTOCK.search(question.text):
                return None  # when they come back is asked, and the record does not say
            return _options_stock(options, en, title)
        if int(stock) > 0:
            return f"{_the(title)}{which} is in stock ({int(stock)} left)." if en else f"{title}{which}目前有货，库存{int(stock)}件。"
        back = _restock(product, variant)  # when the merchant wrote when it comes back, say so
        if back is None and _ASKS_RESTOCK.search(question.text):
            return None  # "啥时候补货": that it is out of stock is no answer to when
        if en:
            return f"Sorry, {_the(title, 'the')}{which} is out of stock right now." + _restock_note(back, en)
        return f"抱歉，{title}{which}目前缺货。" + _restock_note(back, en)
    if attribute in ("sizes", "colors"):
        values = _list_field(data, attribute, lang)
        fact = _fact_for(product, attribute)
        if not values and fact:
            values = [fact[1]]
        if not values and attribute == "sizes":
            # Sizes written under another key ("规格：S(36-39)/M(40-42)/L(43-45)"): the one fact
            # whose value lists sizes.
            sized = [value for value in (product.data.get("facts") or {}).values() if _lists_sizes(str(value))]
            values = [str(sized[0])] if len(sized) == 1 else []
        if not values and attribute == "colors":
            values = _colour_variants(product)  # SKUs sold by colour ("原木色", "黑色"): the colours
        if not values:
            return None
        spec = ATTRIBUTE_BY_NAME[attribute]
        label = spec.name if en else (spec.zh if attribute == "colors" or _looks_like_sizes(values) else "规格")
        if en and attribute == "sizes" and not _looks_like_sizes(values):
            label = "options"
        listed = ", ".join(values) if en else "、".join(values)
        if attribute == "colors":
            named = _named_value(without_names(question.text, product), values)  # (not the 蓝 of its name's 蓝牙)
        else:  # only a question that names a size and nothing else asks yes or no ("178cm 160斤穿什么码" asks which)
            named = _named_size(question.text, values) if "sizes" not in question.attributes else None
        if named is not None:
            word, present = named
            if not en and attribute == "sizes" and word.isdigit():
                word += "码"
            options = [variant] if variant else _options_named(product, word)
            if present and len(options) == 1:
                variant = options[0]
            if present and _sold_out(variant):
                # "黑色呢" after "雪地靴有货吗": the black one is listed, but there is none to sell.
                return _attribute_reply("stock", question, en, title, product, variant, currency)
            if present and any(_sold_out(v) for v in options):
                return _options_stock(options, en, title)  # "粉色的有吗": pink S/M is, pink L/XL is not
            if present:
                # "有吗" asks whether it can be had as much as whether it is made: say how many.
                stocked = _in_stock_note(options, en)
                return f"Yes, {_the(title, 'the')} comes in {word}{stocked}." if en else f"有的，{title}有{word}{stocked}。"
            if attribute == "colors":
                # The colours listed (or the SKUs on sale) need not be every colour it is made
                # in: a colour not among them is a question for a person, not a sure "no".
                return None
            return (f"Sorry, {_the(title, 'the')} doesn't come in {word}; it comes in {listed}." if en
                    else f"抱歉，{title}没有{word}，目前有：{listed}。")
        return f"{_the(title)} comes in these {label}: {listed}." if en else f"{title}有这些{label}：{listed}。"
    if attribute == "options" and len([n for n in product.variant_names() if n.strip()]) >= 2:
        return _attribute_reply("price", question, en, title, product, None, currency)  # each option with its price
    if attribute == "material" and data.get("material"):
        value = (data.get("material_en") if en else None) or data.get("material")
        return f"{_the(title)} is made of {value}." if en else f"{title}的材质是{value}。"
    fact = _fact_for(product, attribute, question.text)
    if fact is None and attribute == "dimensions":
        fact_by_variant = _variant_measures(question.text, en, title, product, variant)
        if fact_by_variant is not None:
            return fact_by_variant
    if fact is None and matcher is not None:
        fact = _measured_by_meaning(product, attribute, question.text, matcher)
    if fact is None:
        return None
    key, value = fact
    if _measures_another_thing(question, attribute, key, product):
        return None
    if attribute == "shelf_life" and _OPENED.search(question.text) and not _OPENED.search(f"{key} {value}"):
        return None  # "开封了能放多久" asks how long once opened, which 保质期 18个月 does not say
    label = ATTRIBUTE_BY_NAME[attribute].name.replace("_", " ")
    return f"{_the(title)}'s {label} ({key}) is {_in_english(value)}." if en else f"{title}的{key}：{value}。"


def _measured_by_meaning(product: Product, attribute: str, question: str, matcher: KeyMatcher) -> tuple[str, str] | None:
    """The merchant's own word for a measured attribute ("how wide is the fleece" → 门幅：170cm,
    a fabric's width by its trade name): of the facts whose value is in the attribute's measure
    (a length for dimensions, a weight, a volume), the one whose key is clearly closest in
    meaning to the question."""
    dimension = ATTRIBUTE_DIMENSION.get(attribute)
    # (A key another everyday attribute holds is that one's: 净重 is the walker's weight, not its 承重.)
    others = [w for a in ATTRIBUTE_BY_NAME.values() if a.name != attribute for w in a.keys if len(w) >= 2]
    facts = [(k, str(v)) for k, v in (product.data.get("facts") or {}).items() if dimension and dimension in measurements(str(v))
             and not any(_holds(k.casefold(), w) for w in others)]
    if not facts:
        return None
    scores = matcher([k for k, _ in facts], without_names(question, product) or question)  # "摇粒绒多宽": 多宽 against 门幅
    order = np.argsort(-scores)
    second = float(scores[order[1]]) if len(order) > 1 else 0.0
    if scores[order[0]] >= KEY_MEANING and scores[order[0]] - second >= MEANING_MARGIN:
        return facts[int(order[0])]
    return None


# Once opened: a shelf life that says nothing of opening answers the sealed pack's.
_OPENED = re.compile(r"(?<![未没不])(?:开封|开盖|开启|拆封|打开|开罐|开袋)|\bopen(ed|ing)?\b", re.IGNORECASE)  # not 未开封


def _colour_unknown(question: str, product: Product) -> bool:
    """The question names a colour (in either language) that the record never mentions."""
    named = named_colours(question.casefold())
    if not named:
        return False
    said = in_either_language(named)
    facts = product.data.get("facts") or {}
    record = " ".join(product.names() + product.variant_names() + [f"{k} {v}" for k, v in facts.items()]
                      + [str(product.data.get(k) or "") for k in ("colors", "colours", "color", "colour")]).casefold()
    return not any(w in record for w in said)


def _measures_another_thing(question: Question, attribute: str, key: str, product: Product) -> bool:
    """"最大拉力多少斤" weighs the pull, not the rod: a word right before the measure asked
    that is none of the record's (no name, key, value or ask word: ``_residual_words``) and
    no part of the key found ("杆子多长" → 杆长) names another thing measured."""
    q = question.text.casefold()
    others = [w for w in _residual_words(question, product) if is_cjk(w) and not set(w) & set(key) and w[0] not in "这那"]
    facts = product.data.get("facts") or {}
    record = " ".join(product.names() + [f"{k} {v}" for k, v in facts.items()]).casefold()
    for cue in ATTRIBUTE_BY_NAME[attribute].cues:
        at = q.find(cue) if not cue.isascii() else -1
        if at > 0 and any(q[:at].endswith(w) for w in others):
            return True
        # The two characters before it, when jieba left them single ("团扇扇柄多长": 扇 / 柄)
        # and the record never writes them: 扇柄 is not the 扇面 its size gives.
        before = q[at - 2 : at] if at >= 2 else ""
        if re.fullmatch(r"[\u4e00-\u9fff]{2}", before) and not set(before) & (set(key) | _NO_THING) and before not in record:
            return True
    return False


_NO_THING = set("这那个些多少几有是能可的了吗呢吧啊呀哦嘛么也都还在和与或要想会我你您它款件只啥什咋哪怎")  # no thing measured
_NO_TOPIC = _NO_THING | set("没不请问亲吧从到给对把被用为跟向")  # and asking, pointing and linking characters

# A measure asked outright: 多重, 多高, 几个, how many, what size.
_MEASURE_ASKED = re.compile(r"多[重高长宽厚大少深粗久]|几|how (much|many|big|tall|long|heavy|wide|deep)|what size", re.IGNORECASE)
_LENGTH = re.compile(r"\d+(?:\.\d+)?\s*(?:cm|mm|m|厘米|毫米|米|寸|inch|\")", re.IGNORECASE)


def _variant_measures(question: str, en: bool, title: str, product: Product, variant: dict | None) -> str | None:
    """A size sold as a SKU states its measure in its name ("中号 株高70-80cm 含21cm盆",
    "28寸"): the named one's, or every one's when the question names none."""
    asked = [(zh, en_word) for zh, en_word, cue in _DIMENSIONS if cue.search(question)]

    def measures(name: str) -> bool:
        if asked:  # one dimension asked: the name says which ("株高70-80cm")
            return any(re.search(rf"{zh}度?\s*[:：]?\s*\d", name) or re.search(rf"{en_word}\W*\d", name, re.I)
                       for zh, en_word in asked)
        return _LENGTH.search(name) is not None
    names = [str(v["name"]) for v in ([variant] if variant else product.data.get("variants") or []) if v.get("name")]
    if not names or not all(measures(n) for n in names):
        return None
    listed = ("; " if en else "；").join(names)
    return f"{_the(title)}: {listed}." if en else f"{title}：{listed}。"


_ASKS_RESTOCK = re.compile(r"补货|restock|back in stock", re.IGNORECASE)


def _options_named(product: Product, word: str) -> list[dict]:
    """The SKU options a named colour or size stands for: "粉色" for 粉色 S/M and 粉色 L/XL."""
    found = []
    for option in product.data.get("variants") or []:
        name = str(option.get("name") or "").strip()
        if name and option.get("stock") is not None and (
                name.casefold() in word.casefold()
                or re.search(rf"(?<![0-9a-z]){re.escape(word.casefold())}(?![0-9a-z])", name.casefold())):
            found.append(option)
    return found


def _in_stock_note(options: list[dict], en: bool) -> str:
    if len(options) != 1 or options[0].get("stock") is None:
        return ""
    left = int(options[0]["stock"])
    return f" ({left} in stock)" if en else f"，库存{left}件"


def _options_stock(options: list[dict], en: bool, title: str) -> str:
    """Which options are in stock and which are not, a sold-out one with the merchant's restock
    note, which says when it is back ("啥时候有货")."""
    have = [str(v["name"]) for v in options if not _sold_out(v)]
    gone = [str(v["name"]) + (f" ({str(v['restock']).strip()})" if en else f"（{str(v['restock']).strip()}）")
            if str(v.get("restock") or "").strip() else str(v["name"])
            for v in options if _sold_out(v)]
    if en:
        return f"{_the(title)}: in stock: {', '.join(have)}; out of stock: {', '.join(gone)}."
    return f"{title}：{'、'.join(have)}有货；{'、'.join(gone)}缺货。"


def _restock(product: Product, variant: dict | None = None) -> str | None:
    """The restock note ("restock": "预计12月20日到货", 补货时间…) of the option asked about,
    else of the record, if the merchant wrote one."""
    if variant and variant.get("restock"):
        return str(variant["restock"])
    facts = product.data.get("facts") or {}
    keyed = next((str(v).strip() for k, v in facts.items() if RESTOCK_KEY.search(str(k)) and str(v).strip()), None)
    if keyed is not None:
        return keyed
    # Or written in a remark ("备注：缺货 补货时间待定"): the part of it that says when (a
    # date, or that none is set; "补货中" says nothing of when).
    return next((part for v in facts.values() for part in re.split(r"[\s，,；;。]+", str(v))
                 if RESTOCK_KEY.search(part) and re.search(r"\d|待定|未定|暂无|不确定", part)), None)


def _restock_note(note: str | None, en: bool) -> str:
    if not note:
        return ""
    if RESTOCK_KEY.search(note):  # "预计12月12日补货" says what it is
        return f" {note.rstrip('.')}." if en else f"{note.rstrip('。')}。"
    return f" Restock: {note}." if en else f"补货：{note}。"


def _lists_sizes(text: str) -> bool:
    """A value that lists two or more sizes, each maybe with its range: "S(36-39)/M(40-42)"."""
    parts = [p for p in re.split(r"[/、,，;；\s]+", re.sub(r"[（(][^)）]*[)）]", "", text)) if p]
    return len(parts) >= 2 and _looks_like_sizes(parts)


def _looks_like_sizes(values: list[str]) -> bool:
    return all(re.fullmatch(r"(x{0,3}[sml]|xx?l|\d{2,3}(/\d+)?|均码|free|one size|[\d.]+码)", v.strip().casefold()) for v in values)


# A size: a number or letter size with a size unit, or standing alone before 的/吗/呢 or the end
# ("43码", "有130的吗", "come in 43"); "12个月", "250g" and "6斤" are no sizes.
_SIZE = re.compile(r"(?<![\d.a-z])(\d{2,3}(?:\.5)?|x{0,3}[sml]|[2-4]?xl)(?:\s*(?:码|号|cm|厘米)|(?=\s*(?:的|吗|呢|嘛|么|[?？,，。!！]|\s|$)))",
                   re.IGNORECASE)


def _sizes_named(question: str) -> list[str]:
    return [m.casefold() for m in _SIZE.findall(question)]


def _named_size(question: str, values: list[str]) -> tuple[str, bool] | None:
    """A size the question names ("43码", "130", "XL"), and whether the product has it."""
    named = _sizes_named(question)
    if not named:
        return None
    plain = {re.sub(r"\s*(码|号|cm|厘米)$", "", v.strip().casefold()): v for v in values}
    for size in named:
        if size in plain:
            return plain[size], True
    return named[0].upper(), False


# 米, 金 and 银 are also metres and metals ("1.5米", "18K金", "擦银布"): alone they name no colour.
_PLAIN_COLOURS = [w for w in COLOUR_WORDS if w not in ("米", "金", "银")]


def _chinese_name_words(product: Product) -> list[str]:
    """The Chinese words (two characters or more) of a product's names, sorted."""
    return sorted({t for n in product.names() for t in tokenize(n) if is_cjk(t) and len(t) >= 2})


def _only_places(pieces: set[str], question: str) -> bool:
    """Every piece held is (part of) a place the question names: an origin in a product's
    name, or where a parcel goes; no product by itself."""
    places = place_words(question)
    return bool(pieces) and bool(places) and all(any(p in place for place in places) for p in pieces)


def _only_colours(pieces: set[str]) -> bool:
    return bool(pieces) and all(any(word in p for word in _PLAIN_COLOURS) or p in ("色的", "颜色") for p in pieces)


def _colour_variants(product: Product) -> list[str]:
    """The variants' names, when every variant is named by a colour; or, when two or more
    are and the rest are bundles or finishes (云白, 曜黑, 户外套装), those two or more."""
    names = [str(v.get("name") or "").strip() for v in product.data.get("variants") or []]
    coloured = [n for n in names if n.endswith("色") or any(w in n.casefold() for w in _PLAIN_COLOURS)]
    if names and len(coloured) == len(names):
        return names
    if len(coloured) >= 2 and not any(re.search(r"\d", n) for n in names):
        return coloured
    return []


_EITHER_OR = re.compile(r"和|跟|与|或|还是|、|/|\band\b|\bor\b|,|，")


def _colour_words_in(text: str) -> list[str]:
    return [w for w in COLOUR_WORDS if w in text]


def _named_value(question: str, values: list[str]) -> tuple[str, bool] | None:
    """A colour the question names, and whether the product has it (in either language:
    "black" asks after 黑色)."""
    q = question.casefold()
    for value in values:
        if value.casefold() in q or (is_cjk(value) and value.rstrip("色") and value.rstrip("色") in q):
            return value, True
    named = _colour_words_in(q)
    plain = [word for word in named if word in _PLAIN_COLOURS]  # (米 may be a metre, 金 gold plating)
    if len(plain) > 1 and not _EITHER_OR.search(q):
        # "白色有红轴吗": one option of both colours (冰川白-红轴), not a white one and a red one.
        both = [v for v in values if all(in_either_language([w]) & set(_colour_words_in(v.casefold())) for w in plain)]
        return ("、".join(both), True) if both else (plain[-1] + ("色" if is_cjk(plain[-1]) else ""), False)
    found = []
    for word in named:  # ("黑色和白色都有吗": each)
        same = in_either_language([word])
        shades = [v for v in values if any(w in v.casefold() for w in same)]
        word = word + "色" if is_cjk(word) and not word.endswith("色") else word
        # "有蓝色吗" of 天空蓝: the shade by its own name, which is what the shopper picks.
        if not shades:
            return word, False
        found.append("、".join(shades) if is_cjk(word) else f"{word} ({', '.join(shades)})")
    return ("、".join(found) if is_cjk(q) else ", ".join(found), True) if found else None
