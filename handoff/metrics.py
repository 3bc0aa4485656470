"""Merchant figures, the service score and agent certification tiers, computed from the
metric event log (bot/events.py defines every kind and field) after the fact.

Two layers:

* a pure one — :func:`compute_metrics`, :func:`service_score`, :func:`agent_tier` and the
  normalisations — that takes plain :class:`EventRecord` values and a ``now`` and returns
  pydantic models, so every figure can be checked by hand without a database;
* a thin loader, :func:`merchant_metrics`, that reads one merchant's ``metric_events`` rows
  and agent names and hands them to the pure layer.

The period. A conversation belongs to the period ``[since, until)`` when its
``conversation_started`` event does; every conversation figure, the response rate, the
ratings, the offers and the agent figures are then computed from *all* events of those
conversations up to ``now`` (a reply or a resolution that came after ``until`` still
counts for the conversation it belongs to). Events of conversations that started before
``since`` (or have no ``conversation_started`` event) are left out. The daily series
buckets each conversation by the UTC day it started, so the days add up to the period.

The service score (0-5)::

    score = 5 * sum(WEIGHTS[c] * n_c) / sum(WEIGHTS[c])      over components c that have data

with the normalised components n_c in [0, 1]::

    response_rate    as is
    resolution_rate  as is
    csat             (mean rating - 1) / 4
    first_response   1 if avg <= 3 s, 0 if avg >= 60 s, (60 - avg) / 57 in between
    transfer_rate    1 - transfer rate

``resolution_rate`` counts a conversation whose last resolution is confirmed or assumed (a
ticket an agent resolved also while its 24 h are running); a reopened one does not count
(see :class:`ResolutionFigures`).

A component without data (no ratings yet, no shopper messages...) is left out and the
remaining weights are renormalised; :attr:`ServiceScore.left_out` names it.
``excellent`` means ``score >= 4.8``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

# --- constants -------------------------------------------------------------------------

RESPONSE_SLA_SECONDS = 30.0  # Taobao's "30秒应答率": a reply within 30 s counts as responded
REOPEN_WINDOW = timedelta(days=7)  # the shopper writing again (or a new handoff) this soon takes a resolution back
SILENCE_WINDOW = timedelta(hours=24)  # a resolution the shopper left unanswered this long is assumed
CONFIRMING_RATING = 4  # a rating at or above this, given after the resolution, confirms it

FIRST_RESPONSE_BEST_SECONDS = 3.0  # average first response at or below: normalised 1.0
FIRST_RESPONSE_WORST_SECONDS = 60.0  # at or above: normalised 0.0

# Component weights of the service score; they sum to 1.
WEIGHTS: dict[str, float] = {
    "response_rate": 0.25,
    "resolution_rate": 0.25,
    "csat": 0.30,
    "first_response": 0.10,
    "transfer_rate": 0.10,
}
EXCELLENT_SCORE = 4.8
SCORE_MAX = 5.0

MIN_TICKETS_FOR_TIER = 5


@dataclass(frozen=True)
class Tier:
    code: str
    label: str
    min_response_rate: float
    min_resolution_rate: float
    min_qa_score: float  # the agent's quality-inspection score, 0-100 (handoff/qa.py)


# Highest first: an agent gets the first tier whose thresholds they all meet.
TIERS: tuple[Tier, ...] = (
    Tier("master", "专家", 0.95, 0.90, 90.0),
    Tier("expert", "资深", 0.90, 0.80, 80.0),
    Tier("senior", "高级", 0.80, 0.70, 70.0),
)
UNCERTIFIED = Tier("uncertified", "未认证", math.inf, math.inf, math.inf)

# Weighted sums carry rounding error; a score of exactly 4.8 must not miss the line by 1e-16.
_EPS = 1e-9


# --- input -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRecord:
    """One metric event as plain values (a ``metric_events`` row without its ids)."""

    kind: str
    conversation_id: str | None
    value: float | None
    agent_id: str | None
    data: dict | None
    created_at: datetime  # naive UTC, like every timestamp in the database

    def get(self, key: str, default=None):
        return (self.data or {}).get(key, default)


# --- output ----------------------------------------------------------------------------


class Period(BaseModel):
    since: datetime | None
    until: datetime | None
    now: datetime


class ComponentScore(BaseModel):
    """One service-score component: the raw figure, its [0, 1] normalisation and weight."""

    name: str
    value: float | None  # a rate, a mean rating (1-5) or seconds; None = no data
    normalised: float | None
    weight: float
    included: bool


class ServiceScore(BaseModel):
    score: float | None  # full precision; None when no component has data
    excellent: bool
    components: list[ComponentScore]
    left_out: list[str]

    @property
    def display(self) -> str:
        """Two decimals, for display only (``excellent`` is decided on the full score)."""
        return "-" if self.score is None else f"{self.score:.2f}"


class Csat(BaseModel):
    mean: float | None
    ratings: int


class RecoveryFigures(BaseModel):
    offers_made: int
    offers_accepted: int
    offers_declined: int
    recovery_rate: float | None  # accepted / made
    accepted_with_order: int  # accepted offers whose order (and so its amount) is known
    amount_saved: float  # sum of data.saved on offer_accepted: the kept orders' value
    compensation_given: float  # sum of offer_accepted values


class OrderFigures(BaseModel):
    lookups: int  # order_lookup events: answers and actions shown from a shopper's own order
    abnormal: int  # order_abnormal events: late or stuck orders found
    actions: int  # order_action events: cancels, address changes, urges confirmed
    bot_resolved_with_order: int  # bot-resolved conversations that looked up an order
    share_of_bot_resolved: float | None  # bot_resolved_with_order / bot-resolved conversations


class ResolutionFigures(BaseModel):
    """Each conversation's last resolution by how it stands (see ``_resolution``); the
    rates are shares of the settled ones (confirmed + assumed + reopened): a pending one
    (under 24 h old, no word from the shopper yet) is counted once it settles."""

    confirmed: int  # the shopper said so ("好的谢谢", "thanks, that worked") or rated it >= 4
    assumed: int  # no reply from the shopper within 24 h
    reopened: int  # the shopper wrote again, or a new handoff, within 7 days
    pending: int
    confirmed_rate: float | None
    assumed_rate: float | None
    reopened_rate: float | None


class AdoptionFigures(BaseModel):
    """Agent replies that started from a suggested reply (``agent_replied`` events)."""

    replies: int
    from_suggestion: int  # sent unchanged or edited
    edited: int  # of those, changed before sending
    adoption_rate: float | None  # from_suggestion / replies


class AgentMetrics(BaseModel):
    agent_id: str
    name: str
    tickets_claimed: int
    tickets_resolved: int
    messages_owed: int  # sum of pending at claim + shopper messages held by the agent
    responded_in_sla: int
    response_rate: float | None
    resolution_rate: float | None
    avg_handling_seconds: float | None
    qa_score: float | None = None  # handoff/qa.py, 0-100; None = no inspected ticket
    replies: int = 0  # messages the agent sent
    replies_from_suggestion: int = 0  # of those, started from a suggested reply
    adoption_rate: float | None = None  # replies_from_suggestion / replies
    tier: str
    tier_label: str


class DailyPoint(BaseModel):
    day: date
    conversations: int
    resolved: int
    escalated: int
    offers_accepted: int


class MerchantMetrics(BaseModel):
    merchant_id: str
    period: Period
    conversations: int
    resolved: int
    bot_resolved: int
    reopened: int
    escalated: int
    shopper_messages: int  # in the response-rate denominator
    pending_messages: int  # younger than the SLA and not yet answered: not counted yet
    responded_in_sla: int
    response_rate: float | None
    avg_first_response_seconds: float | None
    resolution_rate: float | None
    bot_resolution_rate: float | None
    transfer_rate: float | None
    csat: Csat
    resolution: ResolutionFigures
    adoption: AdoptionFigures
    recovery: RecoveryFigures
    orders: OrderFigures
    service_score: ServiceScore
    agents: list[AgentMetrics]
    daily: list[DailyPoint]


# --- normalisations and the score --------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def normalise_first_response(seconds: float) -> float:
    """1.0 at or below 3 s, 0.0 at or above 60 s, linear in between: (60 - s) / 57."""
    best, worst = FIRST_RESPONSE_BEST_SECONDS, FIRST_RESPONSE_WORST_SECONDS
    return _clamp((worst - seconds) / (worst - best))


def normalise_csat(mean_rating: float) -> float:
    """A 1-5 mean rating onto [0, 1]: (mean - 1) / 4."""
    return _clamp((mean_rating - 1.0) / 4.0)


def service_score(
    *,
    response_rate: float | None = None,
    resolution_rate: float | None = None,
    csat: float | None = None,
    avg_first_response_seconds: float | None = None,
    transfer_rate: float | None = None,
) -> ServiceScore:
    """The 0-5 service score from the raw figures (None = no data for that component).

    ``score = 5 * sum(w_c * n_c) / sum(w_c)`` over the components with data, where n_c is
    the component normalised to [0, 1] (see the module docstring) and w_c its weight in
    :data:`WEIGHTS`. ``excellent`` is ``score >= 4.8``.
    """
    raw = {
        "response_rate": (response_rate, _clamp),
        "resolution_rate": (resolution_rate, _clamp),
        "csat": (csat, normalise_csat),
        "first_response": (avg_first_response_seconds, normalise_first_response),
        "transfer_rate": (transfer_rate, lambda rate: 1.0 - _clamp(rate)),
    }
    components: list[ComponentScore] = []
    for name, weight in WEIGHTS.items():
        value, normalise = raw[name]
        normalised = None if value is None else normalise(value)
        components.append(
            ComponentScore(name=name, value=value, normalised=normalised, weight=weight, included=value is not None)
        )
    used = [c for c in components if c.included]
    total_weight = sum(c.weight for c in used)
    score = SCORE_MAX * sum(c.weight * c.normalised for c in used) / total_weight if used else None
    return ServiceScore(
        score=score,
        excellent=score is not None and score >= EXCELLENT_SCORE - _EPS,
        components=components,
        left_out=[c.name for c in components if not c.included],
    )


def agent_tier(
    response_rate: float | None, resolution_rate: float | None, tickets_claimed: int, qa_score: float | None = None
) -> Tier:
    """The certification tier: the highest of :data:`TIERS` whose response-rate,
    resolution-rate and QA-score thresholds are all met (``>=``); :data:`UNCERTIFIED`
    below them all and whenever the agent claimed fewer than :data:`MIN_TICKETS_FOR_TIER`
    tickets. An agent with no QA score (no inspected ticket) is judged on the two rates."""
    if tickets_claimed < MIN_TICKETS_FOR_TIER or response_rate is None or resolution_rate is None:
        return UNCERTIFIED
    for tier in TIERS:
        qa_met = qa_score is None or qa_score >= tier.min_qa_score - _EPS
        if response_rate >= tier.min_response_rate and resolution_rate >= tier.min_resolution_rate and qa_met:
            return tier
    return UNCERTIFIED


# --- conversations -----------------------------------------------------------------------


_BOT_SETTLES = ("order_lookup", "offer_accepted", "offer_declined")
Resolution = Literal["confirmed", "assumed", "reopened", "pending"]


@dataclass
class _Outcome:
    started: datetime
    escalated: bool
    resolved: bool
    bot_resolved: bool
    reopened: bool
    offers_accepted: int
    order_lookup: bool = False
    resolution: Resolution | None = None  # None: the conversation never reached a resolution


def _settled_at(events: Sequence[EventRecord], escalated: bool) -> datetime | None:
    """When the conversation was last settled: its last ``ticket_resolved``; for a
    conversation no person was asked into, the bot's last answer (``answered`` other than
    small talk, ``order_lookup``, or a refund offer accepted or declined). None: nothing
    settled it."""
    resolutions = [e for e in events if e.kind == "ticket_resolved"]
    if resolutions:
        return resolutions[-1].created_at
    if escalated:
        return None
    answers = [e for e in events if e.kind in _BOT_SETTLES or (e.kind == "answered" and e.get("intent") != "chitchat")]
    return answers[-1].created_at if answers else None


def _resolution(events: Sequence[EventRecord], settled: datetime, now: datetime) -> Resolution:
    """How a resolution at ``settled`` stands at ``now`` (as Intercom Fin and Chatwoot count):

    * reopened: within :data:`REOPEN_WINDOW` (7 days) the shopper wrote again (anything but
      a confirmation) or the conversation was handed to a person again;
    * confirmed: otherwise, the shopper said it is settled (a ``shopper_message`` marked
      ``confirms``: "好的谢谢", "thanks, that worked") or rated it >= 4 after it;
    * assumed: otherwise, more than :data:`SILENCE_WINDOW` (24 h) passed with no reply;
    * pending: less than 24 h ago and no word from the shopper yet.
    """
    after = [e for e in events if e.created_at > settled]
    if any(
        e.created_at <= settled + REOPEN_WINDOW
        and (e.kind == "escalated" or (e.kind == "shopper_message" and not e.get("confirms")))
        for e in after
    ):
        return "reopened"
    ratings = [e.value for e in after if e.kind == "rating" and e.value is not None]
    said_so = any(e.kind == "shopper_message" and e.get("confirms") for e in after)
    if said_so or (ratings and ratings[-1] >= CONFIRMING_RATING):
        return "confirmed"
    return "assumed" if now - settled > SILENCE_WINDOW else "pending"


def _conversation_outcome(events: Sequence[EventRecord], now: datetime) -> _Outcome:
    """Resolved, bot-resolved or reopened, from one conversation's events in time order.

    * The resolution is judged by :func:`_resolution` from when the conversation was last
      settled (:func:`_settled_at`).
    * Resolved: confirmed or assumed; a ticket an agent resolved counts while it is
      pending too (the agent closed it; the shopper has 24 h to say otherwise).
    * Bot-resolved: resolved and no ``escalated`` event.
    * Reopened: the last resolution was taken back and nothing resolved it since.
    """
    kinds = [e.kind for e in events]
    escalated = "escalated" in kinds
    settled = _settled_at(events, escalated)
    resolution = None if settled is None else _resolution(events, settled, now)
    by_agent = "ticket_resolved" in kinds
    resolved = resolution in ("confirmed", "assumed") or (resolution == "pending" and by_agent)
    return _Outcome(
        started=events[0].created_at,
        escalated=escalated,
        resolved=resolved,
        bot_resolved=resolved and not escalated,
        reopened=resolution == "reopened",
        offers_accepted=kinds.count("offer_accepted"),
        order_lookup="order_lookup" in kinds,
        resolution=resolution,
    )


def _in_period(t: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or t >= since) and (until is None or t < until)


def _period_events(
    events: Iterable[EventRecord], now: datetime, since: datetime | None, until: datetime | None
) -> tuple[list[EventRecord], dict[str, list[EventRecord]]]:
    """The events that count for the period (time-ordered) and the period's conversations."""
    ordered = sorted((e for e in events if e.created_at <= now), key=lambda e: e.created_at)  # stable
    started = {
        e.conversation_id
        for e in ordered
        if e.kind == "conversation_started" and e.conversation_id and _in_period(e.created_at, since, until)
    }
    kept = [
        e
        for e in ordered
        if (e.conversation_id in started) or (e.conversation_id is None and _in_period(e.created_at, since, until))
    ]
    conversations: dict[str, list[EventRecord]] = defaultdict(list)
    for e in kept:
        if e.conversation_id is not None:
            conversations[e.conversation_id].append(e)
    return kept, dict(conversations)


