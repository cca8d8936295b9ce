"""Finance after self-evaluation: selection, evaluation, rectification plans, linkage."""
