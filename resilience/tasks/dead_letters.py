"""Dead-letter queue beat tasks (retention)."""
