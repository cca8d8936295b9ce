"""Handlers of the self-evaluation stage (部门自评价): tasks and opening."""
