"""The metric event log: what each kind means and what its fields hold.

Events are appended in the same transaction as the change they describe, so a message,
a ticket and its events are stored together or not at all: a transaction's events are
kept aside and inserted together (one statement) as it commits, after its last flush;
a rollback drops them. Figures are computed from them later (handoff/metrics.py).

| kind                 | value                                   | agent_id        | data                                 |
|----------------------|-----------------------------------------|-----------------|--------------------------------------|
| conversation_started |                                         |                 | {lang}                               |
| shopper_message      |                                         | holder if HUMAN | {message_id, owner, confirms?}       |
| responded            | seconds from the shopper message to the | responder       | {message_id}                         |
|                      | first reply (agents: from claim if later)| (None = bot)   |                                      |
| answered             | answer confidence                       |                 | {intent, answerer}                   |
| unanswered           | answer confidence                       |                 | {question, reason}                   |
| escalated            |                                         |                 | {reason, ticket_id}                  |
| ticket_claimed       | seconds the ticket waited in the queue  | the claimer     | {ticket_id, pending}                 |
| ticket_resolved      | seconds from claim to resolve           | the resolver    | {ticket_id}                          |
| handed_back          |                                         | agent or None   | {ticket_id, reason}                  |
| ticket_transferred   |                                         | the giver       | {ticket_id, to}                      |
| offer_made           | offer amount                            |                 | {offer_id, kind, reason}             |
| offer_accepted       | offer amount                            |                 | {offer_id, kind, saved}              |
| offer_declined       | offer amount                            |                 | {offer_id, kind}                     |
| agent_replied        |                                         | the agent       | {message_id, ticket_id, suggestion,  |
|                      |                                         |                 |  from_suggestion, edited}            |
| rating               | 1-5                                     |                 |                                      |
| order_lookup         |                                         |                 | {order_id, topic, step}              |
| order_abnormal       |                                         |                 | {order_id, kind}                     |
| order_action         |                                         |                 | {order_id, kind}                     |

``pending`` on ``ticket_claimed`` counts the shopper messages that were waiting for a
person when the agent claimed; with the ``shopper_message`` events held by that agent it
is the denominator of the agent's response rate. ``saved`` on ``offer_accepted`` is the
order value kept (order amount minus any compensation), null when the order is unknown.
``confirms`` (only when true) marks a shopper message that says the matter is settled
("好的谢谢", "thanks, that worked": ``bot.replies.confirms_resolution``). On
``agent_replied``, ``suggestion`` is the chunk id of the suggested reply the agent started
from (null when typed), ``edited`` whether they changed its text before sending.
"""

from __future__ import annotations

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from bot.models import MetricEvent
from xiaoer.db import utcnow

_PENDING = "metric_events"  # the session.info key of the transaction's events
_COLUMNS = ("merchant_id", "conversation_id", "kind", "value", "agent_id", "data", "created_at")

EVENT_KINDS = frozenset(
    {
        "conversation_started",
        "shopper_message",
        "responded",
        "answered",
        "unanswered",
        "escalated",
        "ticket_claimed",
        "ticket_resolved",
        "handed_back",
        "ticket_transferred",
        "offer_made",
        "offer_accepted",
        "offer_declined",
        "agent_replied",
        "rating",
        "order_lookup",
        "order_abnormal",
        "order_action",
    }
)


def record_event(
    session: Session,
    merchant_id: str,
    kind: str,
    *,
    conversation_id: str | None = None,
    value: float | None = None,
    agent_id: str | None = None,
    data: dict | None = None,
) -> MetricEvent:
    """The event, inserted when ``session`` commits (fields set on it until then count)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown metric event kind {kind!r}")
    recorded = MetricEvent(
        merchant_id=merchant_id, conversation_id=conversation_id, kind=kind, value=value, agent_id=agent_id, data=data,
        created_at=utcnow(),
    )
    session.info.setdefault(_PENDING, []).append(recorded)
    return recorded


def _insert_events(session: Session) -> None:
    session.flush()  # the rows they refer to first
    recorded = session.info.pop(_PENDING)
    # Core, not the ORM's bulk insert (which splits rows by which fields are None): one executemany.
    session.execute(insert(MetricEvent.__table__), [{c: getattr(e, c) for c in _COLUMNS} for e in recorded])


@event.listens_for(Session, "before_commit")
def _insert_at_commit(session: Session) -> None:
    if session.info.get(_PENDING) and not session.in_nested_transaction():  # not a savepoint's release
        _insert_events(session)


@event.listens_for(Session, "do_orm_execute")
def _insert_before_reading(state) -> None:
    """A query of the events in the same transaction sees those recorded so far, as an
    autoflush would show them."""
    if state.is_select and state.session.info.get(_PENDING) and any(m.class_ is MetricEvent for m in state.all_mappers):
        _insert_events(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_events(session: Session, previous) -> None:
    if previous.parent is None:  # the transaction itself, not a savepoint inside it
        session.info.pop(_PENDING, None)
