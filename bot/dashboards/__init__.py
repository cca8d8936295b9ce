"""The figures of /stats shown to people: words, charts (PNG and SVG), the workbook."""
