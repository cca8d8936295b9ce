"""The review machine: items that move through stages, approved or returned exactly once."""
