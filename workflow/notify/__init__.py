"""The outbox: what to tell whom, written in the caller's transaction; never sends."""
