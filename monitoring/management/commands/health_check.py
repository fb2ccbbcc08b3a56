"""`manage.py health_check [endpoint]`: run an endpoint's checks in this process.

Replaces django-health-check's command of the same name (this app comes first in
INSTALLED_APPS): that one fetches the endpoint over HTTP, which the staff/token protection of
/health/ refuses. The checks are the ones listed in the URLconf for the named endpoint.

Exit status: 0 healthy or degraded (warnings are printed), 1 unhealthy (or degraded with
--fail-on-warning), 2 unknown endpoint.
"""

import asyncio
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import NoReverseMatch, resolve, reverse

from monitoring import health


class Command(BaseCommand):
    help = "Run the health checks of an endpoint (default: the full /health/ list)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "endpoint",
            nargs="?",
            default="health",
            help="URL name: health (default), health_ready or health_live.",
        )
        parser.add_argument("--json", action="store_true", help="Print the JSON report.")
        parser.add_argument(
            "--fail-on-warning", action="store_true", help="Exit 1 when degraded, too."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            match = resolve(reverse(options["endpoint"]))
            view = match.func.view_class(**match.func.view_initkwargs)  # type: ignore[attr-defined]
            checks = list(view.get_checks())
        except (NoReverseMatch, AttributeError) as exc:
            raise CommandError(
                f"{options['endpoint']!r} is not a health endpoint with checks", returncode=2
            ) from exc
        results = asyncio.run(health.run_checks(checks))
        report = health.health_payload(results)
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for name, check in report["checks"].items():
                self.stdout.write(f"{name}: {check['status']} ({check['message']})")
            self.stdout.write(f"status: {report['status']}")
        failing = {health.UNHEALTHY} | ({health.DEGRADED} if options["fail_on_warning"] else set())
        if report["status"] in failing:
            raise SystemExit(1)
