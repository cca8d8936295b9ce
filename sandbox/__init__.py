"""A local Telegram Bot API stand-in with scripted users, for testing perfbot end to end."""

from sandbox.client import ButtonNotFoundError, SandboxUser, render_message, transcript
from sandbox.server import DEFAULT_BOT_USERNAME, DEFAULT_TOKEN, BotApiSandbox
from sandbox.state import ApiCall

__all__ = [
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "ApiCall",
    "BotApiSandbox",
    "ButtonNotFoundError",
    "SandboxUser",
    "render_message",
    "transcript",
]
