"""Results (结果运用): spot checks, finance evaluation, 30-day plans, budget linkage."""
