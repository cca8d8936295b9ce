"""The words and layouts of the bot: messages, forms, documents, buttons, commands, CLI text.

A package of its own so that a non-editable install carries it as package data; every
reader finds the files through `TEMPLATES`.
"""

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent
