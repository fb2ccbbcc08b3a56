"""Does the Redis server have REDIS_URL's four databases? Asked at start-up and by
/health/ready/ (the rule of which databases those are: interviewsite/redis_databases.py).

The web process asks in its lifespan start-up (monitoring.asgi), the worker and manage.py
through a system check (Celery runs the system checks when a worker starts), and
/health/ready/ through the RedisDatabases health check: a process never starts on a server
where its cache and breaker state would fail on every call.
"""

import dataclasses
import datetime
from typing import Any, ClassVar

import redis
from django.conf import settings
from django.core import checks
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from interviewsite.redis_databases import databases_of, missing_databases_message
from monitoring.checks import NotApplicable

TIMEOUT_SECONDS = 2.0


def server_databases(url: str) -> int:
    """How many databases the server has: CONFIG GET databases, or where CONFIG is disabled
    (managed Redis) the first of REDIS_URL's databases it refuses to SELECT. Raises
    RedisError when the server cannot be reached."""
    options: dict[str, Any] = {
        "socket_connect_timeout": TIMEOUT_SECONDS,
        "socket_timeout": TIMEOUT_SECONDS,
    }
    with redis.Redis.from_url(url, db=0, **options) as client:
        try:
            return int(client.config_get("databases")["databases"])
        except (redis.ResponseError, KeyError, ValueError):
            pass
    for number in databases_of(url):
        with redis.Redis.from_url(url, db=number, **options) as client:
            try:
                client.ping()  # the connection SELECTs the database first
            except redis.ResponseError:
                return number
    return databases_of(url)[-1] + 1


def redis_databases_problem(url: str) -> str | None:
    """None when the server has all four databases; what is missing otherwise."""
    count = server_databases(url)
    return missing_databases_message(url, count, where="the Redis server")


@checks.register("redis")
def check_redis_databases(**kwargs: Any) -> list[checks.CheckMessage]:
    """System check (manage.py, and every Celery worker at start): an error when the server
    lacks a database; nothing when Redis is not configured or cannot be reached (the health
    checks report reachability)."""
    if not settings.REDIS_URL:
        return []
    try:
        problem = redis_databases_problem(settings.REDIS_URL)
    except (redis.RedisError, OSError):
        return []
    if problem is None:
        return []
    return [checks.Error(problem, id="monitoring.E001")]


@dataclasses.dataclass
class RedisDatabases(HealthCheck):
    """The Redis server has the four databases REDIS_URL stands for."""

    name: ClassVar[str] = "redis_databases"
    recommendation: ClassVar[str] = (
        "Point REDIS_URL at a database number whose next three also exist on the server "
        "(at most 12 on a default server), or raise the server's `databases` setting."
    )
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def run(self) -> None:
        if not settings.REDIS_URL:
            raise NotApplicable("REDIS_URL is not set (embedded default)")
        try:
            problem = redis_databases_problem(settings.REDIS_URL)
        except (redis.RedisError, OSError) as exc:
            raise ServiceUnavailable(f"unreachable ({type(exc).__name__})") from exc
        if problem is not None:
            raise ServiceUnavailable(problem)

    def details(self) -> dict[str, Any]:
        if not settings.REDIS_URL:
            return {}
        return {"databases": list(databases_of(settings.REDIS_URL))}
