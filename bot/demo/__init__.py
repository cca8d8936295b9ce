"""`make demo`: the real bot against the offline sandbox, scene by scene."""
