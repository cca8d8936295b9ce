"""Presentation: rendering, buttons, the command menu, callbacks, replies."""
