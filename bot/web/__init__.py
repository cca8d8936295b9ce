"""The web dashboard: a Telegram Mini App served by the bot's process (aiohttp)."""
