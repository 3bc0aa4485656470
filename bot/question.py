"""Question analysis: what a shopper asks for, before anything is retrieved.

A question has a *thing* (a product, a payment method, a service) and an *ask*: a price,
a duration, a date, yes/no, a product attribute… An answer is only right when both match,
so the answerer checks the chosen knowledge against this analysis (bot/answerability.py).
The words are shop-neutral: attribute names come from the merchant's own catalog keys,
and this table only says which everyday words ask for which kind of fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import jieba
from jieba import posseg

Ask = Literal["price", "stock", "offer", "duration", "deadline", "date", "day", "time", "amount", "yes_no", "how", "where", "address", "which",
              "other"]


@dataclass(frozen=True)
class Attribute:
    name: str  # canonical name, also the English label
    zh: str  # Chinese label for replies
    cues: tuple[str, ...]  # words in a question that ask for it
    keys: tuple[str, ...]  # words in a merchant's fact key that hold it


# Everyday words for product attributes (zh + en). A merchant's fact key matches an
# attribute when it contains one of ``keys``; any other key still matches when the question
# names it literally ("保质期多久" → the key 保质期).
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("price", "价格", ("多少钱", "价格", "价钱", "几块", "多钱", "售价", "啥价", "什么价", "怎么卖", "贵不贵", "贵吗", "咋卖",
                              "price", "cost", "how much", "expensive", "cheaper", "pricier"), ("价格", "售价", "price")),
    Attribute("stock", "库存", ("有货", "库存", "现货", "还有吗", "有没有货", "缺货", "断货", "卖完", "还有没", "有没有现货", "能买到", "没货",
                              "还剩", "剩几", "剩多少", "补货", "in stock", "available", "sold out", "stock", "out of stock", "restock", "back in stock",
                              "are left", "left in", "how many left", "any left"), ("库存", "stock")),
    Attribute("sizes", "尺码", ("尺码", "码数", "几码", "几个码", "什么码", "哪些码", "sizes", "what size"), ("尺码", "码", "size")),
    Attribute("colors", "颜色", ("颜色", "什么色", "几种色", "几个色", "几色", "哪些色", "啥色", "色号", "colour", "color", "shade"), ("颜色", "色", "color", "colour", "shade")),
    Attribute("material", "材质", ("材质", "面料", "材料", "料子", "什么料", "什么做的", "啥做的", "material", "fabric", "made of", "made from"),
              ("材质", "面料", "材料", "material", "fabric")),
    Attribute("weight", "重量", ("重量", "多重", "净重", "几斤", "多少克", "多少斤", "重不重", "净含量", "weight", "how heavy", "weigh"),
              ("重量", "净重", "毛重", "净含量", "自重", "单重", "裸重", "weight")),  # 自重: the thing's own weight (not 承重, 饵重)
    Attribute("capacity", "容量", ("容量", "容积", "多少ml", "毫升", "几升", "多少升", "capacity", "volume", "how many ml", "litre", "liter"),
              ("容量", "容积", "净含量", "capacity", "volume")),
    Attribute("dimensions", "尺寸", ("尺寸", "多大", "长宽高", "多高", "多长", "多宽", "多厚", "多粗", "粗细", "高度", "宽度", "长度", "直径",
                                   "dimension", "how big", "how tall", "how wide", "how thick", "how long is", "height", "width", "length",
                                   "thickness", "diameter"),
              ("尺寸", "长宽高", "直径", "粗细", "长", "宽", "高", "厚", "dimension", "size", "height", "width", "length", "diameter")),
    Attribute("shelf_life", "保质期", ("保质期", "过期", "放多久", "能放多久", "shelf life", "expire", "expiry", "best before"),
              ("保质期", "shelf")),
    Attribute("origin", "产地", ("产地", "哪里产", "哪产", "原产", "哪里生产", "哪个国家", "哪国", "origin", "made in", "where is it made",
                               "where is it from", "which country"),
              ("产地", "原产", "origin")),
    Attribute("ingredients", "配料", ("配料", "成分", "原料", "添加剂", "ingredient", "contain"), ("配料", "成分", "原料", "ingredient")),
    Attribute("brand", "品牌", ("品牌", "牌子", "brand"), ("品牌", "brand")),
    Attribute("power", "功率", ("功率", "多少瓦", "几瓦", "瓦数", "多少w", "power", "watt", "wattage"), ("功率", "瓦", "power", "watt")),
    Attribute("battery", "续航", ("电池", "续航", "待机", "battery"), ("电池", "续航", "battery")),
    Attribute("noise", "噪音", ("噪音", "噪声", "声音大", "声音响", "吵不吵", "吵吗", "分贝", "noise", "noisy", "loud", "quiet"),
              ("噪音", "噪声", "分贝", "静音", "noise")),
    Attribute("temperature", "温度", ("温度", "几度", "多热", "多烫", "耐温", "耐热", "耐高温", "耐多少度", "temperature", "how hot", "how warm"),
              ("温度", "耐温", "耐热", "temperature")),  # (how hot it takes: 耐温 -20℃~120℃)
    Attribute("warranty", "保修", ("保修", "质保", "warranty", "guarantee"), ("保修", "质保", "warranty")),
    Attribute("age", "适用年龄", ("适用年龄", "几岁", "月龄", "多大年龄", "age"), ("年龄", "月龄", "age")),
    Attribute("flavor", "口味", ("口味", "味道", "什么味", "flavour", "flavor", "taste"), ("口味", "味", "flavor", "flavour")),
    Attribute("storage", "储存方法", ("怎么保存", "储存", "存放", "怎么放", "冷藏", "storage", "how to store", "store it"),
              ("储存", "保存", "存放", "storage")),
    Attribute("servings", "份量", ("几人份", "份量", "几个人吃", "serving"), ("份", "serving")),
    Attribute("load", "承重", ("承重", "能承受", "多重的人", "能装多重", "装多重", "能坐多重", "能放多重", "最多装", "load", "hold up to",
                             "weight limit", "how much weight", "max weight", "weight capacity"), ("承重", "load")),
    Attribute("author", "作者", ("作者", "谁写的", "author", "written by", "who wrote"), ("作者", "author")),
    # 页产量 / page yield: how many pages a cartridge or ribbon prints (a book's pages are 页数).
    Attribute("pages", "页数", ("页数", "多少页", "几页", "pages", "page count", "page yield"), ("页数", "页", "页产量", "pages", "yield")),
    Attribute("publisher", "出版社", ("出版社", "publisher", "published by"), ("出版", "publisher")),
    # Which options it is sold in, asked as such ("有几种规格", "有哪几款"): its options, each with
    # its price; a bare 规格 ("同一规格降价") asks nothing of them.
    Attribute("options", "规格", ("几种规格", "哪些规格", "什么规格", "啥规格", "规格有哪些", "几个规格", "几种款", "哪几款", "有几款",
                                "几个版本", "哪些版本", "几种型号", "哪些型号", "what options", "which options", "how many options",
                                "what versions", "which versions", "what variants"), ("规格", "款式", "版本", "型号", "options")),
)
ATTRIBUTE_BY_NAME = {a.name: a for a in ATTRIBUTES}

# What a promotion gives ("双12有啥活动", "满多少减多少", "打几折"): answered by the offer itself
# (满300减40, 9折, a coupon, a gift), not by the event's dates or a rule about it.
_OFFER = re.compile(r"(有|是)(啥|什么|哪些)(活动|优惠|福利)|有(没有)?(活动|优惠|福利)(吗|没|不|么|$)|活动是(啥|什么)|满减(是|有)?(多少|怎么算|咋算)|满多少减|减多少|打几折|几折|"
                    r"\b(what|any) (deals|promotions?|discounts?|offers?)\b|how much (off|discount)", re.IGNORECASE)
# A time of day ("几点前下单能当天发", "what's the cutoff time"): answered by a clock time, not
# by "48小时内发货".
# Whether an order ships today asks the day's cut-off time ("下午5点拍的 今天能发不").
_SHIPS_TODAY = (r"(?:今天|当天|今日|今晚)\s*(?:还)?(?:能|可以|会)?\s*(?:发|寄出)|"
                r"\b(?:ship|dispatch|send)(?:ped|s)?(?: out| it)? (?:today|the same day|same day)\b")
_TIME = re.compile(r"几点|什么时间点|what time|cut-?off|截单|" + _SHIPS_TODAY, re.IGNORECASE)
# A spending threshold ("满多少包邮", "how much to get free shipping"): answered by an amount
# of money, not by any figure ("18K金商品发顺丰").
_THRESHOLD = re.compile(r"满多少|多少钱?(才|可以|能)?(包邮|免邮|起送|发顺丰|免运费)|how much .*\b(for|to get|to qualify for) free", re.IGNORECASE)
# Time gone by and "still" ("收货4个月了还能开发票吗", "bought it 2 months ago, can I still return it"):
# whether it is too late, answered by a time limit, not by how long the service takes.
_ELAPSED = re.compile(r"([\d一二两三四五六七八九十半几]+\s*(个)?\s*(天|周|星期|月|年)(多|左右)?了|上半年|去年|上个?月|半年前|几个月前|"
                      r"\b\d+\s*(days?|weeks?|months?|years?) (ago|later)\b|\blast (month|year)\b)", re.IGNORECASE)
_STILL = re.compile(r"还(能|可以|可|行|保|在保|来得及|有效)|\bstill\b", re.IGNORECASE)
_DURATION = re.compile(r"几天|多久|多长时间|多少天|几个小时|几小时|how long|how many days|how soon|when will .* (arrive|ship)")
_DATE = re.compile(r"(?:什么|啥)时候|哪天|几号|几月|日期|截止|when\b|what date|which day")
_AMOUNT = re.compile(r"多少|几个|几件|几次|how many|how much")
_WHERE = re.compile(r"哪里|哪儿|在哪|where")
# An address asked for ("工厂地址发下", "退货地址是哪", "what's the return address"): answered by
# one (a street and number, a building), not by "请寄到工厂" (not 能改地址吗, which asks a yes or no).
_ADDRESS = re.compile(r"地址\s*(?:是|在|呢|发|给|告诉|多少)|(?:什么|哪个|啥)地址|\b(?:what|which)(?:'s| is)? (?:the |your )?"
                      r"(?:\w+ )?address\b|\baddress (?:to|for) (?:send|return|ship|mail)", re.IGNORECASE)
_AN_ADDRESS = re.compile(r"\d+\s*(?:号|栋|幢|室|弄|楼)|[路街巷道]\s*\d|(?:路|街|大道|镇|园区|大厦|广场)[\u4e00-\u9fff\d]{0,12}\d|"
                         r"\b\d+\s+\w+(?:\s\w+)?\s+(?:road|rd|street|st|avenue|ave|lane|drive)\b|\b(?:no\.|room|building)\s*\d|"
                         # or where the shop shows it ("审核通过后页面会显示退货地址")
                         r"地址\s*[:：]|地址(?:是|为)(?!准)|显示[^，。]{0,8}地址|地址[^，。]{0,4}显示|\baddress\s*:|"
                         r"\baddress\b[^.]{0,40}\b(?:is|will be) (?:shown|displayed|listed)|\b(?:shows?|displays?|lists?) (?:the |our )?(?:\w+ )?address",
                         re.IGNORECASE)
_WHICH = re.compile(r"哪个|哪款|哪种|哪些|which")
_HOW = re.compile(r"怎么|如何|咋|怎样|how (do|can|to|should)")
_YES_NO = re.compile(r"吗[？?]?(\s|$)|能不能|可不可以|可以不|有没有|是不是|会不会|支不支持|行不行|能否|是否|不[？?]?\s*$|没有?[？?]?\s*$|"
                     r"^(can|could|do|does|did|is|are|will|would|should|have|has)\b", re.IGNORECASE)
# Questions that lean on the conversation ("那蓝色的呢", "重量呢", "and in white?").
# "这个", "this" anywhere point at the product in view ("is this bottle …").
_ELLIPTICAL = re.compile(r"^(那|那么|那个|它|还有)|这个|这款|这件|这种|呢[？?]?\s*$|^(and|what about|how about|is it|does it|it)\b"
                         r"|\b(this|these|it|them)\b", re.IGNORECASE)  # ("do you have it in 10m?": the one just discussed)

# Everyday colour words: a yes/no question naming one is checked against the listed colours.
COLOUR_WORDS = ("黑", "白", "红", "蓝", "绿", "黄", "紫", "粉", "灰", "棕", "咖", "米", "橙", "金", "银", "卡其", "藏青", "black", "white",
                "red", "blue", "green", "yellow", "purple", "pink", "grey", "gray", "brown", "beige", "orange", "gold", "silver", "navy")
# The same colour in the other language: "does it come in black?" of a product sold in 黑色.
_COLOUR_PAIRS = (("黑", "black"), ("白", "white"), ("红", "red"), ("蓝", "blue"), ("绿", "green"), ("黄", "yellow"),
                 ("紫", "purple"), ("粉", "pink"), ("灰", "grey"), ("灰", "gray"), ("棕", "brown"), ("咖", "brown"),
                 ("米", "beige"), ("橙", "orange"), ("金", "gold"), ("银", "silver"), ("藏青", "navy"))
COLOUR_TRANSLATIONS: dict[str, set[str]] = {}
for _zh, _en in _COLOUR_PAIRS:
    COLOUR_TRANSLATIONS.setdefault(_zh, set()).add(_en)
    COLOUR_TRANSLATIONS.setdefault(_en, set()).add(_zh)


@dataclass
class Question:
    text: str
    ask: Ask
    attributes: list[str] = field(default_factory=list)  # canonical attribute names asked for
    elliptical: bool = False  # leans on the conversation's focus


# "四人位呢", "红玛瑙的呢", "and the hardcover?", "what about the wired one": the question before
# it again, about another thing.
_SAME_ASK = re.compile(r"呢[？?]?\s*$|^(and|what about|how about)\b", re.IGNORECASE)


def asks_as_before(text: str) -> bool:
    """"四人位呢", "and the hardcover?": a follow-up asking again what the question before asked."""
    return bool(_SAME_ASK.search(text.strip()))


# What a follow-up that only names a thing may open with, and what says it is more than that:
# a question word, a modal, an aspect or a negation ("怎么还没发货呢" asks something new).
_THEN = re.compile(r"^(那么|那个|那|还有|and|what about|how about)\s*", re.IGNORECASE)
_MORE_THAN_A_THING = set("什么 啥 哪 哪里 哪个 怎么 怎样 咋 为什么 为啥 几 多少 多久 多大 吗 了 没 没有 不 能 会 要 想 可以 还 "
                         "why when where how can could is are do does did not".split())


# "5个人" counts people as "5人" does; jieba reads 个人 (personal) out of it, which names the
# 个人写真 of a studio that sells a 4-5人档.
_PEOPLE_COUNTED = re.compile(r"([0-9]+|[二两三四五六七八九十几]+)个人")  # (一个人 is often "alone": 一个人搬得动不)


def as_counted(text: str) -> str:
    """The text with people counted as a shop writes them ("5个人的呢" → "5人的呢")."""
    return _PEOPLE_COUNTED.sub(r"\1人", text)


def names_only_another_thing(text: str) -> bool:
    """"智能手表呢" after "机械表保修几年", "what about the hardcover?": a follow-up that names
    another thing and nothing else, so it asks exactly what the question before asked."""
    thing = thing_named(text)
    return 0 < len(thing) <= 24 and not _MORE_THAN_A_THING.intersection(jieba.lcut(thing.casefold()))


def thing_named(text: str) -> str:
    """What a "X呢" / "and the X?" follow-up names ("那个粉呢" → 粉); "" for any other message."""
    text = text.strip()
    return _THEN.sub("", _SAME_ASK.sub("", text).strip()).strip(" ?？") if asks_as_before(text) else ""


# Attributes named by a part of the product (a battery has a warranty of its own).
_PART_ATTRIBUTES = {"battery"}


def with_earlier_ask(question: Question, earlier: str | None, names_a_fact: Callable[[str], bool] | None = None,
                     asks_a_fact: Callable[[str], bool] | None = None) -> Question:
    """A follow-up that names only another thing asks what the question before it asked. A
    colour named alone ("黑色的呢" after "纯棉t恤多少钱") is that other thing: the black
    one's price, not whether it comes in black. ``names_a_fact``: whether a question names a
    fact of the product in focus ("遮光率多少" asked its 遮光率, not its price); ``asks_a_fact``:
    whether the follow-up itself asks one ("and the deposit?" → 押金; a Chinese "内胆呢" names
    the part whose warranty was asked, so only English follow-ups are read so)."""
    colour_alone = question.attributes == ["colors"] and not colour_asked(question.text)
    # "电池呢" after "电脑表保修多久": the battery is a part, whose warranty is asked, not its life.
    part_alone = bool(question.attributes) and set(question.attributes) <= _PART_ATTRIBUTES
    if not earlier or not asks_as_before(question.text) or (question.attributes and not colour_alone and not part_alone):
        return question
    if asks_a_fact and not question.attributes and asks_a_fact(question.text):
        return question  # "and the deposit?" after the rental's price asks its 押金, not the price again
    before = analyse(earlier)
    if part_alone and before.attributes != ["warranty"]:
        return question
    if not before.attributes and BARE_HOW_MUCH.search(before.text) and not (names_a_fact and names_a_fact(before.text)):
        before = Question(text=before.text, ask="price", attributes=["price"])  # "德比鞋多少" asked its price
    if not before.attributes or (colour_alone and "colors" in before.attributes):
        return question
    return Question(text=question.text, ask=before.ask, attributes=list(before.attributes), elliptical=True)


# "大不大", "贵不贵", "卖不卖": a yes/no question asked by saying the word twice around 不 or 没
# ("一动不动" is an idiom, and 有没有 / 是不是 / 会不会 / 能不能 / 要不要 are asking words as they are).
_A_NOT_A = re.compile(r"(?<!一)([\u4e00-\u9fff]{1,2})([不没])\1")
_ASKING_AS_THEY_ARE = {"有没有", "是不是", "会不会", "能不能", "要不要"}


def as_yes_no(text: str) -> str:
    """"电动卷帘噪音大不大" read as "电动卷帘噪音大吗": the repeated word asks, it names nothing
    the record could lack (jieba cuts it into 不大 and 大不大, two words no shop writes)."""
    for m in reversed(list(_A_NOT_A.finditer(text))):
        if m.group(0) in _ASKING_AS_THEY_ARE or asked_attributes(m.group(0)):
            continue  # "重不重" asks the weight: kept
        # "带不带pei板" asks "带pei板吗": the particle ends the clause the verb's object is in.
        end = next((i for i in range(m.end(), len(text)) if text[i] in " ，,。！!？?;；~～"), len(text))
        rest = text[m.end():end]
        text = text[:m.start()] + m.group(1) + re.sub(r"[吗啊呀哦呢嘛么]+$", "", rest) + "吗" + text[end:]
    return text


# A thing named with only "多少" after it ("德比鞋多少"): its price (its card, bot/catalog.py).
BARE_HOW_MUCH = re.compile(r"多少\s*[啊呀呢哦嘛?？!！~～]*\s*$")


# Tracking a refund ("退款到哪了 琴寄回去都三天了", "I'm still waiting for my refund, sent the
# desk back last week") asks one thing of every shop, however the story around it goes: how
# long a refund takes. The story's words (desk, last week, 寄回去) are no topic of the shop's.
_REFUND_STATUS = re.compile(
    r"退款.{0,6}(到哪|进度|还没到|没到账|还没收到|怎么还没)|(钱|款).{0,4}(怎么|咋)?还没(退|到)|还没退(钱|款)|(钱|款).{0,3}(啥|什么)时候(退|到)"
    r"|waiting (for|on) (my|the|a) refund|where('s| is) my refund|(haven'?t|have not|didn'?t|did not) (got|get|received|receive) (my|the|a) refund"
    r"|refund (hasn'?t|has not|didn'?t|did not|not yet) (arrived|come|shown|been)|status of my refund|refund status",
    re.IGNORECASE)
REFUND_STATUS_QUESTION = {"zh": "退款多久到账？", "en": "How long does a refund take?"}
# A parcel that arrived damaged ("花盆到了碎成两半了", "my ceramic pot arrived cracked") asks the
# shop's after-sale answer for damage in transit, however the damage is described.
_ARRIVED = re.compile(r"收到|到货|到了|签收|刚到|快递|包裹|拆开|开箱|\b(arrived|came|delivered|received|unboxed|got it)\b", re.IGNORECASE)
_DAMAGED = re.compile(r"破损|破了|碎了|碎成|压坏|压扁|压裂|裂了|裂缝|裂开|有个?裂|角裂|漏了|漏液|漏气|凹|磕|划痕|断了|坏了|变形"
                      r"|crack|broken|broke|crush|leak|dent|scratch|damaged|smashed|shattered|bent", re.IGNORECASE)
DAMAGE_QUESTION = {"zh": "收到的商品破损了怎么办？", "en": "What should I do if my order arrives damaged?"}
# The price fell after the purchase ("买完第三天就降价了"): the shop's price-protection answer.
# (Not 补差价 alone: "讲义能发sf吗 补差价也行" is the shopper offering to pay the difference.)
_PRICE_DROP = re.compile(r"降价|便宜了|价格降|退差价|保价|price (dropped|drop|went down|is lower|fell)|cheaper now|price protection",
                         re.IGNORECASE)
PRICE_DROP_QUESTION = {"zh": "买了以后降价了能补差价吗？", "en": "The price dropped after I bought it. Can I get the difference back?"}
# Tracking that stopped moving ("物流信息两天都没动了"): the shop's answer for stalled parcels.
_STALLED = re.compile(r"(物流|快递|包裹|单号).{0,8}(没动|不动|没更新|不更新|没变|停了|卡住|没有更新)"
                      r"|tracking.{0,20}(hasn'?t|has not|not|didn'?t|did not) (moved|updated|changed)|stuck in transit", re.IGNORECASE)
STALLED_QUESTION = {"zh": "物流信息好几天不更新怎么办？", "en": "My tracking hasn't updated for days. What should I do?"}
# Whether an order paid at some hour goes out today: the shop's same-day cut-off.
_PAID_TODAY = re.compile(_SHIPS_TODAY, re.IGNORECASE)
CUTOFF_QUESTION = {"zh": "几点前付款当天发货？", "en": "What is the cut-off time for same-day dispatch?"}


def as_asked(text: str, lang: str) -> str | None:
    """The question a refund being tracked comes down to (how long a refund takes): nothing
    else the message says is asked; None for any other message."""
    if _REFUND_STATUS.search(text):
        return REFUND_STATUS_QUESTION.get(lang, REFUND_STATUS_QUESTION["en"])
    return None


def plain_question(text: str, lang: str) -> str | None:
    """The shop's own question for a service request every shop answers, told as a story:
    a parcel that arrived damaged, a price that fell after the purchase, tracking that stopped
    moving, an order paid at some hour that should go out today. The story may still name a
    case the shop answers apart (a crushed box signed for), so the turn asks this only when
    the shopper's own words find no sure answer."""
    for asked, question in ((_ARRIVED.search(text) and _DAMAGED.search(text), DAMAGE_QUESTION),
                            (_PRICE_DROP.search(text), PRICE_DROP_QUESTION), (_STALLED.search(text), STALLED_QUESTION),
                            (_PAID_TODAY.search(text), CUTOFF_QUESTION)):
        if asked:
            return question.get(lang, question["en"])
    return None


