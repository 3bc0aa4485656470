"""Place names in a question: where the parcel goes, not what the question is about.

"发广州几天到" asks the delivery time; 广州 is the destination it is asked for. A shop's
delivery FAQ names classes of places (江浙沪, 偏远地区, overseas) or a few of them (新疆、西藏),
so a city the shop never wrote is no sign that the question is about something else, as
微信 next to an Alipay FAQ is. ``place_words`` finds the question's place names (countries
from pycountry in English and Chinese, China's provinces and cities from jieba's own
dictionary, where "X市" / "X省" is a place and X is tagged a place name) and
``speaks_of_places`` says whether a candidate answer speaks of destinations by class, so
that any one place falls under it.
"""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

from pypinyin import lazy_pinyin

from retrieval.tokenize import tokenize

# Words by which an answer speaks of where parcels go (or don't).
_REGIONS = re.compile(
    r"地区|省份|各省|全国|国内|海外|境外|港澳台|大陆|内地|偏远|城市|同城|本地|乡镇|直邮|"
    r"overseas|international|mainland|countr(y|ies)|regions?\b|provinces?\b|abroad|worldwide|domestic|nationwide",
    re.IGNORECASE)
_SUFFIXES = ("特别行政区", "自治区", "省", "市")


@lru_cache(maxsize=1)
def _chinese_places() -> frozenset[str]:
    """China's provinces and cities: X where jieba's dictionary holds "X市" (or 省, 自治区,
    特别行政区) as a place name and X itself is tagged one (开封 is also "to unseal": a verb)."""
    import jieba
    import jieba.posseg

    jieba.initialize()
    tags = jieba.posseg.dt.word_tag_tab
    places = set()
    for word, tag in tags.items():
        if tag != "ns":
            continue
        for suffix in _SUFFIXES:
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and len(stem) >= 2 and tags.get(stem) == "ns":
                places.add(stem)
                places.add(word)
    return frozenset(places)


@lru_cache(maxsize=1)
def _countries() -> tuple[frozenset[str], frozenset[str]]:
    """(Chinese, English) country and territory names, from pycountry and its translations."""
    import pycountry

    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    chinese, english = set(), set()
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None)):
            if not name:
                continue
            if "," not in name:
                english.add(name.casefold())
            translated = zh.gettext(name)
            if translated != name:
                chinese.add(translated)
    return frozenset(chinese), frozenset(english)


@lru_cache(maxsize=1)
def _english_pattern() -> re.Pattern:
    _, english = _countries()
    # China's provinces and cities are written in pinyin in English ("Guangzhou", "Beijing").
    pinyin = {"".join(lazy_pinyin(p)) for p in _chinese_places() if len(p) >= 2 and not p.endswith(_SUFFIXES)}
    names = sorted(english | {p for p in pinyin if len(p) >= 5}, key=len, reverse=True)
    return re.compile(r"(?<![a-z])(" + "|".join(re.escape(n) for n in names) + r")(?![a-z])")


def warm() -> None:
    """Load the place names (jieba's tagged dictionary takes ~1.5 s): at start-up, off the turn."""
    _english_pattern()


@lru_cache(maxsize=1024)
def _place_names(text: str) -> tuple[str, ...]:
    """The place names of ``text`` (cached: ``place_words`` and ``names_other_places`` both read
    a candidate answer's)."""
    chinese, _ = _countries()
    cities = _chinese_places()
    found: list[str] = []
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        for token in tokenize(run):
            if len(token) >= 2 and (token in cities or token in chinese):
                found.append(token)
    return tuple(found + [m.group(1) for m in _english_pattern().finditer(text.casefold())])


@lru_cache(maxsize=1024)
def place_words(text: str) -> frozenset[str]:
    """The tokens of ``text`` (as ``tokenize`` cuts them) that belong to a place name (cached:
    each of a turn's candidates asks it of the same question)."""
    return frozenset(t for name in _place_names(text) for t in tokenize(name))


def speaks_of_places(text: str) -> bool:
    """Whether an answer speaks of destinations by class (偏远地区, 国内, overseas): naming
    a few places (新疆、西藏) says nothing of the others."""
    return bool(_REGIONS.search(text))


# An answer that leaves some places out without naming them all ("满49元包邮（偏远地区除外）"):
# of a place the shop never wrote, it cannot say whether it is one of them.
_EXCEPTED = re.compile(r"除外|以外地区|不参与包邮|不包邮|\b(except|excluding|excluded)\b", re.IGNORECASE)


def leaves_places_out(text: str) -> bool:
    """Whether an answer about destinations excepts some it does not all name."""
    return bool(_EXCEPTED.search(text))


# Words by which an answer gives the rule for every place it does not name, or says its
# list is all there is ("mainland China only", "仅发江浙沪").
_CATCH_ALL = re.compile(r"其他|其它|其余|大部分|大多数|多数|全国|仅|只(?:发|寄|送|支持|能|限)|"
                        r"\bother\b|\belsewhere\b|\brest of\b|\bonly\b|\bmost\b|\ball\b", re.IGNORECASE)


def names_other_places(text: str, places: frozenset[str]) -> bool:
    """Whether an answer lists the places it speaks of (two or more), none of them one asked
    about, and says nothing of the rest: "we ship to Hong Kong, Macau and Singapore" does
    not say Japan. (One place named is more often where the shop is than a list.)"""
    named = set(_place_names(text))
    return len(named) >= 2 and not place_words(text) & places and not _CATCH_ALL.search(text)
