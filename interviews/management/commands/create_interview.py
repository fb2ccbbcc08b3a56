import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from interviews.models import CodingLanguage, Difficulty, Position
from interviews.services.interviews import interview_create
from interviews.services.positions import position_topic_notes

PLAN_FLAGS = ("role", "topic")
# The rest of a plan, with the defaults used when no --position is given.
PLAN_DEFAULTS = {
    "difficulty": "medium",
    "language": "en",
    "questions": 5,
    "time_limit": None,
    "coding": 0,
    "coding_language": "python",
}


class Command(BaseCommand):
    help = (
        "Create an interview and print its invite link (the token is shown only once). "
        "Either --position ID (the interview inherits that position's plan), or --role and "
        "--topic with the plan flags (the position with exactly that plan is reused or made)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--candidate", required=True, help="Candidate's name.")
        parser.add_argument("--email", default="", help="Candidate's email (optional).")
        parser.add_argument("--position", type=int, help="Id of the position to interview for.")
        parser.add_argument("--role", help="Position title, when not using --position.")
        parser.add_argument("--topic", help="A question-bank topic key, or free text.")
        parser.add_argument("--difficulty", choices=Difficulty.values, help="Default: medium.")
        parser.add_argument("--language", help="Default: en.")
        parser.add_argument("--questions", type=int, help="Number of questions, 1-50 (default 5).")
        parser.add_argument(
            "--time-limit", type=int, default=None, help="Time limit in minutes (optional)."
        )
        parser.add_argument(
            "--coding", type=int, help="How many of the questions are coding ones (default 0)."
        )
        parser.add_argument(
            "--coding-language", choices=CodingLanguage.values, help="Default: python."
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **opts: Any) -> None:
        position = self._position(opts)
        try:
            if position is not None:
                created = interview_create(
                    candidate_name=opts["candidate"],
                    candidate_email=opts["email"],
                    position=position,
                )
            else:
                created = interview_create(
                    candidate_name=opts["candidate"],
                    candidate_email=opts["email"],
                    role=opts["role"],
                    topic=opts["topic"],
                    difficulty=opts["difficulty"],
                    language=opts["language"],
                    question_count=opts["questions"],
                    time_limit_seconds=opts["time_limit"] * 60 if opts["time_limit"] else None,
                    coding_count=opts["coding"],
                    coding_language=opts["coding_language"],
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        # Said on stderr so --json output stays one JSON object.
        for note in position_topic_notes(topics=created.interview.position.topics):  # type: ignore[union-attr]
            self.stderr.write(f"Warning: {note}")
        payload = created.as_payload()
        payload["position_id"] = created.interview.position_id
        if opts["json"]:
            self.stdout.write(json.dumps(payload))
        else:
            self.stdout.write(
                f"Interview {payload['id']} created.\nInvite: {payload['invite_url']}"
            )

    def _position(self, opts: dict[str, Any]) -> Position | None:
        given = [f"--{flag}" for flag in PLAN_FLAGS if opts[flag]]
        given += [f"--{f.replace('_', '-')}" for f in PLAN_DEFAULTS if opts[f] is not None]
        if opts["position"] is not None:
            if given:
                raise CommandError(f"--position takes its plan from the position; drop {given}")
            position = Position.objects.filter(pk=opts["position"]).first()
            if position is None:
                raise CommandError(f"No position with id {opts['position']}.")
            return position
        if not (opts["role"] and opts["topic"]):
            raise CommandError("Give --position ID, or both --role and --topic.")
        for flag, default in PLAN_DEFAULTS.items():
            if opts[flag] is None:
                opts[flag] = default
        if not 1 <= opts["questions"] <= 50:
            raise CommandError("--questions must be between 1 and 50")
        if opts["time_limit"] is not None and opts["time_limit"] <= 0:
            raise CommandError("--time-limit must be a positive number of minutes")
        if not 0 <= opts["coding"] <= opts["questions"]:
            raise CommandError("--coding must be between 0 and --questions")
        return None
