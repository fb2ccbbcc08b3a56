"""Celery tasks of the monitoring app."""

from celery import shared_task

from monitoring.heartbeats import BEAT_TASK_NAME, beat_heartbeat_record


@shared_task(name=BEAT_TASK_NAME, ignore_result=True)
def beat_heartbeat() -> None:
    """Scheduled by beat every minute; proves beat and a maintenance worker are both alive."""
    beat_heartbeat_record()
