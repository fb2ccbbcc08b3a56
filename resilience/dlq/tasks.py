"""Dead-letter queue beat tasks (retention)."""

from celery import shared_task

from resilience.dlq.services import dead_letters_purge


# The name predates this module: periodic task rows and routes refer to it.
@shared_task(name="resilience.tasks.dead_letters.purge_dead_letters", acks_late=True)
def purge_dead_letters() -> dict[str, int]:
    report = dead_letters_purge()
    return {"expired": report.expired, "capped": report.capped}
