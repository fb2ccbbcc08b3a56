"""Question cache admin."""
