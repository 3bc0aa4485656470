"""Reading an order question, and answering it from the order record (zh and en).

Everything here is pure: fixed patterns over the shopper's text, fixed templates over
an OrderRecord. No number the shopper types becomes a fact; order facts come only from
the merchant's record.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from bot.orders import OrderRecord, RefundState, TrackingEvent
from xiaoer.privacy import mask_address

Topic = Literal["address", "cancel", "urge", "refund", "arrive", "ship", "where", "status"]
ACTIONS = ("address", "cancel", "urge")  # topics that change the order, confirmed first
STUCK_AFTER = timedelta(hours=48)  # no new logistics event for this long: abnormal


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# First match wins: an action before a status question ("还没发货，能取消吗" is a cancel).
_TOPICS: tuple[tuple[Topic, re.Pattern[str]], ...] = (
    ("address", _rx(
        r"改(一下|个)?(收货)?地址|修改(收货|配送)?地址|换(个|一个)?(收货)?地址|地址(写|填|选)错|更改(收货)?地址|改收货|"
        r"change (the |my )?(delivery |shipping )?address|update (the |my )?(delivery |shipping )?address|wrong address|new address"
    )),
    ("cancel", _rx(
        r"取消(这个|这笔|该|一下)?订单|订单.{0,6}取消|(帮我|我要|我想|能|可以|能不能|可不可以)取消|"
        r"cancel (my |the |this )?order|cancel it|want to cancel|can i cancel|please cancel"
    )),
    ("urge", _rx(
        r"催(一下|一催|发货|促)|帮我催|快点发|尽快发|赶紧发|早点发|加急发|"
        r"\bhurry\b|expedite|speed (it |things )?up|\burge\b|ship (it )?(faster|sooner|asap)|\brush\b"
    )),
    ("refund", _rx(
        r"退款.{0,6}(到哪|进度|多久|什么时候|到账|状态|怎么样|处理|好了|没到|还没)|(到哪|进度|状态).{0,4}退款|钱.{0,4}(退回|到账)|"
        r"where('?s| is) (my |the )?refund|refund (status|progress)|status of (my |the )?refund|"
        r"(has|did|is) (my |the )?refund|refund (arrived|come through|been processed|processed)|when (will|do) i get (my )?(money|refund)"
    )),
    ("arrive", _rx(
        r"什么时候(能)?(到|送到|送达)|几天(能)?到|多久(能)?(到|送到)|哪天(能)?到|能到吗|何时(能)?到|预计.{0,4}(到|送达)|送达时间|"
        r"还没(收)?到|怎么还不到|到了(吗|没)|"
        r"(hasn'?t|has not|didn'?t|not) (yet )?(arrived|come|shown up|turned up)|"
        r"when (will|does|should|is) (it|my (order|package|parcel))( \w+)? (arrive|get here|be delivered|come|due)|"
        r"\barriv(e|al)\b|delivery date|\beta\b|get here"
    )),
    ("ship", _rx(
        r"(什么时候|何时|几时|多久|还没|怎么还不|还不|为什么没|为啥没|没有|能不能)发货|发货了(吗|没)|发了(吗|没)|发出(了吗|去了吗|了没)|还没发|"
        r"(has|have|did) (it|my order|you|the order) (been )?(ship|sent|dispatch)|when (will|do|did) you (ship|send)|"
        r"when (will|does|is) (it|my order) (ship|be shipped|be sent)|until (it|my order) (ships|is shipped)|"
        r"(it|order) (shipped|been sent) (yet)?|not (yet )?shipped|hasn'?t (been )?(shipped|sent)|\bdispatch"
    )),
    ("where", _rx(
        r"到哪(了|里了|儿了|里)?|在哪(了|里|儿)?|物流(信息|状态|进度|到哪|怎么|呢)|查(一下|下)?(物流|快递|订单)|快递(单号|到哪|信息|呢)|"
        r"运单号|单号|轨迹|没收到|"
        r"where('?s| is) (my |the )?(order|package|parcel|stuff|delivery)|where('?s| is) (order )?[A-Za-z]{0,6}-?\d{3,}|\btrack(ing)?\b|where is it|shipping status|delivery status|"
        r"(haven'?t|have not|didn'?t|did not|never) (received|got(ten)?)"
    )),
    ("status", _rx(r"我的订单|订单(状态|情况|怎么样|呢)|查(一下)?订单|\border status\b|\bmy order\b|\bthis order\b|\bthe order\b")),
)

# Merchant order numbers: letters then digits ("QS1001", "A-2024"), or a long digit run. An
# 11-digit mobile number is not one; four digits alone are the phone check.
_ORDER_NO = re.compile(r"(?<![A-Za-z0-9])(?:[A-Za-z]{1,6}[-_]?\d{3,24}|\d{5,24})(?![A-Za-z0-9])")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_TAPPED = re.compile(r"^\s*#?" + _ORDER_NO.pattern + r"\s*[.。]?\s*(·.*)?$", re.DOTALL)
_LAST4 = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_CONFIRM = _rx(r"^\s*(确认|确定|是的|是|对|好的?|好吧|可以|行|嗯+|ok|okay|yes|yep|yeah|sure|confirm(ed)?|go ahead|do it)\b|确认|没问题|please do")
_REFUSE = _rx(r"先不|不用|不要|不了|算了|再想想|不确认|^\s*no\b|\bnope\b|never ?mind|don'?t|not now|hold on|wait")


def detect_topic(text: str) -> Topic | None:
    for topic, pattern in _TOPICS:
        if pattern.search(text):
            return topic
    return None


def order_numbers(text: str) -> list[str]:
    found = [m.group(0) for m in _ORDER_NO.finditer(text)]
    return list(dict.fromkeys(n for n in found if not _MOBILE.match(n)))


def is_only_order_number(text: str) -> bool:
    """"QS5102" (or a tapped "QS5102 · 羽绒服 M" stripped of its item) says nothing about the
    shopper's language: the conversation's stays."""
    return bool(_TAPPED.match(text))


def phone_digits(text: str) -> str | None:
    m = _LAST4.search(text)
    return m.group(1) if m else None


def read_confirmation(text: str) -> bool | None:
    """True / False for a yes / no to the restated action; a "no" cue wins (nothing done)."""
    if _REFUSE.search(text):
        return False
    if _CONFIRM.search(text):
        return True
    return None


# ----------------------------------------------------------------------------- abnormal rule

Abnormal = Literal["late_ship", "late_delivery", "stuck"]


def abnormal(order: OrderRecord, now: datetime) -> Abnormal | None:
    """超时 / 轨迹异常: past a promised time, or no logistics news for 48 hours."""
    if order.status == "paid" and order.promised_ship_by and now > order.promised_ship_by:
        return "late_ship"
    if order.status == "shipped":
        if order.promised_delivery_by and now > order.promised_delivery_by:
            return "late_delivery"
        last = order.latest_event.time if order.latest_event else order.shipped_at
        if last and now - last > STUCK_AFTER:
            return "stuck"
    return None


# ----------------------------------------------------------------------------- wording


def when(moment: datetime, lang: str) -> str:
    """Times are shown in UTC, as stored (the import takes offsets into account)."""
    if lang == "zh":
        return f"{moment.month}月{moment.day}日 {moment:%H:%M}"
    return f"{moment:%b} {moment.day}, {moment:%H:%M}"


def _sep(lang: str) -> str:
    return "" if lang == "zh" else " "


def _join(lang: str, *parts: str) -> str:
    return _sep(lang).join(p for p in parts if p)


def order_label(order: OrderRecord, lang: str) -> str:
    """How the bot names an order: its number and first item ("订单 QS1001（冲锋衣 M）")."""
    item = order.items[0] if order.items else ""
    if len(order.items) > 1:
        item += " 等" if lang == "zh" else " and more"
    if lang == "zh":
        return f"订单 {order.order_id}" + (f"（{item}）" if item else "")
    return f"order {order.order_id}" + (f" ({item})" if item else "")


_STATUS = {
    "unpaid": {"zh": "待付款", "en": "awaiting payment"},
    "paid": {"zh": "已付款，待发货", "en": "paid, not shipped yet"},
    "shipped": {"zh": "已发货", "en": "shipped"},
    "delivered": {"zh": "已签收", "en": "delivered"},
    "refunding": {"zh": "退款中", "en": "refund in progress"},
    "refunded": {"zh": "已退款", "en": "refunded"},
    "cancelled": {"zh": "已取消", "en": "cancelled"},
}
_REFUND_STATUS = {
    "requested": {"zh": "已提交，等待商家处理", "en": "requested, waiting for the shop"},
    "pending": {"zh": "已提交，等待商家处理", "en": "requested, waiting for the shop"},
    "processing": {"zh": "商家处理中", "en": "being processed by the shop"},
    "approved": {"zh": "商家已同意，等待退款到账", "en": "approved, the money is on its way back"},
    "returning": {"zh": "等待退货寄回", "en": "waiting for the return parcel"},
    "completed": {"zh": "已退款到原支付账户", "en": "paid back to your original payment method"},
    "refunded": {"zh": "已退款到原支付账户", "en": "paid back to your original payment method"},
    "rejected": {"zh": "未通过", "en": "declined"},
}


def status_name(status: str, lang: str) -> str:
    return _STATUS.get(status, {}).get(lang, status)


def latest_event_text(order: OrderRecord, lang: str) -> str:
    event = order.latest_event
    if event is None:
        return "暂时还没有物流轨迹。" if lang == "zh" else "There is no tracking event yet."
    place = f"{event.location} " if event.location else ""
    if lang == "zh":
        return f"最新物流：{when(event.time, lang)} {place}{event.description}。"
    return f"Latest update: {when(event.time, lang)}, {place}{event.description}."


def _carrier_text(order: OrderRecord, lang: str) -> str:
    carrier = order.carrier or ("快递" if lang == "zh" else "the carrier")
    tracking = f"，运单号 {order.tracking_no}" if lang == "zh" else f", tracking number {order.tracking_no}"
    shipped = f"{when(order.shipped_at, lang)} " if order.shipped_at and lang == "zh" else ""
    if lang == "zh":
        return f"已于 {shipped}由{carrier}发出{tracking if order.tracking_no else ''}。"
    on = f" on {when(order.shipped_at, lang)}" if order.shipped_at else ""
    return f"was shipped{on} with {carrier}{tracking if order.tracking_no else ''}."


def _not_shipped(order: OrderRecord, lang: str) -> str:
    if order.promised_ship_by is None:
        return "还没有发货，仓库会尽快安排。" if lang == "zh" else "hasn't shipped yet; the warehouse will send it as soon as possible."
    if lang == "zh":
        return f"还没有发货，商家承诺 {when(order.promised_ship_by, lang)} 前发出。"
    return f"hasn't shipped yet; the shop promised to ship it by {when(order.promised_ship_by, lang)}."


def _closed(order: OrderRecord, lang: str) -> str | None:
    """The one sentence for an order that will not move any more, or None."""
    if order.status == "unpaid":
        return "还未付款，付款后才会安排发货。" if lang == "zh" else "hasn't been paid yet; it ships once it's paid."
    if order.status == "cancelled":
        return "已取消。" if lang == "zh" else "was cancelled."
    if order.status in ("refunding", "refunded"):
        return refund_sentence(order, lang)
    return None


def refund_sentence(order: OrderRecord, lang: str) -> str:
    refund = order.refund
    if refund is None:
        if order.status == "refunded":
            return "已退款。" if lang == "zh" else "has been refunded."
        if order.status == "refunding":
            return "正在退款中。" if lang == "zh" else "has a refund in progress."
        return "目前没有退款申请。" if lang == "zh" else "has no refund request."
    state = _REFUND_STATUS.get(refund.status.casefold(), {}).get(lang, refund.status)
    amount = f"{refund.amount:g}" if refund.amount is not None else None
    if lang == "zh":
        text = f"的退款{f'（¥{amount}）' if amount else ''}：{state}"
        return text + (f"，更新于 {when(refund.updated_at, lang)}。" if refund.updated_at else "。")
    text = f"has a refund{f' of ¥{amount}' if amount else ''}: {state}"
    return text + (f" (updated {when(refund.updated_at, lang)})." if refund.updated_at else ".")


def _subject(order: OrderRecord, lang: str) -> str:
    """"Your order X (item) " — the sentence that follows starts with its verb."""
    label = order_label(order, lang)
    return f"您的{label}" if lang == "zh" else f"Your {label} "


def answer_text(order: OrderRecord, topic: Topic, lang: str) -> str:
    """The answer to a status question (where / ship / arrive / refund / status)."""
    subject = _subject(order, lang)
    if topic == "refund":
        return _join(lang, subject + refund_sentence(order, lang), _refund_tail(order, lang))
    closed = _closed(order, lang)
    if closed is not None:
        return subject + closed
    if order.status == "paid":
        return subject + _not_shipped(order, lang)
    if order.status == "delivered":
        at = order.delivered_at or (order.latest_event.time if order.latest_event else None)
        if lang == "zh":
            done = f"已于 {when(at, lang)} 签收。" if at else "已签收。"
        else:
            done = f"was delivered on {when(at, lang)}." if at else "has been delivered."
        tail = "如果没有收到，请告诉我，我帮您转人工核实。" if lang == "zh" else "If you haven't got it, tell me and a colleague will check."
        return _join(lang, subject + done, tail)
    # shipped
    parts = [subject + _carrier_text(order, lang), latest_event_text(order, lang)]
    if topic == "arrive":
        if order.promised_delivery_by:
            parts.append(f"预计 {when(order.promised_delivery_by, lang)} 前送达。" if lang == "zh"
                         else f"It should arrive by {when(order.promised_delivery_by, lang)}.")
        else:
            parts.append("快递公司暂未给出预计送达时间，您可以凭运单号在快递官网随时查询。" if lang == "zh"
                         else "The carrier hasn't given an arrival date yet; you can follow it with the tracking number.")
    return _join(lang, *parts)


def _refund_tail(order: OrderRecord, lang: str) -> str:
    if order.refund and order.refund.status.casefold() in ("approved",):
        return "款项将原路退回您的支付账户。" if lang == "zh" else "The money goes back to your original payment method."
    return ""


_ABNORMAL = {
    "late_ship": {"zh": "非常抱歉，您的订单已超过承诺的发货时间还没有发出。", "en": "I'm very sorry: your order is past the promised shipping time and still hasn't shipped."},
    "late_delivery": {"zh": "非常抱歉，您的订单已超过承诺的送达时间。", "en": "I'm very sorry: your order is past its promised delivery time."},
    "stuck": {"zh": "非常抱歉，您的包裹物流已超过 48 小时没有更新。", "en": "I'm very sorry: your parcel's tracking hasn't moved for over 48 hours."},
}


def abnormal_apology(kind: Abnormal, lang: str) -> str:
    return _ABNORMAL[kind][lang]


# ----------------------------------------------------------------------------- actions


def action_blocked(order: OrderRecord, topic: Topic, lang: str) -> str | None:
    """Why an action cannot be done on this order, and what can be done instead; None when
    it can (cancel / change the address while unpaid or paid, urge while paid)."""
    subject = _subject(order, lang)
    if topic == "urge":
        if order.status == "paid":
            return None
        if order.status in ("shipped", "delivered"):
            return _join(lang, subject + ("已经发货了，不需要催发货。" if lang == "zh" else "has already shipped, so there's nothing to hurry."),
                         answer_text(order, "where", lang).removeprefix(subject))
        return subject + (_closed(order, lang) or "")
    if order.status in ("unpaid", "paid"):
        return None
    if order.status in ("shipped", "delivered"):
        if topic == "cancel":
            instead = ("包裹已发出，订单不能直接取消了。您可以拒收包裹，或签收后申请退货退款，我也可以帮您转人工处理。" if lang == "zh"
                       else "It has already shipped, so it can't be cancelled now. You can refuse the parcel, or return it for a refund after it arrives; I can also pass you to a colleague.")
        else:
            instead = ("包裹已发出，系统里不能再修改地址了。您可以凭运单号联系快递改派，或让我帮您转人工尝试拦截。" if lang == "zh"
                       else "It has already shipped, so the address can't be changed here. You can ask the carrier to redirect it with the tracking number, or I can pass you to a colleague to try to intercept it.")
        return _join(lang, subject + status_name(order.status, lang) + ("。" if lang == "zh" else "."), instead)
    return subject + (_closed(order, lang) or "")


def restate_action(order: OrderRecord, topic: Topic, lang: str, address: str | None = None) -> str:
    label = order_label(order, lang)
    if topic == "cancel":
        return (f"好的，我将为您取消{label}，已付款项会原路退回。请确认是否取消？" if lang == "zh"
                else f"I'll cancel {label}; anything paid goes back to your payment method. Shall I go ahead?")
    if topic == "urge":
        return (f"好的，我将为您催促仓库尽快发出{label}。请确认？" if lang == "zh"
                else f"I'll ask the warehouse to hurry {label}. Shall I go ahead?")
    masked = mask_address(address or "")
    return (f"好的，我将把{label}的收货地址改为：{masked}。请确认是否修改？" if lang == "zh"
            else f"I'll change the delivery address of {label} to: {masked}. Shall I go ahead?")


def action_done(order: OrderRecord, topic: Topic, lang: str, *, again: bool) -> str:
    label = order_label(order, lang)
    texts = {
        "cancel": ("已为您提交{label}的取消申请，款项会原路退回，请留意通知。", "The cancellation of {label} is submitted; the money goes back to your payment method."),
        "urge": ("已为您催促仓库尽快发出{label}，发出后会通知您。", "I've asked the warehouse to hurry {label}; you'll be told when it ships."),
        "address": ("已为您提交{label}的改地址申请，仓库发货前会按新地址处理。", "The address change for {label} is submitted; the warehouse will use the new address."),
    }
    zh, en = texts[topic]
    text = (zh if lang == "zh" else en).format(label=label)
    if again:
        return ("这个申请之前已经提交过了，无需重复操作。" if lang == "zh" else "This was already submitted, nothing more to do. ") + text
    return text


ASK_ADDRESS = {
    "zh": "可以修改，订单还没有发货。请发送新的收货地址（省市区 + 详细地址）。",
    "en": "Yes, it hasn't shipped yet. Please send the new delivery address (street, city, postcode).",
}
ACTION_DROPPED = {"zh": "好的，不做修改，订单保持不变。", "en": "OK, nothing changed: the order stays as it is."}
ASK_CONFIRM = {"zh": "请回复“确认”或“先不了”。", "en": "Please reply \"confirm\" or \"not now\"."}
QUICK_CONFIRM = {"zh": "确认", "en": "Confirm"}
QUICK_REFUSE = {"zh": "先不了", "en": "Not now"}

# ----------------------------------------------------------------------------- access replies

ASK_ORDER_NUMBER = {
    "zh": "请告诉我您的订单号，我帮您查询。",
    "en": "Please tell me your order number and I'll look it up.",
}
NOT_FOUND = {
    "zh": "没有找到订单 {order_id}，请核对订单号（可在“我的订单”中复制）。",
    "en": "I couldn't find order {order_id}. Please check the number (you can copy it from \"My orders\").",
}
NOT_YOURS = NOT_FOUND  # the same words: a shopper cannot tell another's order from no order
ASK_PHONE = {
    "zh": "找到订单 {order_id} 了。为保护您的隐私，请提供下单手机号的后四位。",
    "en": "I found order {order_id}. To protect your privacy, please give the last four digits of the phone number on the order.",
}
PHONE_MISMATCH = {
    "zh": "手机号后四位不匹配，请再核对一下。",
    "en": "Those digits don't match the order. Please check and try again.",
}
NO_CHECK_POSSIBLE = {
    "zh": "找到订单 {order_id} 了，但无法在这里核实您的身份。请登录后再问我，或者我帮您转人工。",
    "en": "I found order {order_id}, but I can't verify it's yours here. Please sign in and ask again, or I can pass you to a colleague.",
}
PICK_ORDER = {
    "zh": "您最近有 {n} 个订单，想查询哪一个？",
    "en": "You have {n} recent orders. Which one do you mean?",
}
NO_ORDERS = {
    "zh": "没有查到您账号下的订单。如果是用其他账号下的单，请告诉我订单号。",
    "en": "I can't find any orders on your account. If you ordered with another account, tell me the order number.",
}
SOURCE_DOWN = {
    "zh": "抱歉，我现在暂时查不到订单信息，为了不给您错误的答复，我帮您转人工客服处理。",
    "en": "Sorry, I can't see the order right now, and I won't guess. I'm passing you to a colleague.",
}
TOO_MANY_TRIES = {
    "zh": "核对失败次数较多，为了您的账户安全，我帮您转人工客服处理。",
    "en": "Too many attempts didn't match; for your security I'm passing you to a colleague.",
}


# ----------------------------------------------------------------------------- the agent's view


class OrderCard(BaseModel):
    """The conversation's order as the agent console shows it: the address masked, the
    logistics timeline newest first, and whether the abnormal rule fires."""

    order_id: str
    status: str
    amount: float
    items: list[str]
    carrier: str | None
    tracking_no: str | None
    address: str | None
    promised_ship_by: datetime | None
    shipped_at: datetime | None
    promised_delivery_by: datetime | None
    delivered_at: datetime | None
    refund: RefundState | None
    abnormal: str | None
    timeline: list[TrackingEvent]


def order_card(order: OrderRecord, now: datetime) -> OrderCard:
    return OrderCard(
        **order.model_dump(include={"order_id", "status", "amount", "items", "carrier", "tracking_no", "promised_ship_by",
                                    "shipped_at", "promised_delivery_by", "delivered_at"}),
        refund=order.refund,
        address=mask_address(order.address) if order.address else None,
        abnormal=abnormal(order, now),
        timeline=list(reversed(order.events)),
    )
