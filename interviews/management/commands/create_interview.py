import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from interviews.models import Difficulty
from interviews.services.interviews import interview_create


class Command(BaseCommand):
    help = "Create an interview and print its invite link (the token is shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--candidate", required=True, help="Candidate's name.")
        parser.add_argument("--email", default="", help="Candidate's email (optional).")
        parser.add_argument("--role", required=True)
        parser.add_argument("--topic", required=True)
        parser.add_argument("--difficulty", choices=Difficulty.values, default="medium")
        parser.add_argument("--language", default="en")
        parser.add_argument("--questions", type=int, default=5, help="Number of questions, 1-50.")
        parser.add_argument(
            "--time-limit", type=int, default=None, help="Time limit in minutes (optional)."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not 1 <= opts["questions"] <= 50:
            raise CommandError("--questions must be between 1 and 50")
        if opts["time_limit"] is not None and opts["time_limit"] <= 0:
            raise CommandError("--time-limit must be a positive number of minutes")
        try:
            created = interview_create(
                candidate_name=opts["candidate"],
                candidate_email=opts["email"],
                role=opts["role"],
                topic=opts["topic"],
                difficulty=opts["difficulty"],
                language=opts["language"],
                question_count=opts["questions"],
                time_limit_seconds=opts["time_limit"] * 60 if opts["time_limit"] else None,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        payload = created.as_payload()
        if opts["json"]:
            self.stdout.write(json.dumps(payload))
        else:
            self.stdout.write(
                f"Interview {payload['id']} created.\nInvite: {payload['invite_url']}"
            )
