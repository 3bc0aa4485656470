"""Ticket transitions racing each other (threads, one process): every transition is a
conditional UPDATE, so whatever a caller was told succeeded is what the database holds.
Each test runs on SQLite and on a throw-away Postgres."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy.exc import OperationalError

from bot.conversations import open_conversation
from bot.models import OWNER_BOT, OWNER_CLOSED, OWNER_HUMAN, Conversation
from handoff import service as desk
from handoff.models import TICKET_CLAIMED, TICKET_HANDED_BACK, TICKET_RESOLVED, HandoffTicket
from knowledge import repository
from xiaoer.db import session_scope

ROUNDS = 15


@pytest.fixture
def shop(database, merchant_id):
    with session_scope() as s:
        repository.get_or_create_merchant(s, merchant_id)
        alice, _ = desk.create_agent(s, merchant_id, f"{merchant_id}-alice", "Alice")
        bob, _ = desk.create_agent(s, merchant_id, f"{merchant_id}-bob", "Bob")
        for agent in (alice, bob):  # each may hold every ticket a test makes: the chat limit is not raced here
            desk.set_chat_limit(s, merchant_id, agent.id, desk.MAX_CHATS_CEILING)
    return merchant_id, alice, bob


def new_ticket(merchant_id: str, *, claimed_by=None) -> int:
    with session_scope() as s:
        conversation = open_conversation(s, merchant_id, None, lang="en")
        ticket = desk.escalate(s, conversation, "asked_human", summary="", suggestions=[])
        ticket_id = ticket.id
    if claimed_by is not None:
        with session_scope() as s:
            desk.claim(s, merchant_id, ticket_id, claimed_by)
    return ticket_id


def final_state(merchant_id: str, ticket_id: int) -> tuple[str, str | None, str]:
    with session_scope() as s:
        ticket = desk.get_ticket(s, merchant_id, ticket_id)
        return ticket.status, ticket.agent_id, s.get(Conversation, ticket.conversation_id).owner


def race(*steps: Callable[[], None]) -> list[bool]:
    """Run the steps at once; True for each that returned (was acknowledged)."""
    start = threading.Barrier(len(steps))
    acked = [False] * len(steps)

    def run(i: int) -> None:
        start.wait()
        try:
            steps[i]()
            acked[i] = True
        except (desk.TicketConflict, OperationalError):
            pass

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(steps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return acked


def claim(merchant_id, ticket_id, agent) -> Callable[[], None]:
    def step() -> None:
        with session_scope() as s:
            desk.claim(s, merchant_id, ticket_id, agent)
    return step


def queue_timeout(merchant_id, ticket_id) -> Callable[[], None]:
    """What a shopper's turn does on a queued conversation once the timeout has passed."""
    def step() -> None:
        with session_scope() as s:
            ticket = desk.get_ticket(s, merchant_id, ticket_id)
            if not desk.expire_if_stale(s, ticket, 0):
                raise desk.TicketConflict("not expired")
    return step


def held(action, merchant_id, ticket_id, agent) -> Callable[[], None]:
    def step() -> None:
        with session_scope() as s:
            action(s, merchant_id, ticket_id, agent)
    return step


def test_a_timeout_that_read_the_ticket_before_a_claim_does_not_undo_the_claim(shop):
    merchant_id, alice, _ = shop
    ticket_id = new_ticket(merchant_id)
    with session_scope() as late:
        stale = desk.get_ticket(late, merchant_id, ticket_id)  # read while still queued…
        claim(merchant_id, ticket_id, alice)()  # …then an agent's claim commits
        assert desk.expire_if_stale(late, stale, 0) is False
    assert final_state(merchant_id, ticket_id) == (TICKET_CLAIMED, alice.id, OWNER_HUMAN)


def test_claim_racing_the_queue_timeout_one_wins_and_it_sticks(shop):
    merchant_id, alice, _ = shop
    for _ in range(ROUNDS):
        ticket_id = new_ticket(merchant_id)
        claimed, expired = race(claim(merchant_id, ticket_id, alice), queue_timeout(merchant_id, ticket_id))
        assert claimed != expired, "exactly one of them is acknowledged"
        expected = (TICKET_CLAIMED, alice.id, OWNER_HUMAN) if claimed else (TICKET_HANDED_BACK, None, OWNER_BOT)
        assert final_state(merchant_id, ticket_id) == expected


def test_two_agents_claiming_at_once_one_holds_it(shop):
    merchant_id, alice, bob = shop
    for _ in range(ROUNDS):
        ticket_id = new_ticket(merchant_id)
        acked = race(claim(merchant_id, ticket_id, alice), claim(merchant_id, ticket_id, bob))
        assert acked.count(True) == 1
        winner = alice if acked[0] else bob
        assert final_state(merchant_id, ticket_id) == (TICKET_CLAIMED, winner.id, OWNER_HUMAN)


def test_one_agent_claiming_two_tickets_at_once_stays_within_the_chat_limit(shop):
    merchant_id, alice, _ = shop
    with session_scope() as s:
        desk.set_chat_limit(s, merchant_id, alice.id, 1)
    for _ in range(ROUNDS):
        first, second = new_ticket(merchant_id), new_ticket(merchant_id)
        acked = race(claim(merchant_id, first, alice), claim(merchant_id, second, alice))
        assert acked.count(True) == 1
        won = first if acked[0] else second
        with session_scope() as s:
            assert desk.chats_held(s, alice.id) == 1
            desk.resolve(s, merchant_id, won, alice)


def test_resolve_racing_hand_back_one_wins_and_it_sticks(shop):
    merchant_id, alice, _ = shop
    for _ in range(ROUNDS):
        ticket_id = new_ticket(merchant_id, claimed_by=alice)
        resolved, handed = race(
            held(desk.resolve, merchant_id, ticket_id, alice), held(desk.hand_back, merchant_id, ticket_id, alice)
        )
        assert resolved != handed
        expected = (TICKET_RESOLVED, alice.id, OWNER_CLOSED) if resolved else (TICKET_HANDED_BACK, alice.id, OWNER_BOT)
        assert final_state(merchant_id, ticket_id) == expected


def test_a_reply_racing_a_hand_back_is_either_refused_or_before_it(shop):
    """An acknowledged agent reply was written while the agent still held the ticket."""
    merchant_id, alice, _ = shop
    for _ in range(ROUNDS):
        ticket_id = new_ticket(merchant_id, claimed_by=alice)
        replied, handed = race(
            held(lambda s, m, t, a: desk.agent_reply(s, m, t, a, "hello"), merchant_id, ticket_id, alice),
            held(desk.hand_back, merchant_id, ticket_id, alice),
        )
        assert handed, "nothing stops a hand-back by the holder"
        with session_scope() as s:
            ticket = s.get(HandoffTicket, ticket_id)
            roles = [m.role for m in desk.transcript(s, ticket.conversation_id)]
        # The hand-back notice ("system") is the last word: a reply never lands after it.
        assert roles[-1] == "system" and roles.count("agent") == int(replied)