def asked_attributes(text: str) -> list[str]:
    """The catalog attributes the text asks for, by their cue words."""
    return list(_asked_attributes(text))


@lru_cache(maxsize=4096)  # every stage of a turn asks it again of the same question and candidates
def _asked_attributes(text: str) -> tuple[str, ...]:
    q = text.lower()
    matched = {a.name: [c for c in a.cues if _has_cue(q, c)] for a in ATTRIBUTES}
    # The longer cue says what is asked: "能装多重" asks the load, not the weight its "多重" names.
    longest = [c for cues in matched.values() for c in cues]
    found = [name for name, cues in matched.items()
             if cues and not all(any(c != other and c in other for other in longest) for c in cues)]
    if "price" in found and matched["price"] == ["how much"] and _HOW_MUCH_OF.search(q):
        found.remove("price")  # "how much protein is in it": an amount of something, not money
    if "price" in found and matched["price"] == ["how much"] and _HOW_MUCH_NEEDED.search(q):
        found.remove("price")  # "how much JS coating do i need per sqm": an amount used, not money
    if "price" in found and matched["price"] == ["how much"] and _HOW_MUCH_DOES.search(q) and len(found) > 1:
        found.remove("price")  # "how much does it weigh": the weight, not money
    if "dimensions" in found and matched["dimensions"] == ["多大"] and _HOW_BIG_A.search(q):
        found.remove("dimensions")  # "适合多大的狗": the size of the dog, not of the product
    if "dimensions" in found and set(matched["dimensions"]) <= {"多大", "how big"} and HOW_BIG_A_PACK.search(q):
        found[found.index("dimensions")] = "capacity"  # "多大一袋", "how big is the tub": what a pack holds (净含量)
    if not found and _WHERE_FROM.search(q):
        found.append("origin")  # "where are these dates from?"
    if not found and _names_colour(q):
        found.append("colors")  # "有蓝色的吗", "does it come in black?"
    if not found and _HOW_MUCH_EACH.search(q):
        found.append("price")  # "多少一双", "这个多少": the price, as shoppers clip it
    return tuple(found)


