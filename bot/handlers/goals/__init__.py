"""Handlers for goals: /new, /projects, /budget, /issue, /adjust, /disclosure."""
