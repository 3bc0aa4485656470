"""Human-readable names for the codes the API returns (intents, escalation reasons, offer
kinds, ticket and order statuses, ...), in Chinese and English. The console and the
dashboard read them from ``GET /v1/labels`` instead of carrying their own copies, so an
internal name like ``partial_compensation`` never reaches an agent or a merchant."""

from __future__ import annotations

from typing import Literal

from bot.recovery import category_names, category_preset
from handoff.summary import ESCALATION_REASONS, INTENT_NAMES

Lang = Literal["zh", "en"]
Table = dict[str, dict[str, str]]  # code → {lang: label}

OFFER_KINDS: Table = {
    "size_exchange": {"zh": "免费换尺码", "en": "Free size exchange"},
    "replacement": {"zh": "换新", "en": "Replacement"},
    "partial_compensation": {"zh": "部分补偿", "en": "Partial compensation"},
    "coupon": {"zh": "优惠券", "en": "Coupon"},
    "expedited_reshipping": {"zh": "加急补发", "en": "Expedited reshipping"},
    "none": {"zh": "不挽单，直接退款", "en": "No offer"},
}
TICKET_STATUSES: Table = {
    "queued": {"zh": "排队中", "en": "Waiting"},
    "claimed": {"zh": "已接入", "en": "Claimed"},
    "resolved": {"zh": "已解决", "en": "Resolved"},
    "handed_back": {"zh": "已交还机器人", "en": "Handed back"},
}
ORDER_STATUSES: Table = {
    "unpaid": {"zh": "待付款", "en": "Unpaid"},
    "paid": {"zh": "待发货", "en": "Paid, not shipped"},
    "shipped": {"zh": "已发货", "en": "Shipped"},
    "delivered": {"zh": "已签收", "en": "Delivered"},
    "refunding": {"zh": "退款中", "en": "Refunding"},
    "refunded": {"zh": "已退款", "en": "Refunded"},
    "cancelled": {"zh": "已取消", "en": "Cancelled"},
}
ORDER_ABNORMAL: Table = {
    "late_ship": {"zh": "超时未发货", "en": "Late to ship"},
    "late_delivery": {"zh": "超时未送达", "en": "Late delivery"},
    "stuck": {"zh": "物流超 48 小时未更新", "en": "No tracking news for 48 h"},
}
AGENT_PRESENCE: Table = {
    "online": {"zh": "在线", "en": "Online"},
    "away": {"zh": "离开", "en": "Away"},
}
SCORE_COMPONENTS: Table = {
    "response_rate": {"zh": "30秒应答率", "en": "Response rate (30 s)"},
    "resolution_rate": {"zh": "解决率", "en": "Resolution rate"},
    "csat": {"zh": "满意度", "en": "CSAT"},
    "first_response": {"zh": "平均首次响应", "en": "First response"},
    "transfer_rate": {"zh": "转人工率", "en": "Transfer rate"},
}
AGENT_TIERS: Table = {
    "master": {"zh": "专家", "en": "Master"},
    "expert": {"zh": "资深", "en": "Expert"},
    "senior": {"zh": "高级", "en": "Senior"},
    "uncertified": {"zh": "未认证", "en": "Uncertified"},
}
QA_RULES: Table = {
    "first_response": {"zh": "首次响应慢", "en": "Slow first response"},
    "greeting": {"zh": "缺少问候", "en": "No greeting"},
    "solution": {"zh": "未给出方案", "en": "No solution or next step"},
    "forbidden": {"zh": "违禁用语", "en": "Forbidden phrase"},
    "anger": {"zh": "顾客情绪未回应", "en": "Anger left unanswered"},
    "resolution": {"zh": "未解决", "en": "Not resolved"},
    "rating": {"zh": "差评", "en": "Low rating"},
}
GAP_REASONS: Table = {
    "low_confidence": {"zh": "知识库答不上", "en": "not in the knowledge"},
    "repeated_low_confidence": {"zh": "连续答不好", "en": "weak answers"},
    "repeated_question": {"zh": "顾客重复追问", "en": "asked again"},
}
DOCUMENT_KINDS: Table = {
    "faq": {"zh": "FAQ 问答", "en": "FAQ"},
    "text": {"zh": "文档", "en": "Text"},
    "catalog": {"zh": "商品目录", "en": "Catalog"},
    "pdf": {"zh": "PDF", "en": "PDF"},
}


def _capitalised(table: Table) -> Table:
    """The summary's English reasons are mid-sentence ("shopper asked for a person"); as a tag they start a line."""
    return {code: {**names, "en": names["en"][:1].upper() + names["en"][1:]} for code, names in table.items()}


def tables() -> dict[str, Table]:
    return {
        "intents": _capitalised(INTENT_NAMES),
        "escalation_reasons": _capitalised(ESCALATION_REASONS),
        "refund_reasons": category_preset("general")["reason_labels"],
        "offer_kinds": OFFER_KINDS,
        "ticket_statuses": TICKET_STATUSES,
        "order_statuses": ORDER_STATUSES,
        "order_abnormal": ORDER_ABNORMAL,
        "agent_presence": AGENT_PRESENCE,
        "score_components": SCORE_COMPONENTS,
        "agent_tiers": AGENT_TIERS,
        "qa_rules": QA_RULES,
        "gap_reasons": GAP_REASONS,
        "document_kinds": DOCUMENT_KINDS,
        "shop_categories": category_names(),
    }


def labels(lang: Lang) -> dict[str, dict[str, str]]:
    """Every table in one language: ``{table: {code: label}}``."""
    return {name: {code: names[lang] for code, names in table.items()} for name, table in tables().items()}
