"""The form engine: FormSpec, drafts, parsers, repeated rows, the summary."""
