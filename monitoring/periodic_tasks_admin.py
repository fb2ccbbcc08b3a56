"""Periodic tasks' "Run selected tasks" action, saying what happened.

django-celery-beat's own action sends each task to the broker and reports "successfully run"
before any worker has touched it; an operator running the question cache pre-warm was told it
had succeeded while the worker logged that there was nothing to do. Here, tasks whose outcome
an operator is waiting for (the pre-warm) run in this request and their result is reported in
words; every other task is sent to the workers, and the message says just that.
"""

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_celery_beat.admin import PeriodicTaskAdmin as BasePeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

PREWARM_TASK = "resilience.tasks.question_cache.prewarm_questions"

STOPPED = {
    "nothing_configured": "nothing to do: QUESTION_CACHE_PREWARM is empty, so no question was "
    "generated",
    "no_source": "nothing done: QUESTION_CACHE_SOURCE is empty, so there is nothing to generate "
    "questions with",
    "source_failed": "stopped early: the question source failed",
}


def describe_prewarm(result: dict[str, Any]) -> tuple[int, str]:
    """(message level, sentence) for the pre-warm task's result."""
    stopped = str(result.get("stopped", ""))
    if stopped in ("nothing_configured", "no_source"):
        return messages.WARNING, f"Question cache pre-warm did {STOPPED[stopped]}."
    counts = (
        f"{result.get('stored', 0)} new question(s) stored, {result.get('duplicates', 0)} "
        f"duplicate(s), {result.get('full', 0)} key(s) already full"
    )
    if stopped:
        why = STOPPED.get(stopped) or f"stopped early ({stopped.replace('_', ' ')})"
        return messages.WARNING, f"Question cache pre-warm {why}: {counts}."
    return messages.SUCCESS, f"Question cache pre-warm finished: {counts}."


# Task name → how to put its result into words; these run in the request.
REPORTED: dict[str, Callable[[dict[str, Any]], tuple[int, str]]] = {
    PREWARM_TASK: describe_prewarm,
}

admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BasePeriodicTaskAdmin):
    def run_tasks(self, request: HttpRequest, queryset: QuerySet[PeriodicTask]) -> None:
        self.celery_app.loader.import_default_modules()
        sent = 0
        for periodic in queryset:
            task = self.celery_app.tasks.get(periodic.task)
            if task is None:
                self.message_user(request, f"Task “{periodic.task}” not found.", messages.ERROR)
                continue
            args, kwargs = json.loads(periodic.args or "[]"), json.loads(periodic.kwargs or "{}")
            describe = REPORTED.get(periodic.task)
            if describe is not None:
                outcome = task.apply(args=args, kwargs=kwargs)
                if outcome.failed():
                    self.message_user(
                        request, f"{periodic.name} failed: {outcome.result!r}", messages.ERROR
                    )
                else:
                    level, sentence = describe(outcome.result or {})
                    self.message_user(request, sentence, level)
                continue
            options = {"queue": periodic.queue} if periodic.queue else {}
            task.apply_async(
                args=args, kwargs=kwargs, headers={"periodic_task_name": periodic.name}, **options
            )
            sent += 1
        if sent:
            self.message_user(
                request,
                f"Sent {sent} task(s) to the workers. They run in the background: what each "
                "did is in the worker's log, not known here yet.",
                messages.INFO,
            )

    run_tasks.short_description = "Run selected tasks"  # type: ignore[attr-defined]
