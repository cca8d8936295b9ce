"""Q3 tracking (绩效跟踪): opening, the tracking form, lights, rectification, fund actions."""
