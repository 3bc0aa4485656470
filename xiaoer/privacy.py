"""Personal data: masking before text leaves the process, and retention.

``mask_pii(text)`` replaces what identifies a shopper with a typed placeholder:

| placeholder | what |
|---|---|
| ``[email]``   | e-mail addresses |
| ``[id]``      | Chinese resident ID numbers: 18 characters with a valid ISO 7064 checksum (last may be X), or 15-digit old ones; both with a real birth date |
| ``[card]``    | bank card numbers: 13–19 digits (spaces or dashes allowed), starting 3–6 or 9, passing the Luhn check |
| ``[phone]``   | Chinese mobiles ``1[3-9]`` + 9 digits (optionally +86 / 0086, spaces, dashes); landlines with an area code (``010-12345678``, ``(0571) 8765 4321``, ``+86 10 12345678``); ``+``-prefixed international numbers; North American ``(555) 123-4567`` |
| ``[address]`` | Chinese street addresses (…省…市…区/县…路/街 N号, 小区, N栋 N单元 N室) and English ones (``12 Main Street``, ``Apt 4B``) |

It is tuned to be precise rather than greedy: an order number (``QS1001``, or an
18-digit platform number that fails the ID checksum), an amount (``¥399``), a date, a
size or a quantity is left alone, and an address is masked only when it reaches street
level (a road with a number, a 小区 with a building, N栋N单元…); a city or district alone
is not. Toll-free numbers (400 / 800, and 8xx in North America) are shops' hotlines
and stay. A landline needs its area code and a separator (``0571-87654321``): a bare run
of 11-12 digits is too often an order or tracking number.

Used on everything sent to an external LLM (``bot/llm.py``, ``handoff/summary.py``)
and on every log record (``PIIFilter``). The database keeps the original text: agents
need the shopper's real phone number and address.

Retention: ``purge(days)`` deletes conversations idle for longer than ``days`` (their
messages, offers and tickets with them) and masks the shopper's words kept in their
metric events (``unanswered`` → ``data.question``), which the dashboard still counts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# --------------------------------------------------------------------------- masking

_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*"  # local part
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![A-Za-z0-9])",  # domain
    re.ASCII,
)

_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID18 = re.compile(_NOT_ALNUM_BEFORE + r"([1-9]\d{5})[ -]?(" + _DATE8 + r")[ -]?(\d{3}[0-9Xx])" + _NOT_ALNUM_AFTER)
_ID15 = re.compile(_NOT_ALNUM_BEFORE + r"[1-9]\d{5}(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))\d{3}" + _NOT_ALNUM_AFTER)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# A run of 13-19 digits, in groups separated by single spaces or dashes.
_CARD = re.compile(_NOT_ALNUM_BEFORE + r"[3-69]\d{3}(?:[ -]?\d){9,15}" + _NOT_ALNUM_AFTER)

_CN_PREFIX = r"(?:(?:\+|00)\s?86[\s-]?)"
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])" + _CN_PREFIX + r"?1[3-9]\d(?:[\s-]?\d{4}){2}" + r"(?!\d)")
# Area codes: 010, 02x, 0xxx (3-4 digits). Without +86 a separator (or brackets) must
# follow the area code: a bare 11-12 digit run is too easily an order or tracking number.
_AREA = r"(?:10|2\d|[3-9]\d{2})"
_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z+])(?:"
    + _CN_PREFIX + r"\(?" + _AREA + r"\)?[\s-]?"  # +86 10 12345678
    + r"|\(0" + _AREA + r"\)\s?"  # (0571) 87654321
    + r"|0" + _AREA + r"[\s-]"  # 0571-87654321
    + r")\d{3,4}[\s-]?\d{4}(?:\s?(?:转|ext\.?|x)\s?\d{1,5})?(?!\d)"
)
# Other countries: a "+" and 8-15 digits in groups.
_INTL = re.compile(r"(?<![0-9A-Za-z+])\+[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\d)")
# Toll-free numbers (400 / 800 in China, 8xx in North America) are shops' hotlines, not
# a shopper's: kept.
_TOLL_FREE = r"(?!\(?(?:400|800|833|844|855|866|877|888)\)?[\s.-])"
_NANP = re.compile(_NOT_ALNUM_BEFORE + _TOLL_FREE + r"(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)")

# Chinese addresses. A place name is 1-8 Chinese characters, never one of the function
# words around an address ("我住在…", "寄到…") nor an administrative suffix.
_STOP = (
    "我你您他她它们的地得在于是住到往寄送发给址为和与及或请把要从向至来去了吗呢吧啊呀哦就都也还很被让叫用对以说问"
    "买卖收货件人电话手机号码邮编"
    "省市区县旗镇乡路街巷弄栋幢室层楼单元"
)
_HAN = r"(?:(?![" + _STOP + r"])[\u4e00-\u9fff])"
_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|"
    "四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
_NUM = r"(?:\d+|[一二三四五六七八九十百零〇]+)"
_SP = r"\s?"
_CN_ADDRESS = re.compile(
    r"(?P<prov>(?:" + _PROVINCES + r")(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)?)?" + _SP
    + r"(?P<city>" + _HAN + r"{2,4}?(?:市|自治州|地区|盟))?" + _SP
    + r"(?P<dist>" + _HAN + r"{1,5}?(?:区|县|旗))?" + _SP
    + r"(?P<town>" + _HAN + r"{1,5}?(?:镇|乡|街道))?" + _SP
    + r"(?P<road>" + _HAN + r"{1,8}?(?:大道|大街|路|街|巷|胡同|弄)(?:" + _HAN + r"{1,2}段)?)?" + _SP
    + r"(?P<num>" + _NUM + r"(?:号院|号|號|弄))?" + _SP
    + r"(?P<comm>(?:" + _HAN + r"|[A-Za-z]){2,10}?(?:小区|公寓|家园|新村|花园|大厦|大楼|广场|中心|苑|城|里))?" + _SP
    + r"(?P<bldg>(?:" + _NUM + r"|[A-Za-z])(?:号楼|栋|幢|座))?" + _SP
    + r"(?P<unit>" + _NUM + r"单元)?" + _SP
    + r"(?P<floor>" + _NUM + r"(?:楼|层))?" + _SP
    + r"(?P<room>\d+(?:室|房|号房)|(?<=单元)\d+|(?<=单元\s)\d+|(?<=[楼层])\d+)?"
)

# English addresses: a house number, one to three name words, a street type. Street
# types that are also everyday words ("3 Flash Drive", "takes place", "2 way") and the
# abbreviations ("4 seed st.") count only capitalised, after capitalised name words.
_EN_STOPWORDS = {
    "a", "an", "the", "in", "on", "of", "to", "for", "my", "your", "our", "is", "are", "was", "it", "and", "or",
    "by", "at", "with", "per", "from", "days", "day", "weeks", "hours", "minutes", "seconds", "pcs", "pieces",
    "items", "x", "usb", "gb", "tb", "mb", "kb", "cm", "mm", "m", "kg", "g", "inch", "inches", "pack", "size",
    "flash", "hard", "disk",
}
_EN_STREET = re.compile(
    r"(?<![\w.,/-])(?P<num>\d{1,5}[A-Za-z]?)\s+(?P<name>(?:[A-Za-z][A-Za-z'-]*\s+){1,3})"
    r"(?P<type>(?i:street|avenue|road|boulevard|lane|parkway|highway|crescent)\b"
    r"|(?:St|Ave|Rd|Blvd|Ln|Pkwy|Hwy|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Square|Sq|Close|Cres)\b\.?)"
    r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
)
_EN_CAPITALISED_ONLY = {"st", "ave", "rd", "blvd", "ln", "pkwy", "hwy", "drive", "dr", "court", "ct", "way", "place",
                        "pl", "terrace", "ter", "square", "sq", "close", "cres"}
_EN_UNIT = re.compile(
    r"(?:\b(?i:apt|apartment|suite|ste)\.?\s*#?\s*|\b(?:Unit|Flat|Room|Rm)\.?\s*#?\s*)"
    r"\d{1,5}[A-Za-z]?\b(?![-/.]\d)"
)
_EN_ADDRESS_JOIN = re.compile(r"\[address\](?:,?\s*\[address\])+")


def _id18_ok(match: re.Match) -> bool:
    digits = "".join(match.groups()).upper()
    if not _valid_date(digits[6:14]):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == digits[17]


def _valid_date(yyyymmdd: str) -> bool:
    try:
        day = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return day <= date.today()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match) -> str:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    if 13 <= len(digits) <= 19 and _luhn_ok(digits) and not re.search(r"[ -]{2}", raw):
        return "[card]"
    return raw


def _intl(match: re.Match) -> str:
    n = len(re.sub(r"\D", "", match.group(0)))
    return "[phone]" if 8 <= n <= 15 else match.group(0)


def _cn_address(match: re.Match) -> str:
    text = match.group(0)
    if not text.strip():
        return text
    g = {k: v for k, v in match.groupdict().items() if v}
    admin = any(k in g for k in ("prov", "city", "dist", "town"))
    building = [k for k in ("bldg", "unit", "floor", "room") if k in g]
    specific = (
        ("road" in g and "num" in g)
        or (admin and ("road" in g or "comm" in g))
        or ("comm" in g and (building or "num" in g))
        or ("road" in g and building)
        or len(building) >= 2
    )
    if not specific:
        return text
    # Keep the spacing around the address as it was.
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    return f"{lead}[address]{trail}"


def _en_street(match: re.Match) -> str:
    words = match.group("name").split()
    if any(w.lower().strip("'-") in _EN_STOPWORDS for w in words):
        return match.group(0)
    if match.group("type").rstrip(".").lower() in _EN_CAPITALISED_ONLY and not all(w[0].isupper() for w in words):
        return match.group(0)
    return "[address]"


def mask_pii(text: str) -> str:
    """``text`` with personal data replaced by ``[email]``, ``[id]``, ``[card]``,
    ``[phone]`` and ``[address]`` (see the module docstring for what matches)."""
    if not text:
        return text
    text = _EMAIL.sub("[email]", text)
    text = _ID18.sub(lambda m: "[id]" if _id18_ok(m) else m.group(0), text)
    text = _CARD.sub(_card, text)
    text = _ID15.sub(lambda m: "[id]" if _valid_date("19" + m.group(1)) else m.group(0), text)
    text = _MOBILE.sub("[phone]", text)
    text = _LANDLINE.sub("[phone]", text)
    text = _INTL.sub(_intl, text)
    text = _NANP.sub("[phone]", text)
    if re.search(r"[\u4e00-\u9fff]", text):
        text = _CN_ADDRESS.sub(_cn_address, text)
    text = _EN_STREET.sub(_en_street, text)
    text = _EN_UNIT.sub("[address]", text)
    return _EN_ADDRESS_JOIN.sub("[address]", text)


# --------------------------------------------------------------------------- logging


class PIIFilter(logging.Filter):
    """Masks personal data in a log record's message, arguments and traceback. Attach it
    to handlers (it then sees every record they write, whichever logger made it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_pii(record.msg)
        elif record.msg is not None and not isinstance(record.msg, (int, float)):
            record.msg = mask_pii(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask_arg(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_pii(record.stack_info)
        return True


def _mask_arg(value):
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return mask_pii(value if isinstance(value, str) else str(value))


def install_log_filter() -> int:
    """Add a ``PIIFilter`` to every handler configured so far (the root logger's, every
    named logger's, uvicorn's and logging's last-resort stderr handler). Idempotent;
    returns how many handlers got one."""
    handlers: list[logging.Handler] = list(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            handlers.extend(logger.handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    added = 0
    for handler in handlers:
        if not any(isinstance(f, PIIFilter) for f in handler.filters):
            handler.addFilter(PIIFilter())
            added += 1
    return added


# --------------------------------------------------------------------------- retention


@dataclass
class PurgeReport:
    cutoff: datetime
    conversations: int = 0
    messages: int = 0
    offers: int = 0
    tickets: int = 0
    photos: int = 0
    events_masked: int = 0


def purge(days: int, *, now: datetime | None = None, merchant_id: str | None = None) -> PurgeReport:
    """Delete every conversation last updated more than ``days`` days ago, with its
    messages, offers, handoff tickets and photos (rows and files), and mask the shopper text kept in metric events
    (``unanswered`` → ``data.question``) of those conversations and of any event older
    than the cut-off. The events themselves stay: every dashboard figure is computed
    from them."""
    from sqlalchemy import delete, exists, or_, select

    from bot.models import Conversation, Message, MetricEvent, RecoveryOfferRow
    from handoff.models import HandoffTicket, Photo
    from handoff.photos import photo_path
    from xiaoer.db import session_scope, utcnow

    if days < 0:
        raise ValueError("days must be 0 or more")
    cutoff = (now or utcnow()) - timedelta(days=days)
    report = PurgeReport(cutoff=cutoff)
    files = []
    with session_scope() as session:
        query = select(Conversation.id).where(Conversation.updated_at < cutoff)
        if merchant_id:
            query = query.where(Conversation.merchant_id == merchant_id)
        ids = list(session.scalars(query))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            # Explicit deletes, children first: no reliance on the database's cascades.
            report.tickets += session.execute(delete(HandoffTicket).where(HandoffTicket.conversation_id.in_(chunk))).rowcount
            files += [photo_path(p) for p in session.scalars(select(Photo).where(Photo.conversation_id.in_(chunk)))]
            report.photos += session.execute(delete(Photo).where(Photo.conversation_id.in_(chunk))).rowcount
            report.offers += session.execute(delete(RecoveryOfferRow).where(RecoveryOfferRow.conversation_id.in_(chunk))).rowcount
            report.messages += session.execute(delete(Message).where(Message.conversation_id.in_(chunk))).rowcount
            report.conversations += session.execute(delete(Conversation).where(Conversation.id.in_(chunk))).rowcount
        events = select(MetricEvent).where(MetricEvent.kind == "unanswered")
        if merchant_id:
            events = events.where(MetricEvent.merchant_id == merchant_id)
        # Old events, and events of conversations that no longer exist.
        gone = ~exists().where(Conversation.id == MetricEvent.conversation_id)
        for event in session.scalars(events.where(or_(MetricEvent.created_at < cutoff, gone))):
            question = (event.data or {}).get("question")
            if isinstance(question, str):
                masked = mask_pii(question)
                if masked != question:
                    event.data = {**event.data, "question": masked}
                    report.events_masked += 1
    for path in files:  # once the rows are gone for good
        path.unlink(missing_ok=True)
    return report


def mask_address(address: str) -> str:
    """An order's delivery address as a shopper or agent may see it: the region kept, the
    street, building and room hidden ("浙江省杭州市西湖区****", "****, Springfield, IL")."""
    address = (address or "").strip()
    if not address:
        return address
    if re.search(r"[\u4e00-\u9fff]", address):
        region = re.match(r"^(?:.{1,8}?(?:省|自治区|市))?(?:.{1,8}?(?:市|州|盟))?(?:.{1,8}?(?:区|县|旗))?", address)
        keep = region.group(0) if region and region.group(0) else address[: min(6, len(address) // 3)]
        return keep + "****"
    parts = [p.strip() for p in address.split(",") if p.strip()]
    return ", ".join(["****", *parts[1:]]) if len(parts) > 1 else "****"
