"""Handlers for people: /start, /help, /me, /invite, /users, /revoke."""