# "多少" before "一双 / 一个", or after nothing but "this": the price. ("德比鞋多少" is priced
# by the catalog stage, which knows 德比鞋 is a product; "拉力多少" asks the pull.)
_HOW_MUCH_EACH = re.compile(r"多少\s*(钱\s*)?一\s*[个件双只瓶盒袋包套条支斤块张本对台]|^\s*(这|那)(个|款|件|双)?\s*多少\s*[啊呀呢哦嘛?？!！~～]*\s*$")


# "how much" asks the price when a verb or the thing priced follows it ("how much is the …",
# "how much for two"); followed by a noun it asks an amount of that ("how much protein").
_HOW_MUCH_OF = re.compile(r"\bhow much (?!(?:is|are|was|were|does|do|did|would|will|should|for|it|this|that|these|those|the|a|an|"
                          r"per|each|money|to|in|of|with|shipping|postage|delivery)\b)[a-z]{3,}")


# "where are these dates from?", "where does the tea come from": the origin.
# "how much does the chair weigh", "how much can it hold": the verb says what is asked.
_HOW_MUCH_DOES = re.compile(r"\bhow much (?:does|do|did|will|would|can|could)\b.*\b(?:weigh|hold|carry|contain|take)")
_HOW_MUCH_NEEDED = re.compile(r"\bhow much\b(?!.*\bto (?:pay|spend|add|top up)\b).*\b(?:do|does|would|will|should|shall) (?:i|we|you|one) (?:need|use)\b")
_WHERE_FROM = re.compile(r"\bwhere\b(?!.*\b(ship|send|sent|deliver|post|dispatch|mail)).*\bfrom\b")  # not where parcels leave from


