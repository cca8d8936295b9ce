"""Handlers for the review chain: cards, /todo, review forms, expert invitations."""
