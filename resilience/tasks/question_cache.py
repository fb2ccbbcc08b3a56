"""Question cache beat tasks (purge, pre-warm)."""