# --- response times ----------------------------------------------------------------------


def _message_key(event: EventRecord) -> object:
    message_id = event.get("message_id")
    return message_id if message_id is not None else ("event", id(event))


def _shopper_wait(reply: EventRecord, message: EventRecord | None) -> float:
    """How long the shopper waited for ``reply``, in seconds.

    The ``responded`` value, except that an agent's value is counted from the claim when
    the message waited in the queue; the shopper waited the whole time, so the gap
    between the two events' timestamps is taken when it is longer.
    """
    value = reply.value if reply.value is not None else 0.0
    if message is None:
        return value
    return max(value, (reply.created_at - message.created_at).total_seconds())


@dataclass
class _Responses:
    counted: int = 0
    pending: int = 0
    in_sla: int = 0
    first_waits: list[float] = field(default_factory=list)


def _responses(events: Sequence[EventRecord], now: datetime, sla: float) -> _Responses:
    """Response rate and first response time.

    * response rate: shopper_message events whose first ``responded`` event (same
      ``data.message_id``) came within ``sla`` seconds of shopper wait / shopper_message
      events. A message younger than the SLA with no reply yet is pending and left out of
      both counts (it has not failed yet).
    * first response: per conversation, the shopper's wait for its first ``responded`` event.
    """
    messages = {_message_key(e): e for e in events if e.kind == "shopper_message"}
    first_reply: dict[object, float] = {}
    first_in_conversation: dict[str, float] = {}
    for e in events:
        if e.kind != "responded":
            continue
        key = e.get("message_id")
        wait = _shopper_wait(e, messages.get(key))
        if key in messages:
            first_reply[key] = min(wait, first_reply.get(key, math.inf))
        if e.conversation_id is not None and e.conversation_id not in first_in_conversation:
            first_in_conversation[e.conversation_id] = wait
    out = _Responses(first_waits=list(first_in_conversation.values()))
    for key, message in messages.items():
        if key not in first_reply and (now - message.created_at).total_seconds() < sla:
            out.pending += 1
            continue
        out.counted += 1
        out.in_sla += first_reply.get(key, math.inf) <= sla
    return out


