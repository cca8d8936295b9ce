"""Intake: updates kept before they are acknowledged, handled in order per chat, floods held."""
