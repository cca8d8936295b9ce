"""People: the org chart, invitations, registration, roles, reachability."""