# --- agents ------------------------------------------------------------------------------


def _agent_metrics(
    events: Sequence[EventRecord], names: dict[str, str], sla: float, qa_scores: dict[str, float] | None = None
) -> list[AgentMetrics]:
    """Per agent:

    * response rate = the agent's ``responded`` events (distinct messages) with value <= SLA
      / (sum of ``data.pending`` over the agent's ``ticket_claimed`` events + the
      ``shopper_message`` events held by the agent), capped at 1. The value of an agent's
      reply is counted from the claim, so queue time is not held against the agent.
    * resolution rate = the agent's ``ticket_resolved`` / the agent's ``ticket_claimed``.
    * average handling time = mean ``ticket_resolved`` value (claim to resolve).
    * QA score: ``qa_scores[agent]`` (handoff/qa.py), when given.
    * adoption rate = the agent's ``agent_replied`` events that started from a suggested
      reply / all their ``agent_replied`` events.
    * tier: :func:`agent_tier`.
    """
    qa_scores = qa_scores or {}
    claimed: dict[str, int] = defaultdict(int)
    resolved: dict[str, int] = defaultdict(int)
    owed: dict[str, int] = defaultdict(int)
    on_time: dict[str, set] = defaultdict(set)
    handling: dict[str, list[float]] = defaultdict(list)
    replies: dict[str, int] = defaultdict(int)
    adopted: dict[str, int] = defaultdict(int)
    for e in events:
        agent = e.agent_id
        if agent is None:
            continue
        if e.kind == "ticket_claimed":
            claimed[agent] += 1
            owed[agent] += int(e.get("pending") or 0)
        elif e.kind == "shopper_message":
            owed[agent] += 1
        elif e.kind == "responded" and e.value is not None and e.value <= sla:
            on_time[agent].add(_message_key(e))
        elif e.kind == "ticket_resolved":
            resolved[agent] += 1
            if e.value is not None:
                handling[agent].append(e.value)
        elif e.kind == "agent_replied":
            replies[agent] += 1
            adopted[agent] += bool(e.get("from_suggestion"))
    agents = set(names) | set(claimed) | set(resolved) | set(owed) | set(on_time) | set(replies)
    out = []
    for agent in agents:
        response = _ratio(len(on_time[agent]), owed[agent])
        response = None if response is None else min(1.0, response)
        resolution = _ratio(resolved[agent], claimed[agent])
        qa_score = qa_scores.get(agent)
        tier = agent_tier(response, resolution, claimed[agent], qa_score)
        out.append(
            AgentMetrics(
                agent_id=agent,
                name=names.get(agent, agent),
                tickets_claimed=claimed[agent],
                tickets_resolved=resolved[agent],
                messages_owed=owed[agent],
                responded_in_sla=len(on_time[agent]),
                response_rate=response,
                resolution_rate=resolution,
                avg_handling_seconds=_mean(handling[agent]),
                qa_score=qa_score,
                replies=replies[agent],
                replies_from_suggestion=adopted[agent],
                adoption_rate=_ratio(adopted[agent], replies[agent]),
                tier=tier.code,
                tier_label=tier.label,
            )
        )
    return sorted(out, key=lambda a: (-a.tickets_claimed, a.agent_id))


