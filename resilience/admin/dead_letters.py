"""Dead-letter queue admin."""
