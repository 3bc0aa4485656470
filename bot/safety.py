"""Safety reports: a product that burned, smoked, swelled, hurt someone or made a person or
pet ill goes to a person at once, with priority, whatever the answerer's confidence.
A fixed zh/en lexicon, because a missed report costs far more than an extra handoff, and
beside it closeness in meaning to written reports of harm (``HarmLikeness``) for the words
no lexicon lists; a question whether something could happen ("会不会过敏?") is not a report."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

_SAFETY = re.compile(
    r"起火|着火|冒烟|冒火|烧焦|烧起来|爆炸|炸了|鼓包|鼓起来|漏电|触电|电到|烫伤|烫手|烫起泡|烫红|烫得?发红|差点儿?(出事|掉|飞出|撞|翻车|摔|砸|追尾|出车祸)|车祸|刹车(失灵|发软|不灵|踩不下去)|起泡|烧伤|割伤|划伤|受伤|流血|过敏|起疹|红疹|疹子|红肿|喉咙(痒|肿|疼)|中毒|"
    r"送医|医院|急诊|呕吐|吐了|(一直|老是|总是|还在|不停地?)(吐|拉稀)|吐个不停|不吃不喝|拉.{0,4}肚子|腹泻|抽搐|窒息|噎住|卡喉|夹伤|夹到.{0,6}(手|脚|指)|(手|脚|指).{0,3}肿|过热|发烫|"
    # Skin reactions (cosmetics, baby care) and injuries in use (fitness gear, furniture).
    r"烂脸|刺痛|灼痛|灼热感|泛红|发红发痒|红痒|瘙痒|起痘|爆痘|脱皮|肿了|肿起来|破皮|扭伤|骨折|拉伤|砸伤|砸到.{0,4}(脚|手|头|腿|人)|摔伤|"
    r"摔了(一|个)?跤|摔倒了|(脚|腰|脚踝|手腕|膝盖|脖子)扭了|扭到(了)?(脚|腰)|崴(了|到)?脚|"  # a fall or a sprain in use (a lock that gave way)
    # Burnt out, short of breath, crushed (a cable, a snorkel mask, a safety shoe).
    r"烧化|烧熔|喘不上气|喘不过气|呼吸困难|呛(水|到|死|着)了?|胸口.{0,3}(疼|痛|闷)|肿[得的]|压到.{0,4}(脚|手|头|腿|趾)|被砸(了|伤|到)|"
    r"弹到.{0,4}(脸|眼|手)|(扎|刺)(进|到|破|伤).{0,4}(手|脚|肉|眼|皮|指)|崩断.{0,8}(打|弹|伤)|头晕|晕倒|流了.{0,4}血|出血|(?<!把)(手|脚|腿|脸|指|胳膊).{0,3}(划|割)(了|破|伤)|"
    # Swallowed parts (toys, baby and pet goods), leaking batteries, eyes and skin stung.
    r"误食|误吞|吞(了|下|进)|(孩子|宝宝|小孩|娃|儿子|女儿).{0,10}(咬|啃)(了|下|掉)|(孩子|宝宝|小孩|娃|儿子|女儿|狗|猫).{0,10}吃(进去|下去|进肚|到肚子?里)|(孩子|宝宝|小孩|娃|儿子|女儿|狗|猫).{0,10}把.{1,8}(喝|吃|吞)(了|掉|下)|咽(了|下)|(放|塞)(进|到)?.{0,2}嘴里|舔了|卡(在|住).{0,4}(喉|嗓子|气管)|电池.{0,6}(漏液|流液)|辣眼|眼睛.{0,4}(疼|痛|红|肿|睁不开)|灼烧|烧灼|"
    # Numb or blue limbs, a nosebleed (compression wear, tonics); fraud in the shop's name (a fake
    # agent's call, a stolen account, money taken): harm the shop must act on at once, like an
    # injury; a splinter driven in, brakes that failed on a rented car.
    r"发麻|发紫|麻木|流鼻血|鼻血|被骗|诈骗电话|冒充.{0,6}(客服|店|你们)|(账号|号)被盗|盗号|(?<!防)盗刷|"
    # Breathed in (toner, powder, fumes) and coughing since.
    r"吸进去|吸进了|吸入了|一直咳|咳个不停|咳嗽不止|\binhaled\b|\bbreathed in\b|\b(keeps?|kept|been|started) coughing\b|"
    r"\b(brakes? (failed|gave out|went soft)|(nearly|almost) (crashed|had an accident)|car accident|splinters?|"
    r"unauthori[sz]ed (charges?|payments?)|fraudulent (charges?|payments?)|numb(ness)?|nosebleeds?|nose (was |is )?bleeding|scammed|phishing|hacked|stolen account|account (was )?stolen|"
    r"fire|smoke|smoking|burn(ed|t|ing|s)?|explod\w*|swell(ed|ing)?|swollen|shock(ed)?|injur\w*|hurt(s|ing)?|bleed\w*|overheat\w*|pinch(ed)?|"
    r"allerg\w*|rash|hives|blister\w*|poison\w*|hospital|vomit\w*|threw up|throwing up|throw up|diarrh\w*|chok\w*|seizure|"
    r"sprain\w*|fractur\w*|bruis\w*|itch(y|ing)|stinging|breakout|broke out|swelling|dizzy|faint\w*|cut (my|his|her|their)|"
    r"snapped and hit|fell on (my|his|her)|(i|he|she|we|my (son|daughter|kid|child|wife|husband|mum|mom|dad)) fell\b|twisted (my|his|her) (ankle|knee|wrist)|swallow(ed|s)?|ingest\w*|(toddler|baby|kid|child|son|daughter)s? (has |had )?(chewed|ate|eaten|bit|bitten|munched)|in (his|her|their|my (son|daughter|kid|baby)'?s?|the (baby|kid|child|dog|cat)'?s) mouth|licked|leak(ed|ing) battery|battery (leaked|leaking))\b",
    re.IGNORECASE,
)


# "会不会过敏？", "is it safe if it gets hot?": asking before anything happened is a question.
_HYPOTHETICAL = re.compile(r"会不会|会.{0,8}吗|能不能|能.{0,10}(吗|不|么)|可以.{0,10}(吗|不|么)|是否|安全吗|"
                           r"^(can|could|will|would|does|do|is|are)\b", re.IGNORECASE)
_HAPPENED = re.compile(r"了|已经|刚才|昨天|今天|\b(got|ate|was|were|has|have|had|started|\w+ed)\b", re.IGNORECASE)


_ALLERGEN = re.compile(r"过敏[原源]|致敏(物|成分)?")


def is_safety_report(text: str) -> bool:
    """Something happened (burned, swelled, made someone ill), not a question whether it could."""
    text = _ALLERGEN.sub(" ", text)  # "有啥过敏原" asks what it contains; nothing happened
    if _SAFETY.search(text) is None:
        return False
    return not _HYPOTHETICAL.search(text) or _HAPPENED.search(text) is not None


HARM_REPORTS = Path(__file__).with_name("data") / "harm_reports.txt"
# How close in meaning (USE cosine) a message must come to one of the written reports of harm.
# Chosen on the dev shops' 2,817 messages: at 0.55, 43 of their 68 safety reports are found
# by meaning alone and no other message is (the closest other, a broken charger told in
# anger, is at 0.53); 5,000 Bitext messages: none.
HARM_LIKENESS = 0.55


@lru_cache(maxsize=1)
def harm_reports() -> tuple[str, ...]:
    lines = HARM_REPORTS.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


class HarmLikeness:
    """Harm told in words the lexicon lacks ("the plug got scorched black and sparked"): a
    message that says something happened and is close in meaning to a written report of harm."""

    def __init__(self, embedder) -> None:
        # Embedded with the classifier (a few dozen sentences, once): no turn pays for it.
        self._reports = np.asarray(embedder.embed(list(harm_reports())), dtype=np.float32)

    def reported(self, text: str, vector: np.ndarray) -> bool:
        if not _HAPPENED.search(text):
            return False  # a question whether it could happen is no report
        return float((self._reports @ np.asarray(vector, dtype=np.float32).ravel()).max()) >= HARM_LIKENESS