# --- the whole report --------------------------------------------------------------------


def _recovery(events: Sequence[EventRecord]) -> RecoveryFigures:
    """offers made / accepted / declined (event counts); recovery rate = accepted / made;
    amount saved = sum of ``data.saved`` on offer_accepted (the value of the orders kept,
    known only for offers whose order is known: ``accepted_with_order``); compensation
    given = sum of the offer_accepted values."""
    accepted = [e for e in events if e.kind == "offer_accepted"]
    with_order = [e for e in accepted if e.get("saved") is not None]
    made = sum(e.kind == "offer_made" for e in events)
    return RecoveryFigures(
        offers_made=made,
        offers_accepted=len(accepted),
        offers_declined=sum(e.kind == "offer_declined" for e in events),
        recovery_rate=_ratio(len(accepted), made),
        accepted_with_order=len(with_order),
        amount_saved=float(sum(float(e.get("saved")) for e in with_order)),
        compensation_given=float(sum(e.value or 0.0 for e in accepted)),
    )


def _resolutions(outcomes: Sequence[_Outcome]) -> ResolutionFigures:
    """Counts of confirmed / assumed / reopened / pending resolutions; each rate is its
    count over confirmed + assumed + reopened."""
    counts = {kind: sum(o.resolution == kind for o in outcomes) for kind in ("confirmed", "assumed", "reopened", "pending")}
    settled = counts["confirmed"] + counts["assumed"] + counts["reopened"]
    return ResolutionFigures(
        **counts,
        confirmed_rate=_ratio(counts["confirmed"], settled),
        assumed_rate=_ratio(counts["assumed"], settled),
        reopened_rate=_ratio(counts["reopened"], settled),
    )


