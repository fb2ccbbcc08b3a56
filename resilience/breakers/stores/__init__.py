"""Breaker state stores, chosen by dotted path in settings.BREAKER_STORE (see base.py)."""
