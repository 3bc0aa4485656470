"""Quality inspection (质检): every ticket a person handled, scored by the merchant's rules.

Two layers, like handoff/metrics.py:

* a pure one — :func:`score_ticket` and :func:`qa_report` — that takes plain
  :class:`TicketRecord` values and :class:`QaRules` and returns pydantic models, so each
  rule can be checked by hand;
* storage (:func:`load_rules`, :func:`save_rules`) and a loader (:func:`merchant_qa`).

The unit is a claimed ticket: the agent who claimed it, the shopper's messages from the
ticket's creation (what they wrote while queued counts) to its close, and the agent's
messages in that window. Each check gives a share s in [0, 1] or does not apply (None)::

    first_response  1 if the agent's first reply came within first_response_seconds of
                    the claim, else 0 (also 0 with no reply at all)
    greeting        1 if that first reply contains a greeting phrase, else 0
    solution        1 if any agent reply contains a solution / next-step phrase, else 0
    forbidden       0 if any agent reply contains a forbidden phrase, else 1
                    (does not apply when the agent wrote nothing)
    anger           answered / angry shopper messages (anger() >= anger_line; answered =
                    an agent reply came after it); does not apply without an angry message
    resolution      1 resolved, 0 handed back; does not apply while the ticket is open
    rating          (rating - 1) / 4 of the conversation's 1-5 rating; does not apply unrated

    ticket score = 100 * sum(w_c * s_c) / sum(w_c)      over the checks that apply
    agent score  = mean of the agent's ticket scores

Flags name the rule and the message that broke it (no message for a missing reply); a
check the merchant weighted 0 is off and raises no flag.
Phrases match case-insensitively as plain text; an English phrase matches whole words only
("hi" is not found in "shipping").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.recovery import validation_problems
from bot.sentiment import anger

CHECKS: tuple[str, ...] = ("first_response", "greeting", "solution", "forbidden", "anger", "resolution", "rating")
DEFAULT_RULES_PATH = Path(__file__).resolve().parent / "data" / "qa_default.yaml"


class QaRulesError(ValueError):
    pass


class QaRules(BaseModel):
    first_response_seconds: float = Field(gt=0)
    anger_line: float = Field(gt=0, le=1)
    low_rating: int = Field(ge=1, le=5)
    weights: dict[str, float]
    greetings: list[str]
    solutions: list[str]
    forbidden: dict[str, list[str]]  # category (off_platform, absolute_promise, insult...) -> phrases

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(weights) - set(CHECKS))
        if unknown:
            raise ValueError(f"unknown checks {unknown}; the checks are {list(CHECKS)}")
        if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
            raise ValueError("weights must be >= 0 and at least one > 0")
        return {c: float(weights.get(c, 0.0)) for c in CHECKS}

    @field_validator("greetings", "solutions")
    @classmethod
    def _clean_list(cls, phrases: list[str]) -> list[str]:
        return [p.strip() for p in phrases if p.strip()]

    @field_validator("forbidden")
    @classmethod
    def _clean_forbidden(cls, forbidden: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: [p.strip() for p in v if p.strip()] for k, v in forbidden.items()}


# --------------------------------------------------------------------------------- rules


@lru_cache(maxsize=1)
def _default_data() -> dict:
    return yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def default_rules() -> QaRules:
    return QaRules.model_validate(_default_data())


def parse_rules(body: dict, base: QaRules | None = None) -> QaRules:
    """The merchant's rules: ``body`` over ``base`` (the defaults), key by key; ``weights``
    and ``forbidden`` merge per entry, so a merchant can add one category or change one weight."""
    if not isinstance(body, dict):
        raise QaRulesError("the QA rules must be a JSON object")
    merged = (base or default_rules()).model_dump()
    for key, value in body.items():
        if key in ("weights", "forbidden") and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    try:
        return QaRules.model_validate(merged)
    except ValidationError as exc:
        raise QaRulesError(f"invalid QA rules: {validation_problems(exc, 'rules')}") from None


def load_rules(session: Session, merchant_id: str) -> QaRules:
    from handoff.models import QaRulesRow

    row = session.get(QaRulesRow, merchant_id)
    return QaRules.model_validate(row.rules) if row else default_rules()


def save_rules(session: Session, merchant_id: str, rules: QaRules) -> None:
    from handoff.models import QaRulesRow

    row = session.get(QaRulesRow, merchant_id)
    if row is None:
        session.add(QaRulesRow(merchant_id=merchant_id, rules=rules.model_dump(mode="json")))
    else:
        row.rules = rules.model_dump(mode="json")


def _phrase_pattern(phrase: str) -> str:
    # English words match whole: "hi" must not fire inside "shipping" or "this".
    head = r"(?<![A-Za-z])" if phrase[:1].isascii() and phrase[:1].isalpha() else ""
    tail = r"(?![A-Za-z])" if phrase[-1:].isascii() and phrase[-1:].isalpha() else ""
    return head + re.escape(phrase) + tail


def find_phrase(text: str, phrases: list[str]) -> str | None:
    """The first of ``phrases`` found in ``text`` (case-insensitive), or None."""
    for phrase in phrases:
        if re.search(_phrase_pattern(phrase), text, re.IGNORECASE):
            return phrase
    return None


# --------------------------------------------------------------------------------- input / output


@dataclass(frozen=True)
class MessageRecord:
    id: int
    role: str  # shopper | bot | agent | system
    text: str
    created_at: datetime
    agent_id: str | None = None


@dataclass(frozen=True)
class TicketRecord:
    id: int
    conversation_id: str
    agent_id: str
    status: str  # claimed | resolved | handed_back
    created_at: datetime
    claimed_at: datetime
    closed_at: datetime | None
    rating: int | None
    messages: list[MessageRecord] = field(default_factory=list)  # the conversation's, in time order


class QaFlag(BaseModel):
    rule: str
    detail: str  # the phrase, the category, the wait...
    ticket_id: int
    conversation_id: str
    agent_id: str
    message_id: int | None  # None when the flag is about a reply that never came
    text: str
    at: datetime | None


class TicketQa(BaseModel):
    ticket_id: int
    conversation_id: str
    agent_id: str
    score: float
    checks: dict[str, float | None]  # None = does not apply
    flags: list[QaFlag]


class AgentQa(BaseModel):
    agent_id: str
    name: str
    tickets: int
    score: float | None
    flags: int


class QaReport(BaseModel):
    merchant_id: str
    since: datetime | None
    agents: list[AgentQa]
    tickets: list[TicketQa]
    flags: list[QaFlag]  # newest first
    rules: QaRules


# --------------------------------------------------------------------------------- scoring


def score_ticket(ticket: TicketRecord, rules: QaRules) -> TicketQa:
    """One ticket's checks, flags and 0-100 score (see the module docstring)."""
    end = ticket.closed_at or datetime.max
    window = [m for m in ticket.messages if ticket.created_at <= m.created_at <= end]
    replies = [m for m in window if m.role == "agent" and m.agent_id == ticket.agent_id and m.created_at >= ticket.claimed_at]
    flags: list[QaFlag] = []

    def flag(rule: str, detail: str, message: MessageRecord | None) -> None:
        flags.append(QaFlag(
            rule=rule, detail=detail, ticket_id=ticket.id, conversation_id=ticket.conversation_id,
            agent_id=ticket.agent_id, message_id=message.id if message else None,
            text=message.text if message else "", at=message.created_at if message else None,
        ))

    checks: dict[str, float | None] = dict.fromkeys(CHECKS)
    first = replies[0] if replies else None
    if first is None:
        checks["first_response"] = checks["greeting"] = checks["solution"] = 0.0
        flag("first_response", "no reply", None)
    else:
        wait = (first.created_at - ticket.claimed_at).total_seconds()
        checks["first_response"] = float(wait <= rules.first_response_seconds)
        if not checks["first_response"]:
            flag("first_response", f"{wait:.0f} s > {rules.first_response_seconds:.0f} s", first)
        checks["greeting"] = float(find_phrase(first.text, rules.greetings) is not None)
        if not checks["greeting"]:
            flag("greeting", "no greeting in the first reply", first)
        checks["solution"] = float(any(find_phrase(m.text, rules.solutions) for m in replies))
        if not checks["solution"]:
            flag("solution", "no solution or next step", replies[-1])
        checks["forbidden"] = 1.0
        for m in replies:
            for category, phrases in rules.forbidden.items():
                phrase = find_phrase(m.text, phrases)
                if phrase is not None:
                    checks["forbidden"] = 0.0
                    flag("forbidden", f"{category}: {phrase}", m)

    angry = [m for m in window if m.role == "shopper" and anger(m.text) >= rules.anger_line]
    if angry:
        unanswered = [m for m in angry if not any(r.created_at > m.created_at for r in replies)]
        checks["anger"] = 1.0 - len(unanswered) / len(angry)
        for m in unanswered:
            flag("anger", "angry message left unanswered", m)

    if ticket.status == "resolved":
        checks["resolution"] = 1.0
    elif ticket.status == "handed_back":
        checks["resolution"] = 0.0
        flag("resolution", "handed back unresolved", None)

    if ticket.rating is not None and ticket.closed_at is not None:
        checks["rating"] = (ticket.rating - 1) / 4
        if ticket.rating <= rules.low_rating:
            flag("rating", f"rated {ticket.rating}/5", None)

    used = {c: s for c, s in checks.items() if s is not None and rules.weights[c] > 0}
    total = sum(rules.weights[c] for c in used)
    score = 100.0 * sum(rules.weights[c] * s for c, s in used.items()) / total if total else 100.0
    return TicketQa(
        ticket_id=ticket.id, conversation_id=ticket.conversation_id, agent_id=ticket.agent_id,
        score=score, checks=checks, flags=[f for f in flags if rules.weights[f.rule] > 0],  # weight 0 = rule off
    )


