"""Handlers of the tracking stage (绩效跟踪): tasks, opening, ad hoc, fund actions, files."""