def _adoption(events: Sequence[EventRecord]) -> AdoptionFigures:
    """Agent replies (``agent_replied``), those started from a suggestion, those edited."""
    replies = [e for e in events if e.kind == "agent_replied"]
    adopted = [e for e in replies if e.get("from_suggestion")]
    return AdoptionFigures(
        replies=len(replies),
        from_suggestion=len(adopted),
        edited=sum(bool(e.get("edited")) for e in adopted),
        adoption_rate=_ratio(len(adopted), len(replies)),
    )


def _orders(events: Sequence[EventRecord], outcomes: Sequence[_Outcome]) -> OrderFigures:
    """Event counts of order lookups, abnormal orders and actions; the share of bot-resolved
    conversations in which the bot looked up the shopper's order."""
    bot_resolved = [o for o in outcomes if o.bot_resolved]
    with_order = sum(o.order_lookup for o in bot_resolved)
    return OrderFigures(
        lookups=sum(e.kind == "order_lookup" for e in events),
        abnormal=sum(e.kind == "order_abnormal" for e in events),
        actions=sum(e.kind == "order_action" for e in events),
        bot_resolved_with_order=with_order,
        share_of_bot_resolved=_ratio(with_order, len(bot_resolved)),
    )


def _csat(conversations: dict[str, list[EventRecord]]) -> Csat:
    """Mean of the ratings (1-5), the latest one per conversation (a shopper who changes
    their rating is counted once)."""
    latest = []
    for events in conversations.values():
        ratings = [e.value for e in events if e.kind == "rating" and e.value is not None]
        if ratings:
            latest.append(ratings[-1])
    return Csat(mean=_mean(latest), ratings=len(latest))


