"""Word and Excel files made from workflow data."""