# How big a pack is: what it holds.
HOW_BIG_A_PACK = re.compile(r"多大\s*一\s*[袋瓶罐包盒桶听]|一\s*[袋瓶罐包盒桶听]\s*(有)?多大|how big (?:is|are) (?:the|a|one|each) (?:tub|bottle|pack|packet|can|jar|pouch)s?\b")


# "多大的" + a noun asks the size of that thing ("多大的狗", "多大的房间"), not the product's.
_HOW_BIG_A = re.compile(r"多大的[\u4e00-\u9fff]")


def named_colours(text: str) -> list[str]:
    """The everyday colour words a (lower-cased) text names: 黑 as 黑色, black as a word."""
    return [word for word in COLOUR_WORDS if ((word + "色" in text) if not word.isascii() else re.search(rf"\b{word}\b", text))]


def in_either_language(colours: list[str]) -> set[str]:
    """The colour words and their translations ("brown" → 棕, 咖)."""
    return set(colours).union(*(COLOUR_TRANSLATIONS.get(word, ()) for word in colours))


# Words that ask "how much of a measure" without naming the measure: "海拔多高" asks the
# altitude's figure in the form a height is asked; 海拔 says what is measured.
_MEASURE_FORM = re.compile(r"多[高长宽厚粗大重深]|几度|how (big|tall|wide|thick|long is|heavy|deep)")


