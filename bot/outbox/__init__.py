"""Outbox delivery within Telegram's limits."""
