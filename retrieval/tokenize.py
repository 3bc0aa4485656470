"""Tokens for BM25: jieba words for Chinese, lower-cased words for English."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)
# Shopping words jieba's general dictionary splits (双十一 → 双十 / 一, 运费险 → 运费 / 险能).
jieba.load_userdict(str(Path(__file__).with_name("data") / "shop_words.txt"))

# Shoppers' pinyin shorthand and the word each stands for (bot/shorthand.py reads a Chinese
# message with them). Those that are no English word are also folded here, in any text, into
# the word the knowledge base uses; so are digits inside Chinese words (replaced before
# splitting, as the split separates scripts).
SHORTHAND = {
    "kd": "快递", "sf": "顺丰", "yfx": "运费险", "jd": "京东", "zt": "中通", "yt": "圆通", "yd": "韵达", "st": "申通",
    "by": "包邮", "fp": "发票", "tk": "退款", "th": "退货", "hh": "换货", "wl": "物流", "kf": "客服",
}
ALIASES = {k: SHORTHAND[k] for k in ("yfx", "sf", "jd")}
# Invoice kinds as shoppers clip them (专票, 普票) and as policies spell them out (增值税专用发票):
# one word, so "专票呢" is held by the 专用发票 sentence and not by a row that only says 发票.
ALIASES.update({"专用发票": "专票", "普通发票": "普票"})
# Price protection as shoppers clip it (价保) and as policies head it (价格保护).
ALIASES["价格保护"] = "价保"
_MIXED_ALIASES = re.compile(r"双\s*1([12])")

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:['.][a-z0-9]+)*")

# Function words that carry no meaning for matching a question to an answer.
_ZH_STOP = set("的 了 吗 呢 吧 啊 呀 哦 嘛 么 是 我 你 您 他 她 它 们 这 那 个 也 就 都 还 在 有 和 与 及 或 请 问 一下 一个 可以 能 会 要 想 怎么 怎样 什么 如何 多少 为什么 哪 哪些 哪里 么".split())
_EN_STOP = set(
    """a an the and or but if of at by for with about to from in on into over under is are was were be been being
    am do does did i me my we our you your he she it its they them their this that these those there here what which
    who whom how why when where can could would should will shall may might must have has had please pls plz hi hello
    so than too very just not no any some all get got whats what's one ones""".split()
)


# Verbs too common to say what a question is about ("能用吗", "要买两个", "拍下几天发", "能寄海南吗",
# "几岁能玩"), and negations.
_PLAIN_VERBS = set("是有说到来要去可能会出看使想见起如没走做让叫无即在用给得过为把被比等像算需请找拿干弄搞行买卖下上发收开放带加"
                   "拍寄送邮玩戴穿吃喝未不非")
# Service verbs jieba's dictionary tags as something else (换 is "nz" there).
_SERVICE_VERBS = set("换")


@lru_cache(maxsize=4096)
def action_character(char: str) -> bool:
    """A verb said as one character that names the service asked (退, 换, 修, 洗, 拆, 刻): alone
    it is the whole topic of "没拆的能退吗", though the shop writes it inside words (退货, 拆封)."""
    import jieba.posseg

    return len(char) == 1 and char not in _PLAIN_VERBS and (char in _SERVICE_VERBS or jieba.posseg.dt.word_tag_tab.get(char) == "v")


def words_holding(char: str, vocabulary: Mapping[str, int], most: int = 3) -> list[str]:
    """The shop's commonest words that hold an action character (退: 退货, 退款): what a
    question saying it alone is searched with beside it."""
    holding = [w for w in vocabulary if len(w) in (2, 3) and char in w]
    return sorted(holding, key=lambda w: (-vocabulary[w], w))[:most]


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    text = _MIXED_ALIASES.sub(lambda m: "双十一" if m.group(1) == "1" else "双十二", text.lower())
    for match in _TOKEN.finditer(text):
        piece = match.group(0)
        if piece[0].isascii():
            word = ALIASES.get(piece) or _stem(piece)
            if piece not in _EN_STOP and word not in _EN_STOP:  # it's → it: a function word still
                tokens.append(word)
        else:
            tokens.extend(ALIASES.get(t, t) for t in map(_without_modal, jieba.lcut_for_search(piece)) if t not in _ZH_STOP)
    return tokens


_MODALS = set("想能")  # not 要/可/会: 要求, 可靠, 会议 are words of their own
# The after-sale services every shop has its own rules for: exchange, return, repair, change,
# reissue, reduce. (Not every verb: "能装" / "能烧" ask what a product can do, not a service.)
_AFTER_SALE_VERBS = set("换退修改补减")


def _without_modal(word: str) -> str:
    """想换 / 能修 / 想改 are the service asked (换, 修, 改) after a modal that says nothing:
    jieba keeps some as one word, others (能退, 想退货) it splits."""
    if len(word) == 2 and word[0] in _MODALS and word[1] in _AFTER_SALE_VERBS:
        return word[1]
    return word


# Plurals not made with 's' (men's pajamas, children's shoes, feet measured).
_IRREGULAR_PLURALS = {"men": "man", "women": "woman", "children": "child", "feet": "foot", "teeth": "tooth",
                      "knives": "knife", "leaves": "leaf", "shelves": "shelf", "mice": "mouse", "geese": "goose"}


def _stem(word: str) -> str:
    """A deliberately tiny stemmer: plural 's' only (returns→return, days→day), and the
    possessive 's (men's→men, kid's→kid: not a word of its own)."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and not word[-2].isdigit():
        return word[:-1]
    return word