def asked_by_form_only(attribute: str, text: str) -> bool:
    """Every cue of ``attribute`` in the text is only a measure's form (多高, how tall)."""
    q = text.lower()
    cues = [c for c in ATTRIBUTE_BY_NAME[attribute].cues if _has_cue(q, c)]
    return bool(cues) and all(_MEASURE_FORM.fullmatch(c) for c in cues)


def asking_clause(text: str) -> str:
    """The clause a yes/no question asks in ("鹤鸣有XL吗 我腰围90" → 鹤鸣有XL吗); the whole
    text when no one clause does."""
    clauses = [c for c in re.split(r"(?<=[吗？?])\s+", text.strip()) if c]
    asking = [c for c in clauses if _YES_NO.search(c)]
    return asking[0] if len(clauses) > 1 and len(asking) == 1 else text


def colour_asked(text: str) -> bool:
    """The colours asked by a colour cue ("什么颜色", "what colours"), not a colour merely named."""
    return any(_has_cue(text.lower(), cue) for cue in ATTRIBUTE_BY_NAME["colors"].cues)


def _names_colour(text: str) -> bool:
    return bool(named_colours(text))


def _has_cue(text: str, cue: str) -> bool:
    if cue.isascii():
        # The word or its inflections (costs, priced, weighs), not a longer word it begins
        # (costume, agent, container, stockings).
        return re.search(rf"(?<![a-z]){re.escape(cue)}(?:s|es|d|ed|ing)?(?![a-z])", text) is not None
    if cue == "几块":
        # 块 counts money ("几块钱", "几块一袋", "这个几块啊") and pieces: "能接几块板" asks how many panels.
        # So does "一单能买几块" (after a verb that takes pieces).
        return re.search(r"几块(?:钱|一)|(?<![买接装放用拿带送配])几块(?:[啊呀呢哦嘛吧的？?]|[^\u4e00-\u9fff]|$)", text) is not None
    # Not the first half of an instrument's name: 温度计 and 温度表 are things (a thermometer),
    # not the temperature asked.
    return re.search(rf"{re.escape(cue)}(?![计仪表])", text) is not None


def analyse(text: str) -> Question:
    q = text.strip().lower()
    attributes = asked_attributes(q)
    if "price" in attributes:
        ask: Ask = "price"
    elif "stock" in attributes:
        ask = "stock"
    elif _OFFER.search(q):
        ask = "offer"
    elif _THRESHOLD.search(q):
        ask = "price"
    elif _TIME.search(q):
        ask = "time"
    elif _ELAPSED.search(q) and _STILL.search(q):
        ask = "deadline"
    elif _DURATION.search(q):
        ask = "duration"
    elif _DATE.search(q):
        ask = "day" if _STARTS_OR_ENDS.search(q) else "date"
    elif _ADDRESS.search(q):
        ask = "address"
    elif _WHERE.search(q):
        ask = "where"
    elif _WHICH.search(q):
        ask = "which"
    elif _YES_NO.search(q):
        ask = "yes_no"
    elif _HOW.search(q):
        ask = "how"
    elif _AMOUNT.search(q):
        ask = "amount"
    else:
        ask = "other"
    short = len(q) <= 8 if re.search(r"[\u4e00-\u9fff]", q) else len(q.split()) <= 5
    return Question(text=text, ask=ask, attributes=attributes, elliptical=bool(_ELLIPTICAL.search(q)) or short)


# What an answer must hold to answer an ask: a price needs money, a duration a span of time.
_MONEY = re.compile(r"[¥￥$]\s*\d|\d+(\.\d+)?\s*(元|块|rmb|yuan|usd|dollars?)|免费|包邮|free|不收|不要钱", re.IGNORECASE)
_SPAN = re.compile(r"\d+\s*(-|~|至|到)?\s*\d*\s*(个)?\s*(天|日|小时|h\b|分钟|秒|周|星期|个月|月|年|工作日|days?|hours?|minutes?|mins?\b|seconds?|weeks?|months?|years?|business days?)"
                   r"|[一二两三四五六七八九十半]+\s*(个)?\s*(天|小时|周|星期|个月|年)|当天|当日|次日|隔天|马上|立即|same day|next day|within"
                   r"|终身|永久|lifetime|for life",  # "内存保修多久" → "终身保固": a span without end
                   re.IGNORECASE)
_GIVES = re.compile(r"满\s*\d+\s*(元|块)?\s*[减送返]|\d+(\.\d+)?\s*折|\d+\s*%\s*off|立减|减\s*\d+|[\d]+\s*(元|块)?\s*(优惠)?券|"
                    r"\d+\s*(元|块)[\u4e00-\u9fff]{1,4}(券|红包)|积分可?抵|加送|赠送|免费送|送[一1两2个份条张]|"
                    r"\b\d+% off\b|\boff (orders|everything)\b|\bfree gift\b|\bcoupon", re.IGNORECASE)
# A time limit counted from an event ("确认收货后 90天内申请", "签收7天内", "逾期不再补开",
# "within 30 days of delivery"), not a processing time ("3个工作日内开出").
_LIMIT = re.compile(r"(收货|签收|付款|购买|下单|到货|发货|激活|开封|拆封)(之?后|起)?\s*[\d一二两三四五六七八九十半]+\s*(个)?\s*(天|日|周|个?月|年)\s*(内|以内|之内)?|"
                    r"(保修|质保|保固|保)期?\s*[\d一二两三四五六七八九十半]+\s*(个)?\s*(天|月|年)|[\d一二两三四五六七八九十半]+\s*(个)?\s*(天|月|年)\s*(保修|质保|无理由|内)|"
                    r"逾期|过期|超过\s*[\d一二两三四五六七八九十]+\s*(个)?\s*(天|日|月|年)|保修期|质保期|有效期|"
                    r"within \d+ (days?|weeks?|months?|years?) (of|after|from)|\d+[- ]days? (of|after|from) (delivery|purchase|receipt)",
                    re.IGNORECASE)
_CALENDAR_DATE = r"\d+\s*月\s*\d+\s*[日号]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # 12月10日, 2026-12-10
# The months (but May, which is also a modal verb) and the days of the week, in English.
_MONTHS_BUT_MAY = "january|february|march|april|june|july|august|september|october|november|december"
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_WHEN = re.compile(_CALENDAR_DATE + rf"|\d+\s*[日号]|周[一二三四五六日天]|星期|{_MONTHS_BUT_MAY}|may|{_WEEKDAYS}|"
                   r"\d+\s*(点|:)|前|后|before|after|until|截止|期间", re.IGNORECASE)