def qa_report(
    tickets: list[TicketRecord],
    rules: QaRules,
    *,
    merchant_id: str = "",
    since: datetime | None = None,
    agent_names: dict[str, str] | None = None,
) -> QaReport:
    """Every ticket scored; per agent the mean ticket score and the number of flags."""
    names = agent_names or {}
    scored = [score_ticket(t, rules) for t in tickets]
    by_agent: dict[str, list[TicketQa]] = {}
    for t in scored:
        by_agent.setdefault(t.agent_id, []).append(t)
    agents = [
        AgentQa(
            agent_id=agent, name=names.get(agent, agent), tickets=len(ts),
            score=sum(t.score for t in ts) / len(ts), flags=sum(len(t.flags) for t in ts),
        )
        for agent, ts in by_agent.items()
    ]
    agents += [AgentQa(agent_id=a, name=n, tickets=0, score=None, flags=0) for a, n in names.items() if a not in by_agent]
    flags = sorted((f for t in scored for f in t.flags), key=lambda f: (f.at or datetime.min, f.ticket_id), reverse=True)
    return QaReport(
        merchant_id=merchant_id, since=since, rules=rules, tickets=scored, flags=flags,
        agents=sorted(agents, key=lambda a: (-a.tickets, a.agent_id)),
    )


