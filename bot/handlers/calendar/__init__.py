"""Handlers for time: /deadlines, /calendar, /setrule, /yeardates."""