_DAY = re.compile(_CALENDAR_DATE + r"|\d+\s*月\s*\d*|(?<![\d.])\d{1,2}\s*[日号](?!\s*内)|周[一二三四五六日天]|星期[一二三四五六日天]|\d{1,2}/\d{1,2}|今天|明天|"
                  rf"\b({_MONTHS_BUT_MAY}|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|{_WEEKDAYS}|today|tomorrow)\b"
                  r"|\bmay \d|\d(st|nd|rd|th)? may\b", re.IGNORECASE)  # (not the "may" of "you may return it")
_CLOCK = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}|\d{1,2}\s*点|[一二两三四五六七八九十]+点|\d{1,2}\s*(am|pm)\b|noon|midnight|中午|凌晨|午夜",
                    re.IGNORECASE)
_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千]")
# A clock time that stamps a date ("6月1日 00:00 - 6月20日 23:59", "2026-12-12 10:00") says when
# an event begins or ends, not the time of day asked ("几点前下单当天能发").
_DATED_TIME = re.compile(rf"(?:{_CALENDAR_DATE})\s*\d{{1,2}}\s*[:：]\s*\d{{2}}")


# Verbs too general to be what a yes/no question is about ("能用洗碗机吗", "能单独买吗"), and
# the modal and linking verbs a question is asked with (能, 可, 要, 有, 是).
_LIGHT_VERBS = set("用买卖发到放装做拿带看说行来去送寄收戴穿能可会要想有是在给问请让叫把被")
_MODALS = set("能可会要想")


def asked_verbs(text: str) -> list[str]:
    """The one-character verbs a question asks about, by jieba's part-of-speech tags: 拆 of
    "胸垫能拆吗", 退 of "定金能退吗"; not 大 of "噪音大不大" (how it is) nor 用 of "能用洗碗机吗".
    Content words leave lone characters out, so these are checked on their own."""
    verbs = [w.word[1:] if len(w.word) == 2 and w.word[0] in _MODALS else w.word  # 能换: 换
             for w in posseg.cut(asking_clause(text)) if w.flag == "v"]
    return [v for v in verbs if re.fullmatch(r"[\u4e00-\u9fff]", v) and v not in _LIGHT_VERBS]


# When something starts or ends ("双旦活动啥时候开始", "when does the sale end"): a day on the
# calendar, which a span ("15天内") does not give.
_STARTS_OR_ENDS = re.compile(r"(什么|啥|哪)\s*(时候|天|日)\s*(开始|结束|截止|到期|过期|开抢|开售|生效|失效)|几号\s*(开始|结束|截止|到期|开抢)"
                             r"|when (does|do|will|is|are) .{0,40}(start|end|begin|expire|finish)|start date|end date|expiry date",
                             re.IGNORECASE)


# Whether something costs (extra) is asked as a yes or no ("刻字要加钱吗", "安装收费吗", "is there
# an extra charge"): an answer that says nothing of money, of a fee or of its being free
# ("刻字需要额外2个工作日") answers another question.
_MONEY_ASKED = re.compile(r"加钱|要钱|收钱|收费|免费|另外(?:付|给)|\b(?:extra (?:charge|fee|cost)|cost extra|charge extra|free of charge|for free)\b",
                          re.IGNORECASE)
_SPEAKS_OF_MONEY = re.compile(r"免费|收费|不收|包邮|差价|费用?|[元块]|价|付|\bfree\b|\bcharge|\bfee|\bcost|\bpay|[¥$€£]", re.IGNORECASE)


def money_fits(question: str, answer: str) -> bool:
    """A yes or no about money is answered by a text that speaks of money or of its being free."""
    return not _MONEY_ASKED.search(question) or bool(_SPEAKS_OF_MONEY.search(answer))


def answer_fits(ask: Ask, answer: str) -> bool:
    """Whether an answer text has the kind of fact the ask needs (a necessary check only)."""
    if ask == "price":
        return bool(_MONEY.search(answer))
    if ask == "duration":
        return bool(_SPAN.search(answer))
    if ask == "deadline":
        return bool(_LIMIT.search(answer))
    if ask == "offer":
        return bool(_GIVES.search(answer))
    if ask == "time":
        return bool(_CLOCK.search(_DATED_TIME.sub(" ", answer)))
    if ask == "date":
        return bool(_WHEN.search(answer) or _SPAN.search(answer))
    if ask == "day":
        return bool(_DAY.search(answer))  # the day a promotion starts is no "15天内"
    if ask == "amount":
        return bool(_NUMBER.search(answer) or _MONEY.search(answer))
    if ask == "address":
        return bool(_AN_ADDRESS.search(answer))
    return True


# Measurements in a question ("178cm 160斤") and in an answer ("175cm、70kg", "115-125cm"),
# in one unit per dimension: an answer about other measurements answers another case.
_UNITS = {"cm": ("length", 1.0), "厘米": ("length", 1.0), "公分": ("length", 1.0), "mm": ("length", 0.1), "毫米": ("length", 0.1),
          "m": ("length", 100.0), "米": ("length", 100.0), "kg": ("weight", 1.0), "公斤": ("weight", 1.0), "千克": ("weight", 1.0),
          "斤": ("weight", 0.5), "g": ("weight", 0.001), "克": ("weight", 0.001), "ml": ("volume", 1.0), "毫升": ("volume", 1.0),
          "l": ("volume", 1000.0), "升": ("volume", 1000.0),
          "期": ("instalments", 1.0)}  # "能分24期吗" is not answered by "3期免息、6期和12期"
_MEASURE = re.compile(r"(\d+(?:\.\d+)?)(?:\s*(?:-|~|～|到|至)\s*(\d+(?:\.\d+)?))?\s*(cm|厘米|公分|mm|毫米|kg|公斤|千克|斤|ml|毫升|g|克|升|l|m|米|期)(?![a-z])",
                      re.IGNORECASE)


# "90×60cm": each side in the unit written after the last.
_SIDES = re.compile(r"((?:\d+(?:\.\d+)?\s*[×x*]\s*)+)\d+(?:\.\d+)?\s*(cm|厘米|mm|毫米|m|米)(?![a-z])")
# The dimension each attribute's own value is measured in: a shopper's figure in it is no variant.
ATTRIBUTE_DIMENSION = {"weight": "weight", "load": "weight", "dimensions": "length", "capacity": "volume"}


_MEASURE_UNITS = tuple(unit for unit in _UNITS if unit != "期")  # (instalments are no measure of a thing)


def _in_base_unit(amount: float, unit: str) -> tuple[str, float]:
    """A figure in its dimension's one unit: (3, "斤") → ("weight", 1.5)."""
    dimension, scale = _UNITS[unit.casefold()]
    return dimension, amount * scale


# Units a figure or a range of them may be given in beyond length / weight / volume (read in
# one unit each, as ``measurements`` reads them), each with its one name.
_COUNT_UNITS = {"磅": "磅", "lb": "磅", "lbs": "磅", "码": "码", "岁": "岁", "号": "号", "寸": "寸", "英寸": "寸", "inch": "寸", "人": "人",
                "㎡": "㎡", "平方米": "㎡", "平米": "㎡", "瓦": "w", "w": "w", "天": "天", "小时": "小时", "个月": "月", "月": "月", "年": "年",
                "元": "元", "块": "元", "件": "件", "km": "km", "公里": "km"}
