"""Django's PostgreSQL backend with the pool's connection check throttled (see base.py)."""
