"""Safety reports: a product that burned, smoked, swelled, hurt someone or made a person or
pet ill goes to a person at once, with priority, whatever the answerer's confidence.
A fixed zh/en lexicon, because a missed report costs far more than an extra handoff."""

from __future__ import annotations

import re

_SAFETY = re.compile(
    r"起火|着火|冒烟|冒火|烧焦|烧起来|爆炸|炸了|鼓包|漏电|触电|电到|烫伤|烧伤|割伤|划伤|受伤|流血|过敏|起疹|红肿|中毒|"
    r"送医|医院|急诊|呕吐|吐了|拉肚子|腹泻|抽搐|窒息|噎住|卡喉|夹伤|夹到.{0,6}(手|脚|指)|(手|脚|指).{0,3}肿|过热|发烫|"
    r"\b(fire|smoke|smoking|burn(ed|t|ing|s)?|explod\w*|swell(ed|ing)?|swollen|shock(ed)?|injur\w*|hurt|bleed\w*|overheat\w*|pinch(ed)?|"
    r"allerg\w*|rash|poison\w*|hospital|vomit\w*|threw up|diarrh\w*|chok\w*|seizure)\b",
    re.IGNORECASE,
)


def is_safety_report(text: str) -> bool:
    return _SAFETY.search(text) is not None
