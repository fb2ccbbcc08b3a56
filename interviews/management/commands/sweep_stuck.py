from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from interviews.services.maintenance import stuck_sweep


class Command(BaseCommand):
    help = (
        "Abandon interviews idle past INTERVIEW_ABANDON_AFTER_MINUTES and fail (then requeue "
        "once) evaluations running past STUCK_EPISODE_THRESHOLD_HOURS, and send again the task "
        "of evaluations pending past EVALUATION_PENDING_RESEND_MINUTES. Beat runs the same "
        "sweep every 5 minutes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        report = stuck_sweep(dry_run=opts["dry_run"])
        verb = "would" if report.dry_run else "did"
        self.stdout.write(
            f"Interviews abandoned ({verb}): {len(report.abandoned)} {report.abandoned}\n"
            f"Evaluations failed ({verb}): {len(report.evaluations_failed)} "
            f"{report.evaluations_failed}\n"
            f"Evaluations requeued: {len(report.evaluations_requeued)} "
            f"{report.evaluations_requeued}\n"
            f"Pending evaluations sent again ({verb}): {len(report.evaluations_resent)} "
            f"{report.evaluations_resent}"
        )
