"""Translation providers, one module each; :mod:`.null` ends every chain."""
