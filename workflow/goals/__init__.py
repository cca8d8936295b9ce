"""Goals: declaration, the indicator tree, adjustment, issuance, disclosure."""
