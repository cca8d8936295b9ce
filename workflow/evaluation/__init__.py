"""Self-evaluation (部门自评价): opening, the 自评表, scoring, the department report."""