def _daily(outcomes: Sequence[_Outcome], since: datetime | None, end: datetime) -> list[DailyPoint]:
    """Per UTC day from ``since`` (or the first conversation) to ``end`` (the last moment
    of the period), zeros included;
    each conversation is counted on the day it started (resolved, escalated and offers
    accepted too), so the days add up to the period totals."""
    if since is None and not outcomes:
        return []
    first = since.date() if since is not None else min(o.started for o in outcomes).date()
    last = max([end.date(), *(o.started.date() for o in outcomes)])
    days = {first + timedelta(days=i): [0, 0, 0, 0] for i in range((last - first).days + 1)}
    for o in outcomes:
        row = days[o.started.date()]
        row[0] += 1
        row[1] += o.resolved
        row[2] += o.escalated
        row[3] += o.offers_accepted
    return [
        DailyPoint(day=d, conversations=a, resolved=b, escalated=c, offers_accepted=x)
        for d, (a, b, c, x) in days.items()
    ]


def compute_metrics(
    events: Iterable[EventRecord],
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    merchant_id: str = "",
    agent_names: dict[str, str] | None = None,
    sla_seconds: float = RESPONSE_SLA_SECONDS,
    qa_scores: dict[str, float] | None = None,
) -> MerchantMetrics:
    """Every figure for one merchant and period from its events (pure; see the module
    docstring for the period rule).

    * response_rate, avg_first_response_seconds: see :func:`_responses`.
    * resolution_rate = resolved conversations / conversations; bot_resolution_rate =
      bot-resolved conversations / conversations (see :func:`_conversation_outcome`);
      resolution: confirmed / assumed / reopened, see :func:`_resolutions`.
    * adoption: agent replies started from a suggested reply, see :func:`_adoption`.
    * transfer_rate = conversations with at least one ``escalated`` event / conversations.
    * recovery: see :func:`_recovery`; csat: see :func:`_csat`; agents: :func:`_agent_metrics`
      (``qa_scores``: agent id → QA score from handoff/qa.py, a tier threshold).
    """
    kept, conversations = _period_events(events, now, since, until)
    outcomes = [_conversation_outcome(evs, now) for evs in conversations.values()]
    n = len(outcomes)
    responses = _responses(kept, now, sla_seconds)
    csat = _csat(conversations)
    figures = dict(
        response_rate=_ratio(responses.in_sla, responses.counted),
        avg_first_response_seconds=_mean(responses.first_waits),
        resolution_rate=_ratio(sum(o.resolved for o in outcomes), n),
        bot_resolution_rate=_ratio(sum(o.bot_resolved for o in outcomes), n),
        transfer_rate=_ratio(sum(o.escalated for o in outcomes), n),
    )
    score = service_score(
        response_rate=figures["response_rate"],
        resolution_rate=figures["resolution_rate"],
        csat=csat.mean,
        avg_first_response_seconds=figures["avg_first_response_seconds"],
        transfer_rate=figures["transfer_rate"],
    )
    return MerchantMetrics(
        merchant_id=merchant_id,
        period=Period(since=since, until=until, now=now),
        conversations=n,
        resolved=sum(o.resolved for o in outcomes),
        bot_resolved=sum(o.bot_resolved for o in outcomes),
        reopened=sum(o.reopened for o in outcomes),
        escalated=sum(o.escalated for o in outcomes),
        shopper_messages=responses.counted,
        pending_messages=responses.pending,
        responded_in_sla=responses.in_sla,
        csat=csat,
        resolution=_resolutions(outcomes),
        adoption=_adoption(kept),
        recovery=_recovery(kept),
        orders=_orders(kept, outcomes),
        service_score=score,
        agents=_agent_metrics(kept, agent_names or {}, sla_seconds, qa_scores),
        daily=_daily(outcomes, since, until - timedelta(microseconds=1) if until is not None and until <= now else now),
        **figures,
    )


