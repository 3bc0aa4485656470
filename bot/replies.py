"""Fixed reply templates, zh and en. Offers and handoffs are always worded from here,
so no model output can change what the shop promises."""

from __future__ import annotations

import re
from typing import Literal

from bot.recovery import REFUND_REASONS, RecoveryOffer, RecoveryPolicy

_THANKS = re.compile(r"谢|感谢|多谢|辛苦|thank|thx|\bty\b|appreciate|👍|👌|🙏|❤|😊|🙂|🥰", re.IGNORECASE)
_BYE = re.compile(r"再见|拜拜|886|\bbye\b|goodbye|see you", re.IGNORECASE)
_GREETING = re.compile(
    r"你好|您好|在吗|在不在|有人吗|哈喽|嗨|早上好|下午好|晚上好|早安|"
    r"^\s*(hi|hello|hey|yo|hiya)\b|good (morning|afternoon|evening)|anyone there",
    re.IGNORECASE,
)
# A whole message that only acknowledges ("好的", "嗯嗯", "ok"): it asks nothing, so it gets
# a short acknowledgement, never an answer retrieved for it.
_ACK = re.compile(
    r"^\s*(好的?|好滴|好吧|好嘞|嗯+|哦+|噢+|行|行吧|可以|知道了|明白了?|收到|了解|ok|okay|okk+|k|sure|alright|got it|i see|cool|fine|noted)"
    r"\s*(的|啦|了|呀|哈|嗯)?\s*[~～!！。.,，]*\s*$",
    re.IGNORECASE,
)


def is_acknowledgement(text: str) -> bool:
    return _ACK.match(text) is not None


# What a shopper says when the matter is settled ("好的谢谢", "解决了", "thanks, that worked").
# A message confirms a resolution only when nothing else is left once these and filler
# are taken out: "谢谢，但是还没到货" still has its problem in it.
_CONFIRMS = re.compile(
    r"thank(s| you)|thx|\bty\b|cheers|that (worked|works|helped|helps)|it works|works now|"
    r"(problem )?(solved|resolved|sorted|fixed)|got it|perfect|great|all good|awesome|no problem|appreciated?|"
    r"谢谢|谢啦|谢了|多谢|感谢|辛苦了?|解决了|搞定了?|已经好了|好了|可以了|没问题了?|没事了|明白了?|知道了|收到了?|"
    r"好的|好滴|好嘞|行了|ok|okay|👍|👌|🙏",
    re.IGNORECASE,
)
_CONFIRM_FILLER = re.compile(
    r"[\W_]+|[啊呀哈嗯哦噢喔啦的呢吧哒嘛亲您你]|"
    r"\b(so|much|very|a lot|lots|you|all|now|it|that|is|guys|again|really|for|your|help|the)\b",
    re.IGNORECASE,
)


def confirms_resolution(text: str) -> bool:
    """The shopper says their matter is settled, and says nothing else."""
    if not _CONFIRMS.search(text):
        return False
    return not _CONFIRM_FILLER.sub("", _CONFIRMS.sub(" ", text))


def small_talk(text: str) -> Literal["thanks", "bye", "greeting", "ack"] | None:
    """Which small-talk template fits, or None when the message is more than small talk."""
    if is_acknowledgement(text):
        return "ack"
    if _THANKS.search(text):
        return "thanks"
    if _BYE.search(text):
        return "bye"
    if _GREETING.search(text):
        return "greeting"
    return None


GREETING = {
    "zh": "您好，欢迎光临！我是店铺智能客服，{topics}的问题都可以问我。",
    "en": "Hi, welcome! I'm the shop's assistant: ask me about {topics}.",
}
THANKS = {
    "zh": "不客气，很高兴能帮到您！还有其他问题随时找我哦。",
    "en": "You're welcome, glad I could help! Ask me anytime if anything else comes up.",
}
GOODBYE = {"zh": "好的，祝您购物愉快，再见！", "en": "Thanks for stopping by, have a great day!"}

HOLDING = {
    "zh": "已为您转接人工客服，同事通常会在 {minutes} 分钟内接入，请稍候，您可以继续留言。",
    "en": "I've passed you to a colleague, who usually joins within {minutes} minutes. Feel free to keep typing while you wait.",
}
QUEUE_TIMEOUT = {
    "zh": "非常抱歉让您久等了，人工客服暂时都在忙。我先继续为您服务，您也可以稍后再转人工。",
    "en": "I'm sorry for the wait: all my colleagues are busy right now. I'll keep helping you in the meantime, and you can ask for a person again later.",
}
HANDED_BACK = {
    "zh": "人工客服已将会话交回给我，还有什么可以帮您？",
    "en": "My colleague has handed you back to me. Anything else I can help with?",
}
AGENT_JOINED = {
    "zh": "客服 {name} 已加入，为您服务",
    "en": "{name} has joined the chat",
}
PHOTO_MESSAGE = {"zh": "[图片]", "en": "[photo]"}  # a photo's text in transcripts and summaries
PHOTO_RECEIVED = {
    "zh": "已收到您的图片，我已请人工客服来查看，请稍候，您可以继续留言。",
    "en": "Thanks for the photo. I've asked a colleague to look at it; feel free to keep typing while you wait.",
}
RESOLVED = {
    "zh": "本次服务已结束，感谢您的耐心。方便的话请为本次服务打分（1-5 分）。",
    "en": "This conversation is resolved, thank you for your patience. Would you rate it from 1 to 5?",
}

