"""Cross-cutting rules: the access policy, the audit log, refusals, the bureau clock."""
