"""`manage.py fake_llm`: serve the fault-injecting fake LLM (docs/operations.md)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from interviews.fake_llm import control as fake_control
from interviews.fake_llm import server as fake_server


class Command(BaseCommand):
    help = (
        "Serve a fake OpenAI/Anthropic-compatible LLM that can be told to fail "
        "(POST /_control) for tests, benchmarks and outage drills."
    )
    # A test double must start even while the project fails its own checks or has
    # unapplied migrations: it never touches the database.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
        parser.add_argument("--port", type=int, default=8088, help="0 picks a free port")
        parser.add_argument(
            "--mode", default="ok", help=f"fault mode: {', '.join(fake_control.MODES)}"
        )
        parser.add_argument(
            "--latency-ms", type=float, default=0.0, help="delay every answer (milliseconds)"
        )
        parser.add_argument(
            "--fail-rate",
            type=float,
            default=1.0,
            help="share of requests (0..1) the fault mode applies to; the rest answer ok",
        )
        parser.add_argument(
            "--retry-after", type=int, default=1, help="Retry-After seconds in rate_limit mode"
        )
        parser.add_argument(
            "--trickle-ms",
            type=float,
            default=500.0,
            help="pause between 8-byte body chunks in trickle mode (milliseconds)",
        )
        parser.add_argument("--seed", type=int, default=None, help="seed the fail-rate dice")
        parser.add_argument("--no-access-log", action="store_true", help="do not log every request")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if not 0 <= port <= 65535:
            raise CommandError(f"--port must be between 0 and 65535, got {port}")
        settings = {
            name: options[name]
            for name in ("mode", "latency_ms", "fail_rate", "retry_after", "trickle_ms")
        }
        settings["seed"] = options["seed"]
        try:
            checked = fake_control.validate_settings(settings)
        except fake_control.ControlError as exc:
            raise CommandError(f"--{exc.field.replace('_', '-')}: {exc}") from exc
        try:
            fake_server.serve(
                host,
                port,
                access_log=not options["no_access_log"],
                on_ready=self._announce,
                **checked,
            )
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc}") from exc

    def _announce(self, base_url: str) -> None:
        self.stdout.write(
            f"fake_llm listening on {base_url} "
            f"(OpenAI base URL {base_url}/v1, Anthropic base URL {base_url}, "
            f"control {base_url}{fake_server.CONTROL_PATH})"
        )
        self.stdout.flush()