ASK_REASON = {
    "zh": "很抱歉给您带来不便。方便说一下退款的原因吗？{choices}",
    "en": "Sorry about that. May I ask why you'd like a refund? {choices}",
}


def ask_reason_text(policy: RecoveryPolicy, lang: str) -> str:
    """The numbered reasons in the shop's own words (its category's preset or its policy)."""
    labels = [policy.reason_label(code, lang) for code in REFUND_REASONS]
    choices = ("　" if lang == "zh" else " · ").join(f"{i} {label}" for i, label in enumerate(labels, start=1))
    return ASK_REASON[lang].format(choices=choices)


def greeting_text(policy: RecoveryPolicy, lang: str) -> str:
    return GREETING[lang].format(topics=policy.greeting_topics(lang))


WELCOME = {  # the widget's first words, before the shopper says anything
    "zh": "您好，欢迎光临{shop}！我是店铺智能客服，{topics}的问题都可以问我。",
    "en": "Hi, welcome to {shop}! I'm the shop's assistant: ask me about {topics}.",
}


def welcome_text(policy: RecoveryPolicy, shop_name: str, lang: str) -> str:
    return WELCOME[lang].format(shop=shop_name, topics=policy.greeting_topics(lang))

_OFFER_TEXT = {
    "size_exchange": {
        "zh": "如果是尺码或规格不合适，我们可以为您免费更换（来回运费店铺承担），不用退款重拍。需要帮您换吗？",
        "en": "If it's the size or spec, we can exchange it for free (we cover shipping both ways), no need to refund and re-order. Shall I arrange that?",
    },
    "replacement": {
        "zh": "我们可以为您免费换一件新的，运费由店铺承担。需要为您换新吗？",
        "en": "We can send you a brand-new replacement free of charge, shipping on us. Would you like that?",
    },
    "partial_compensation": {
        "zh": "给您添麻烦了。如果您愿意保留商品，我们可以补偿您 {amount}。您看可以吗？",
        "en": "Sorry for the trouble. If you'd like to keep the item, we can compensate you {amount}. Would that work for you?",
    },
    "coupon": {
        "zh": "理解您的心情。如果您愿意保留这笔订单，我们送您一张 {amount} 的无门槛优惠券。您看可以吗？",
        "en": "I understand. If you'd like to keep the order, we'll give you a {amount} coupon, no minimum spend. Would that work for you?",
    },
    "expedited_reshipping": {
        "zh": "我们可以为您加急重新发货，优先顺丰配送。需要为您安排吗？",
        "en": "We can reship it for you right away by express courier. Shall I arrange that?",
    },
}
_OFFER_TAIL = {
    "zh": "如果还是想退款也完全没问题，回复“不用了”即可。",
    "en": "If you'd still rather have the refund, that's absolutely fine: just say \"no thanks\".",
}
_ACCEPTED = {
    "size_exchange": {"zh": "好的，已为您登记免费换码，稍后会有专人联系您确认新尺码。", "en": "Done: a free size exchange is booked, and we'll contact you to confirm the new size."},
    "replacement": {"zh": "好的，已为您登记换新，新件会尽快发出。", "en": "Done: a replacement is booked and will ship soon."},
    "partial_compensation": {"zh": "好的，{amount} 补偿已为您登记，将退回原支付账户。", "en": "Done: the {amount} compensation is booked and goes back to your payment account."},
    "coupon": {"zh": "好的，{amount} 优惠券已发放到您的账户，下单时自动可用。", "en": "Done: the {amount} coupon is in your account and applies automatically at checkout."},
    "expedited_reshipping": {"zh": "好的，已为您安排加急重发，发出后会通知您单号。", "en": "Done: express reshipping is arranged; we'll send you the tracking number."},
}
DECLINED = {
    "zh": "好的，完全理解，不打扰您了。",
    "en": "Of course, no problem at all.",
}

QUICK_ACCEPT = {"zh": "接受", "en": "Accept"}
QUICK_DECLINE = {"zh": "不用了，直接退款", "en": "No thanks, refund"}
QUICK_HUMAN = {"zh": "转人工", "en": "Talk to a person"}


ACKNOWLEDGED = {"zh": "好的，还有其他问题随时问我哦。", "en": "Sure! Let me know if there's anything else I can help with."}
SMALL_TALK = {"thanks": THANKS, "bye": GOODBYE, "greeting": GREETING, "ack": ACKNOWLEDGED}


def small_talk_text(kind: str, policy: RecoveryPolicy, lang: str) -> str:
    return greeting_text(policy, lang) if kind == "greeting" else SMALL_TALK[kind][lang]


CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€"}


def money(amount: float, currency: str, text: str | None = None) -> str:
    """An amount in the shop's currency; ``text``: the amount already written (a catalog
    price keeps its cents: 19.50)."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    text = text or f"{amount:.2f}".rstrip("0").rstrip(".")
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def offer_text(offer: RecoveryOffer, lang: str) -> str:
    body = _OFFER_TEXT[offer.kind][lang].format(amount=money(offer.amount, offer.currency))
    return f"{body}{'' if lang == 'zh' else ' '}{_OFFER_TAIL[lang]}"


def accepted_text(offer: RecoveryOffer, lang: str) -> str:
    return _ACCEPTED[offer.kind][lang].format(amount=money(offer.amount, offer.currency))


def refund_steps_text(policy: RecoveryPolicy, lang: str, *, after_decline: bool = False) -> str:
    steps = policy.refund_steps[lang]
    return f"{DECLINED[lang]}{'' if lang == 'zh' else ' '}{steps}" if after_decline else steps
