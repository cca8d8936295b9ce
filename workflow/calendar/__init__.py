"""Time: working days, deadline rules and their triggers, the due-items registry, the sweep."""
