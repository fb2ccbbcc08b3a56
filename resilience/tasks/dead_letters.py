"""Dead-letter queue beat tasks (retention)."""

from celery import shared_task

from resilience.dlq.services import dead_letters_purge


@shared_task(acks_late=True)
def purge_dead_letters() -> dict[str, int]:
    report = dead_letters_purge()
    return {"expired": report.expired, "capped": report.capped}