_FIGURE_NUMBER = r"(\d+(?:\.\d+)?)"
ANY_UNIT = ("(" + "|".join(sorted(map(re.escape, _MEASURE_UNITS + tuple(_COUNT_UNITS)), key=len, reverse=True))
             + r")(?![a-z])")
_SPAN_OF = re.compile(rf"{_FIGURE_NUMBER}\s*(?:{ANY_UNIT})?\s*(?:-|~|～|—|到|至)\s*{_FIGURE_NUMBER}\s*{ANY_UNIT}", re.IGNORECASE)
_AT_MOST = re.compile(rf"(?:≤|<=|不超过|最大|最多|up to)\s*{_FIGURE_NUMBER}\s*{ANY_UNIT}|{_FIGURE_NUMBER}\s*{ANY_UNIT}\s*(?:以内|以下|之内)", re.IGNORECASE)
_AT_LEAST = re.compile(rf"(?:≥|>=|至少|最少|at least)\s*{_FIGURE_NUMBER}\s*{ANY_UNIT}|{_FIGURE_NUMBER}\s*{ANY_UNIT}\s*(?:以上|及以上|\+)", re.IGNORECASE)
_ONE_FIGURE = re.compile(rf"(?<![\d.\-~～到至])(?<![\d.]\s){_FIGURE_NUMBER}\s*{ANY_UNIT}(?!\s*(?:-|~|～|到|至)\s*\d)", re.IGNORECASE)


def _amount(number: str, unit: str) -> tuple[str, float]:
    unit = unit.casefold()
    return (_COUNT_UNITS[unit], float(number)) if unit in _COUNT_UNITS else _in_base_unit(float(number), unit)


def ranges_stated(text: str, bounds: bool = True) -> list[tuple[str, float, float]]:
    """The ranges a text states, as (unit, low, high): "35-45码", "29-15天", and with
    ``bounds`` "≤30cm", "8岁以上"."""
    out = []
    for low, low_unit, high, unit in _SPAN_OF.findall(text):
        kind, top = _amount(high, unit)
        bottom = _amount(low, low_unit or unit)[1]
        out.append((kind, min(bottom, top), max(bottom, top)))
    for pattern, most in ((_AT_MOST, True), (_AT_LEAST, False)) if bounds else ():
        for m in pattern.finditer(text):
            number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            kind, amount = _amount(number, unit)
            out.append((kind, 0.0, amount) if most else (kind, amount, float("inf")))
    return out


def figures_given(text: str) -> list[tuple[str, float, str]]:
    """The figures a question gives, not as a range ("我穿46码", "a 50mm pipe", "出发前10天"):
    (unit, amount, as written)."""
    return [(*_amount(m.group(1), m.group(2)), m.group(0).strip()) for m in _ONE_FIGURE.finditer(text)]


def measurements(text: str) -> dict[str, list[tuple[float, float]]]:
    """Ranges by dimension, in cm / kg / ml: '115-125cm' → {'length': [(115, 125)]}."""
    out: dict[str, list[tuple[float, float]]] = {}
    text = _SIDES.sub(lambda m: "".join(f"{side}{m.group(2)} " for side in re.findall(r"\d+(?:\.\d+)?", m.group(1))) + m.group(0), text.lower())
    for low, high, unit in _MEASURE.findall(text):
        (dimension, a), (_, b) = _in_base_unit(float(low), unit), _in_base_unit(float(high or low), unit)
        out.setdefault(dimension, []).append((min(a, b), max(a, b)))
    return out


# An option asked for by its measure: "有20米的吗", "有没有1升装的".
_OPTION_MEASURED = re.compile(r"有(?:没有)?\s*(\d+(?:\.\d+)?\s*[a-z\u4e00-\u9fff]{1,2}?)(?:装)?的", re.IGNORECASE)


# How long until a parcel is sent ("这个几天能发货", "多久发出"), as against how long it travels
# once sent ("发货后几天能到"): an answer that speaks of dispatch only as the start of a span
# ("发货后江浙沪1-2天送达") says how long delivery takes, not when it ships.
_ASKS_DISPATCH = re.compile(r"(几天|多久|多长时间|什么时候|啥时候|哪天|几号)(能|可以|才|会|就|给)?(发货|发出|寄出|发)(?![到往至])|"
                            r"(发货|发出|寄出)(要|需要|得)?(几天|多久|多长时间)")
_SENT = re.compile(r"发货|发出|寄出")
_AFTER_SENT = re.compile(r"(发货|发出|寄出)(之?后|起)[^。；;，,\n]*")


def events_fit(question: str, answer: str) -> bool:
    """Whether an answer speaks of the event a duration is asked until: a question asking
    when a parcel ships needs an answer that says when it ships; one asking what happens once
    the warranty is over, an answer that speaks of after it (a warranty's length and what it
    covers for free answer no "过了保修期维修要多少钱")."""
    if _PAST_WARRANTY.search(question) and not _AFTER_WARRANTY.search(answer):
        return False
    if _ANOTHER_SELLERS_PRICE.search(question) and not _OTHER_SELLERS.search(answer):
        return False  # "别家比你们便宜20 能补差价吗": our own price drop's rule says nothing of another seller's price
    if not _combination_fits(question, answer):
        return False
    if any(mode.search(question) and not mode.search(answer) for mode in _SERVICE_MODES):
        return False  # "保修期内能上门修吗": how long the warranty is says nothing of a visit
    if not _ASKS_DISPATCH.search(question):
        return True
    return bool(_SENT.search(_AFTER_SENT.sub(" ", answer)))


# The way a service is done, when the shopper asks for one: a visit, the shop's own store, a
# pick-up, a drop-off in person. An answer that never speaks of that way answers another question.
_SERVICE_MODES = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"上门|home visit|on-?site|come to (my|the|our) (home|house|place)",
    r"到店|门店|线下|实体店|in person|walk[- ]in|in-store",
    r"自提|自取|pick (it |them )?up|collect (it|them) (myself|ourselves)",
    r"自己送|亲自送|送到仓库|送过去|drop (it |them )?off"))


# A shopping festival asked about by name, and how an answer that speaks of it names it (its
# name or its date): a promotion of other dates is no answer for it.
_SALE_DAYS = tuple((re.compile(named, re.IGNORECASE), re.compile(said, re.IGNORECASE)) for named, said in (
    (r"(?<!\d)618(?!\d)|6\.18|六一八|年中大促", r"618|6\.18|6月18|六一八|年中"),
    (r"双\s*(11|十一)|(?<![\d.])11\.11(?!\d)", r"双\s*(11|十一)|11\.11|11月11"),
    (r"双\s*(12|十二)|(?<![\d.])12\.12(?!\d)", r"双\s*(12|十二)|12\.12|12月12"),
    (r"黑五|black friday", r"黑五|black friday"),
    (r"年货节", r"年货节"),
    (r"女神节|妇女节", r"女神节|妇女节|3月8|3\.8|三八")))


