"""The year at a glance: /stats (text, charts, workbook) and the web dashboard's button."""
