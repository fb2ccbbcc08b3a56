"""Which logical Redis databases REDIS_URL stands for, and whether a server has them all.

REDIS_URL's database number is the first of four consecutive ones (interviewsite/settings/data.py:
broker, channel layer, cache, breaker state). A server has a fixed number of databases (its
`databases` setting, 16 by default), and selecting one beyond it fails; a REDIS_URL of /14
on a default server started fine and then failed every cache and breaker-store call. The
settings refuse a base that cannot fit statically; monitoring checks the real server at
start-up (web: lifespan; worker and manage.py: a system check) and in /health/ready/.

Only the standard library here: settings import it.
"""

from urllib.parse import urlsplit

ROLES = ("broker", "channel layer", "cache", "breaker state")
DEFAULT_SERVER_DATABASES = 16  # Redis's default `databases`


class InvalidRedisUrl(ValueError):
    pass


def databases_of(url: str) -> tuple[int, ...]:
    """The four database numbers REDIS_URL's number starts."""
    base = urlsplit(url).path.strip("/") or "0"
    if not base.isdigit():
        raise InvalidRedisUrl(f"REDIS_URL must end in a database number, not {base!r}.")
    return tuple(int(base) + offset for offset in range(len(ROLES)))


def _and(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def missing_databases_message(url: str, server_databases: int, *, where: str) -> str | None:
    """Why REDIS_URL does not fit a server with `server_databases` databases, or None."""
    used = databases_of(url)
    missing = [n for n in used if n >= server_databases]
    if not missing:
        return None
    roles = ", ".join(f"{n} {role}" for n, role in zip(used, ROLES, strict=True))
    return (
        f"REDIS_URL's database {used[0]} starts the four the app uses, databases "
        f"{used[0]}-{used[-1]} ({roles}), but {where} has {server_databases} databases "
        f"(0-{server_databases - 1}): databases {_and(missing)} do not exist. Use a database "
        f"number of at most {server_databases - len(used)} in REDIS_URL"
        + (
            ", or set REDIS_SERVER_DATABASES to the server's `databases` if it has more."
            if where != "the Redis server"
            else ", or raise the server's `databases` setting."
        )
    )
