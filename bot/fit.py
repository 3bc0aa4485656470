"""Whether one thing fits another, read from what the record itself says it fits.

"热床组件lite能用不", "does this fit the M227fdw?", "我穿46码能用吗": a part, refill, accessory
or size range asked of a model or a figure. The record says what it fits (适用机型, 适配,
compatible_with, a note's "仅适配G16 不适配G13"); the answer is a yes or no only when that
statement decides it, quoted beside it. Otherwise nothing: the caller answers as before or
declines.

A model is read as a code and its edition ("13 Pro" is 13 + pro, "X20标准版" is x20 + the
standard edition): a model not among those listed, of a listed model's series or under a
statement that says 仅/only, does not fit. A kind of thing ("复合弓") fits when the statement
names it only as fitting, and not when it names it only as not; a size ("46码", "50mm") is
read against the statement's range in its unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jieba

from bot.catalog import fact_sentence
from bot.question import ANY_UNIT, ranges_stated

# The question asks whether it fits, works with or can be used with something.
_FIT_ASKED = re.compile(r"(?:能|可以|可|能不能|可不可以)\s*(?:用|装|配|接|套|插)|用得了|装得[上下进]|配得上|适用|适配|兼容|通用|"
                        r"\bfits?\b|\bwork(?:s)?\s+(?:with|on|for)\b|compatible|\bgo(?:es)?\s+(?:with|on)\b|\bsuit(?:s|able)?\b",
                        re.IGNORECASE)
# A fact key that says what the product fits (适用机型, 适配, 兼容性, compatible_with, 不适用).
_FIT_KEY = re.compile(r"^(?:仅|只)?(?:适用|适配|兼容|通用)|^不(?:适用|适配|兼容)|compatib|^fits?\b|^suitable", re.IGNORECASE)
# Inside any fact's value: a clause that says what fits, or does not ("仅适配G16 不适配G13").
_FIT_CLAUSE = re.compile(r"(?:仅|只)?(?:适配|适用于?|兼容|用于)|compatible with|fits\b|only for", re.IGNORECASE)
_OPEN_ENDED = re.compile(r"以上|以后|之后|及更新|等|通用|全系|系列|多数|大部分|and (?:later|above|newer)|or (?:later|newer)|\+|etc|most|series|all\b",
                         re.IGNORECASE)
# Where a title starts saying what it fits ("… 适用M203d M227fdw", "Case for iPhone 15"); a
# leading 兼容 says a cartridge is a third party's, not what it fits.
_TITLE_FIT = re.compile(r"适用|适配|专用于|\bfor\b|\bfits\b", re.IGNORECASE)
_ONLY = re.compile(r"仅|只|only|exclusively", re.IGNORECASE)
_NOT_FIT = re.compile(r"(?:不适配|不适用于?|不兼容|不支持|不能用于?|not (?:compatible with|for|fit)|doesn't fit|excluding|except)\s*([^，。；;,)）\n]*)",
                      re.IGNORECASE)
_EXCEPT = re.compile(r"([^，。；;,、（(\n]*?)\s*除外")

# Edition words after a model code ("13 Pro", "X20 Pro+", "Mate60标准版"); the standard words
# name the model without an edition.
_EDITIONS = r"pro\+|pro|max|mini|lite|plus|ultra|air|se|s|e"
_STANDARD = r"标准版|标准款|普通版|基础版|regular|standard|base"
_EDITION = re.compile(rf"\s*(?:({_EDITIONS})(?![a-z])|({_STANDARD}))", re.IGNORECASE)
# A model code: letters and digits with a digit ("p1", "13", "m227fdw", "air3s"), not a
# measure ("6.1英寸", "2片装", "12V"); a series word before digits belongs to it ("Air 3S").
_CODE = re.compile(r"(?<![a-z0-9.])((?:(?:air|mini|max|pro|lite|plus|nano|go)\s*(?=\d))?[a-z]{0,12}\d+(?:\.\d+)?[a-z0-9]*)", re.IGNORECASE)
_A_MEASURE = re.compile(r"\d+(?:\.\d+)?(?:cm|mm|m|kg|g|ml|l|w|kw|v|a|ah|mah|wh|gb|tb|mb|hz|khz|mhz|ghz|k|p|inch|in|ft|pcs|x)", re.IGNORECASE)
# After a bare number: a range's end, a unit or a counter ("35-45码", "6.1英寸", "2片装", "2025年").
_MEASURED = re.compile(rf"\s*(?:(?:-|~|～|—|到|至)\s*\d|{ANY_UNIT}|[片个只件支袋包盒瓶张套节条根年月天日号次期元块折%])", re.IGNORECASE)
_GLUED_EDITION = re.compile(r"(?<=\d)(?:pro\+?|max|mini|lite|plus|ultra)$")
# An edition word alone ("热床组件lite能用不", "我是mate60不是pro"): the shopper's model is of the
# listed one's series.
_LONE_EDITION = re.compile(rf"(?<![a-z0-9])(?:(pro\+|pro|max|mini|lite|plus|ultra)(?![a-z])|({_STANDARD}))", re.IGNORECASE)
_DENIED = re.compile(r"(?:不是|并非|not|isn't|not the)\s*$", re.IGNORECASE)
# Words of a question that name no thing it may be asked to fit.
_ASKING = {"可以", "能否", "是否", "请问", "这个", "那个", "这款", "那款", "我家", "我的", "你们", "你家", "一下"}


@dataclass(frozen=True)
class Model:
    code: str  # "p1", "13", "m227fdw"; "" for an edition named alone
    edition: frozenset[str]  # {"pro"}; empty for the standard one
    said: str = ""  # as written

    def same_code(self, other: Model) -> bool:
        """"iPhone 13" and "13" are one code; "m227d" and "m227fdw" are two."""
        a, b = self.code, other.code
        if a == b:
            return True
        if not a or not b:
            return False
        lead_a, lead_b = re.match(r"[a-z]*", a).group(), re.match(r"[a-z]*", b).group()
        # (a brand's word before the digits may be left out, not a model letter: "m2" is not "2")
        return (not lead_a or not lead_b) and len(lead_a + lead_b) >= 2 and a[len(lead_a):] == b[len(lead_b):]

    def is_(self, other: Model) -> bool:
        return self.same_code(other) and self.edition == other.edition


def models(text: str) -> list[Model]:
    """The model codes a text names, each with the edition written after it."""
    written, text = text, text.casefold()  # (the same length for the letters a code is written in)
    found: list[Model] = []
    for m in _CODE.finditer(text):
        code = re.sub(r"\s+", "", m.group(1))
        edition: set[str] = set()
        if (glued := _GLUED_EDITION.search(code)) is not None:
            code, edition = code[:glued.start()], {glued.group()}  # "13pro": 13 + pro
        if _A_MEASURE.fullmatch(code) or (re.fullmatch(r"[\d.]+", code) and _MEASURED.match(text, m.end())):
            continue  # "50mm", "35-45码", "2片装": a size or a count, not a model
        end = m.end()
        while (e := _EDITION.match(text, end)) is not None:
            if e.group(1):
                edition.add(e.group(1))
            end = e.end()
        found.append(Model(code, frozenset(edition), written[m.start():end].strip()))
    return found


@dataclass
class FitStatement:
    key: str
    value: str
    fits: list[Model]
    excluded: list[Model]
    only: bool
    ranges: list[tuple[str, float, float]]  # (unit, low, high) of a size range it fits
    fitting: str = ""  # the text of what it fits, and of what it does not
    unfitting: str = ""


def fit_statements(facts: dict) -> list[FitStatement]:
    """What the record says the product fits: its 适用/适配/兼容 keys, and the fit clauses
    of its other values (a note's "仅适配JC-HM01，不适配儿童款JC-HM02")."""
    out = []
    for key, value in facts.items():
        key, text = str(key), str(value)
        if _FIT_KEY.search(key):
            negative = key.startswith("不")
        elif _FIT_CLAUSE.search(text) or _NOT_FIT.search(text):
            negative = False
        else:
            continue
        excluded_text = " ".join(m.group(1) for m in _NOT_FIT.finditer(text)) + " " + " ".join(m.group(1) for m in _EXCEPT.finditer(text))
        fitting = _EXCEPT.sub(" ", _NOT_FIT.sub(" ", text))
        if negative:
            excluded_text, fitting = f"{excluded_text} {fitting}", ""
        out.append(FitStatement(key, text, models(fitting), models(excluded_text), bool(_ONLY.search(key + text)),
                                [] if negative else ranges_stated(fitting), fitting.casefold(), excluded_text.casefold()))
    return [s for s in out if s.fits or s.excluded or s.ranges or s.unfitting.strip()]


@dataclass
class FitVerdict:
    fits: bool
    statement: FitStatement
    target: str  # the model or figure asked, as the shopper wrote it
    figure: bool = False  # a size asked against a range, not a model
    model: Model | None = None  # the model asked


def also_said(facts: dict, v: FitVerdict) -> list[tuple[str, str]]:
    """The record's other facts that speak of the model asked ("C200请选大号（暂未上架）"
    beside 适用机型 M21/M21 Pro/C100): said with the verdict."""
    if v.model is None:
        return []
    return [(str(k), str(value)) for k, value in facts.items()
            if str(k) != v.statement.key and any(v.model.is_(m) for m in models(str(value)))]


def asks_fit(text: str) -> bool:
    return _FIT_ASKED.search(text) is not None


def own_models(titles: list[str], sku: str) -> list[Model]:
    """What the product itself is: the models its titles and SKU name, its title's first; not
    those a title says it fits ("兼容惠普CF230A硒鼓 适用M203d M227fdw" is the CF230A's)."""
    return models(" ".join([_TITLE_FIT.split(title)[0] for title in titles] + [sku]))


def without_models(text: str) -> str:
    """The question without the models and editions it names, nor its fit words: what else it
    speaks of (the product it asks about, a word its record may not explain)."""
    return _FIT_ASKED.sub(" ", _LONE_EDITION.sub(" ", _CODE.sub(" ", text.casefold())))


def target_models(text: str, own: list[Model]) -> list[Model]:
    """The models the question names that are not the product's own ("13的钢化膜13pro能用吗":
    13 Pro, the film being the 13's). An edition named alone takes the product's own code
    ("热床组件lite" of the P1 Pro's part: the P1 Lite); one denied ("不是pro") is no target.
    ``own``: the product's models, its title's first."""
    text_models = [m for m in models(text) if not _denied(text.casefold(), m.said.casefold())]
    found = [m for m in text_models if not any(m.is_(o) for o in own)]
    if found or text_models:
        return found
    coded = [o for o in own if o.code]
    if not coded:
        return []
    out = []
    lowered = text.casefold()
    for e in _LONE_EDITION.finditer(lowered):
        if _denied(lowered[:e.start()], "") or any(m.said.casefold().find(e.group(0)) >= 0 for m in text_models):
            continue
        edition = frozenset({e.group(1)}) if e.group(1) else frozenset()
        series = _EDITION.sub("", coded[0].said).strip()  # "P1 Pro" → "P1"
        model = Model(coded[0].code, edition, f"{series} {text[e.start():e.end()]}")
        if not any(model.is_(o) for o in own):
            out.append(model)
    return out


def target_words(text: str, names: list[str]) -> list[str]:
    """The Chinese words of the question that its product's names do not hold: what it may
    be asked to fit ("弓弦复合弓能用吗" of the bow string: 复合弓)."""
    named = "".join(names).casefold()
    rest = without_models(text)
    return [w for w in jieba.lcut(rest) if re.fullmatch(r"[\u4e00-\u9fff]{2,}", w) and w not in named and w not in _ASKING]


def _denied(text: str, said: str) -> bool:
    at = text.find(said) if said else len(text)
    return at >= 0 and _DENIED.search(text[:at]) is not None


def verdict(targets: list[Model], figures: list[tuple[str, float, str]], statements: list[FitStatement],
            words: list[str] = ()) -> FitVerdict | None:
    """The record's yes or no for the first target it decides; a model is checked against
    what is excluded, then what is listed, then the list's series and its 仅; then the
    words naming a kind of thing (``target_words``), then the sizes given."""
    for target in targets:
        for s in statements:
            if any(target.is_(e) for e in s.excluded):
                return FitVerdict(False, s, target.said, model=target)
        for s in statements:
            if any(target.is_(f) for f in s.fits):
                return FitVerdict(True, s, target.said, model=target)
        for s in statements:
            if s.fits and (s.only or any(target.same_code(f) for f in s.fits)):
                return FitVerdict(False, s, target.said, model=target)
        listing = [s for s in statements if s.fits and _FIT_KEY.search(s.key)]
        if len(listing) == 1 and not _OPEN_ENDED.search(listing[0].value):
            # Models listed and the one asked not among them ("适用机型：V12", asked of the V8):
            # a list of models is the shop's whole list, unless it says it goes on.
            return FitVerdict(False, listing[0], target.said, model=target)
    for word in words:
        # A kind of thing named ("复合弓"): the statement says it does not fit it, or that it
        # fits it and nowhere that it does not.
        for s in statements:
            if word in s.unfitting and word not in s.fitting:
                return FitVerdict(False, s, word)
        for s in statements:
            if word in s.fitting and word not in s.unfitting and _FIT_KEY.search(s.key):
                return FitVerdict(True, s, word)
    for unit, amount, said in figures:
        measured = [(s, low <= amount <= high) for s in statements for r_unit, low, high in s.ranges if r_unit == unit]
        if len({id(s) for s, _ in measured}) == 1 and len({fits for _, fits in measured}) == 1:
            # (two statements in its unit, or ranges that disagree: which one is asked is not said)
            return FitVerdict(measured[0][1], measured[0][0], said, figure=True)
    return None


def fit_reply(v: FitVerdict, title: str, en: bool) -> str:
    """The yes or no, then the record's statement as written."""
    s = v.statement
    said = fact_sentence(title, s.key, s.value, en)
    if v.figure:
        if en:
            return f"{'Yes' if v.fits else 'No'}, {v.target} is {'within' if v.fits else 'outside'} it. {said}"
        return f"{'可以' if v.fits else '不行'}，{v.target}{'在' if v.fits else '不在'}范围内。{said}"
    if en:
        return f"Yes, it fits the {v.target}. {said}" if v.fits else f"No, it is not compatible with the {v.target}. {said}"
    return f"可以用，适配{v.target}。{said}" if v.fits else f"不适用{v.target}。{said}"