def sale_day_fits(question: str, source: str) -> bool:
    """Whether the answer's source (its text, and the FAQ question or heading it is under)
    speaks of the shopping festival the question names: "618有活动不" is not answered by a
    sale running 12/12-12/31."""
    return not any(named.search(question) and not said.search(source) for named, said in _SALE_DAYS)


# Two offers asked to be used together ("店庆满减能和店铺优惠券叠加吗", "能跟会员折扣一起用吗"):
# an answer must say whether the second one stacks, in a clause that names it; a rule that
# another discount does not stack ("不与会员折扣叠加"), or a list of what price protection
# leaves out, says nothing of it.
_COMBINED = re.compile(r"(?:和|与|跟|同)\s*(?P<other>[^，,。？?\s]{2,14}?)\s*(?:能|可以|可)?\s*"
                       r"(?:一起用|一起使用|叠加|同享|共用|同时用|同时使用|一块用|叠用)")
_STACKS = re.compile(r"叠加|同享|共享|一起用|一起使用|同时使用|同时用|共用|兼用")


def _combination_fits(question: str, answer: str) -> bool:
    m = _COMBINED.search(question)
    if m is None:
        return True
    before = question[:m.start()]
    other = "".join(c for c in m.group("other") if c not in before)  # (双12满减 and 跨店满减: 跨店 names it)
    if len(other) < 2:
        return True
    clauses = [c for c in re.split(r"[。；;，,！!？?\n（）()]", answer) if _STACKS.search(c)]
    return any(len(longest_shared_run(other, c)) >= 2 for c in clauses)


def longest_shared_run(name: str, text: str) -> str:
    """The longest run of ``name``'s characters that ``text`` also holds."""
    best = ""
    for i in range(len(name)):
        for j in range(i + len(best) + 1, len(name) + 1):
            if name[i:j] in text:
                best = name[i:j]
            else:
                break
    return best


# Another seller cheaper ("别家比你们便宜20", "京东同款便宜50", "cheaper on Amazon"), and an
# answer that speaks of other sellers at all.
_OTHER_SELLERS = re.compile(r"别家|别的店|其他店|其它店|别人家|其他商家|其他平台|京东|拼多多|抖音|亚马逊|"
                            r"\b(another|other) (shop|store|seller)s?\b|\belsewhere\b|\bamazon\b|\bcompetitor", re.IGNORECASE)
_ANOTHER_SELLERS_PRICE = re.compile(_OTHER_SELLERS.pattern + r".{0,12}(便宜|低|cheaper|lower)|(便宜|cheaper|lower).{0,12}(" + _OTHER_SELLERS.pattern + ")",
                                    re.IGNORECASE)
_PAST_WARRANTY = re.compile(r"过了\s*(?:保修|质保|保固)|过保|(?:保修|质保)期?\s*(?:已经?)?过了|warranty\s+(?:has\s+|is\s+)?(?:expired|ended|over|run out|ran out)"
                            r"|out of warranty|after the warranty|past the warranty|expired warranty", re.IGNORECASE)
_AFTER_WARRANTY = re.compile(r"过保|保修期外|质保期外|保外|(?:保修|质保)期?满|(?:超出|超过|过了)\s*(?:保修|质保)|期满后|有偿|付费|收费|成本价|另计"
                             r"|out of warranty|after the warranty|beyond the warranty|expired|\bpaid\b|at cost|\bcharged?\b|\bfee\b",
                             re.IGNORECASE)


# A measure's figure asked by its form ("多厚", "how heavy"): answered in that dimension.
# ("多大" may ask the size to buy, "how long" a duration: neither says which.)
_FIGURE_FORMS = ((re.compile(r"多[高宽厚粗深]|多长(?!时间)|how (tall|wide|thick|deep|high)\b", re.IGNORECASE), "length"),
                  (re.compile(r"多重|几斤|多少斤|how heavy|how much does .{1,40} weigh", re.IGNORECASE), "weight"))


def measure_fits(question: str, answer: str) -> bool:
    """A measure asked by its form has its figure in the answer: "how thick is it" is not
    answered by "Coconut fibre mattress: firm", nor "多重" by a size chart in cm."""
    dimensions = [dimension for form, dimension in _FIGURE_FORMS if form.search(question)]
    return not dimensions or any(dimension in measurements(answer) for dimension in dimensions)


def measurements_fit(question: str, answer: str, asked_attributes: list[str] = ()) -> bool:
    """False when the answer speaks of other measurements of the same kind than the
    question gives (asked about 178cm / 160斤, answered for 175cm / 70kg). A figure in the
    dimension of an attribute asked is the shopper's own ("承重多少 我俩快300斤"), not checked."""
    asked = measurements(question)
    for attribute in asked_attributes:
        asked.pop(ATTRIBUTE_DIMENSION.get(attribute, ""), None)
    if not asked:
        return True
    given = measurements(answer)
    wanted = measurements(" ".join(_OPTION_MEASURED.findall(question)))
    for dimension, values in asked.items():
        ranges = given.get(dimension)
        if not ranges:
            if dimension in wanted:
                return False  # "灯串有20米的吗" asks for a 20 m option: an answer giving no length is about something else
            continue
        if len(ranges) >= 3:  # a size table: anything between its first and last row is covered
            ranges = ranges + [(min(r[0] for r in ranges), max(r[1] for r in ranges))]
        if not any(low - 1e-6 <= value[0] <= high + 1e-6 for value in values for low, high in ranges):
            return False
    return True


# A figure asked for in a named unit ("电池多少毫安", "几瓦的", "how many watts"): the answer
# gives a figure in a unit of that kind, or it answers another measure (续航 40分钟 is no
# battery capacity). (question cue, answer figure) per kind of unit.
_UNIT_KINDS = (  # (units asked after 多少 / 几, other ways to ask, units an answer's figure may carry)
    (r"毫安|mah", r"多大\s*(毫安|mah)|how many mah|\bmah\b.{0,12}\?", r"毫安|mah|ah\b|安时"),
    (r"千瓦|瓦(?!时)|kw\b|w\b", r"how many watts|what wattage|\bwattage\b", r"千瓦(?!时)|瓦(?!时)|kw(?!h)|w(?!h)\b|watts?\b"),
    (r"伏|v\b", r"how many volts|what voltage", r"伏|v\b|volts?\b"),
    (r"分贝|db\b", r"how many (decibels|db)\b", r"分贝|db\b|decibels?"),
    (r"帕|pa\b|kpa\b", r"how many (pa|kpa)\b", r"帕|k?pa\b"),
    (r"度电|瓦时|千瓦时|wh\b|kwh\b", r"how many (wh|kwh)\b", r"度电|瓦时|千瓦时|k?wh\b"),
)
_UNITS_ASKED = tuple((re.compile(rf"(多少|几)\s*({asked})|{other}", re.IGNORECASE),
                      re.compile(rf"\d+(?:\.\d+)?\s*({given})", re.IGNORECASE)) for asked, other, given in _UNIT_KINDS)


def units_fit(question: str, answer: str) -> bool:
    """A figure asked for in a named unit ("多少毫安") has a figure of that kind in the answer."""
    return all(figure.search(answer) for asked, figure in _UNITS_ASKED if asked.search(question))

