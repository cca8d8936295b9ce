"""The command line: `perfbot db|org|invite|users|calendar|year ...`."""
