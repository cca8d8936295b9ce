"""Time: working days, deadline rules, what is due, the reminder sweep."""