# --------------------------------------------------------------------------------- the database


def load_tickets(session: Session, merchant_id: str, since: datetime | None = None) -> list[TicketRecord]:
    """The merchant's claimed tickets created at or after ``since``, with their conversations' messages."""
    from bot.models import Conversation, Message
    from handoff.models import HandoffTicket

    query = select(HandoffTicket, Conversation.rating).join(Conversation, Conversation.id == HandoffTicket.conversation_id)
    query = query.where(HandoffTicket.merchant_id == merchant_id, HandoffTicket.claimed_at.is_not(None),
                        HandoffTicket.agent_id.is_not(None))
    if since is not None:
        query = query.where(HandoffTicket.created_at >= since)
    rows = session.execute(query.order_by(HandoffTicket.id)).all()
    conversation_ids = {t.conversation_id for t, _ in rows}
    messages: dict[str, list[MessageRecord]] = {c: [] for c in conversation_ids}
    if conversation_ids:
        found = session.scalars(
            select(Message).where(Message.conversation_id.in_(conversation_ids)).order_by(Message.id)
        )
        for m in found:
            messages[m.conversation_id].append(
                MessageRecord(id=m.id, role=m.role, text=m.text, created_at=m.created_at, agent_id=m.agent_id)
            )
    return [
        TicketRecord(
            id=t.id, conversation_id=t.conversation_id, agent_id=t.agent_id, status=t.status,
            created_at=t.created_at, claimed_at=t.claimed_at, closed_at=t.closed_at, rating=rating,
            messages=messages[t.conversation_id],
        )
        for t, rating in rows
    ]


def merchant_qa(merchant_id: str, *, since: datetime | None = None) -> QaReport:
    from handoff.models import Agent
    from xiaoer.db import session_scope

    with session_scope() as session:
        rules = load_rules(session, merchant_id)
        tickets = load_tickets(session, merchant_id, since)
        names = dict(session.execute(select(Agent.id, Agent.name).where(Agent.merchant_id == merchant_id)).all())
    return qa_report(tickets, rules, merchant_id=merchant_id, since=since, agent_names=names)
