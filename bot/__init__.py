"""The conversation turn: language, intent, answer / recovery / escalation, log."""
