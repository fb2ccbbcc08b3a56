import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from interviews.services.interviews import interview_create


class Command(BaseCommand):
    help = "Create (or reset) a demo staff user and one demo interview; print how to reach them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(username=opts["username"])
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        created = interview_create(
            candidate_name="Demo Candidate",
            role="Backend engineer",
            topic="python",
            difficulty="medium",
            question_count=3,
            created_by_id=user.pk,
        )
        invite = created.as_payload()
        base = settings.PUBLIC_BASE_URL
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "interviewsite is starting:",
                    f"  Admin:        {base}/admin/   user: {user.username}  password: {password}",
                    f"  Demo invite:  {invite['invite_url']}",
                    "",
                ]
            )
        )
