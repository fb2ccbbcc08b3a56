"""The dead-letter queue: Celery tasks that failed for good, for an operator to retry or discard.

`signals` connects the Celery hooks that capture terminal failures and resolve retried entries;
`services` holds every write (capture, retry, discard, clear, purge), `selectors` the reads,
`alerts` the critical-task alert. Generic: nothing here knows which tasks the project has.
"""
