"""Escalation to people: tickets, conversation ownership, agents, summaries, metrics."""
