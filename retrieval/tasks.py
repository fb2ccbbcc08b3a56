"""Retrieval's beat task: thin (docs/retrieval.md, "Failure")."""

from celery import shared_task

from retrieval.services.vectors_backfill import passage_vectors_backfill


@shared_task(acks_late=True)
def backfill_passage_vectors() -> dict[str, int | str]:
    return passage_vectors_backfill()
