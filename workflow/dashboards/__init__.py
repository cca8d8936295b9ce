"""Dashboards: figures for /stats, Excel summaries and the web dashboard."""
