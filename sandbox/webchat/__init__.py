"""A browser chat on the offline sandbox: play the bot as several people (`perfbot try`)."""

from sandbox.webchat.clock import SandboxClock
from sandbox.webchat.directory import Choice, Directory, Options, PersonCard
from sandbox.webchat.routes import WebChat

__all__ = ["Choice", "Directory", "Options", "PersonCard", "SandboxClock", "WebChat"]
