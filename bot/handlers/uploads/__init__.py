"""Filled-in templates (.xlsx) sent to the bot, handed to the stage that wrote them."""