# --- the database --------------------------------------------------------------------------


def load_events(
    session: Session,
    merchant_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Iterable[str] | None = None,
) -> list[EventRecord]:
    """One merchant's events with ``since <= created_at < until``, oldest first."""
    from bot.models import MetricEvent

    query = select(MetricEvent).where(MetricEvent.merchant_id == merchant_id)
    if since is not None:
        query = query.where(MetricEvent.created_at >= since)
    if until is not None:
        query = query.where(MetricEvent.created_at < until)
    if kinds is not None:
        query = query.where(MetricEvent.kind.in_(list(kinds)))
    rows = session.execute(query.order_by(MetricEvent.created_at, MetricEvent.id)).scalars()
    return [
        EventRecord(
            kind=r.kind, conversation_id=r.conversation_id, value=r.value, agent_id=r.agent_id, data=r.data,
            created_at=r.created_at,
        )
        for r in rows
    ]


def merchant_metrics(
    merchant_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> MerchantMetrics:
    """Load a merchant's events (``since`` to ``now``) and agents, and compute its figures
    for the conversations that started in ``[since, until)``; the agents' QA scores
    (tickets created since ``since``) feed the tiers."""
    from handoff.models import Agent
    from handoff.qa import merchant_qa
    from xiaoer.db import session_scope, utcnow

    now = now or utcnow()
    with session_scope() as session:
        events = load_events(session, merchant_id, since=since)
        names = dict(session.execute(select(Agent.id, Agent.name).where(Agent.merchant_id == merchant_id)).all())
    qa = {a.agent_id: a.score for a in merchant_qa(merchant_id, since=since).agents if a.score is not None}
    return compute_metrics(
        events, now=now, since=since, until=until, merchant_id=merchant_id, agent_names=names, qa_scores=qa
    )
