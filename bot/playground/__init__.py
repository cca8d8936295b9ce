"""`perfbot try`: the real bot on the offline sandbox, played by hand in a browser page."""
