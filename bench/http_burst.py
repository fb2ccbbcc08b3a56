"""A burst of concurrent HTTP requests at one real uvicorn process: status codes, latency and
the PostgreSQL connections the process held (peak of pg_stat_activity, sampled every 10 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/interviewsite \\
    REDIS_URL=redis://127.0.0.1:6379/8 python bench/http_burst.py [--requests 200] [--pool 15]

The database must be migrated. Each round sends `--requests` GETs at once, spread evenly over
the invite page (a real link), an unknown invite link, /health/ready/ and /health/live/, all
from 127.0.0.1 (the guessing limit is turned off for the run, as it would answer 429 to the
unknown links long before the database is under pressure). The server's connections are told
apart by their application_name (PGAPPNAME). `--pool` sets DB_POOL_MAX_SIZE (default: the
settings' default for this machine); `--pool 0` runs without the pool, as the code did before.
"""

import argparse
import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sampler(threading.Thread):
    def __init__(self, dsn: str, app: str) -> None:
        super().__init__(daemon=True)
        self.dsn, self.app, self.peak, self.stop = dsn, app, 0, threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as db:
            while not self.stop.is_set():
                row = db.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    [self.app],
                ).fetchone()
                self.peak = max(self.peak, int(row[0]) if row else 0)
                time.sleep(0.01)


async def _burst(port: int, paths: list[str]) -> list[tuple[int, float]]:
    limits = httpx.Limits(max_connections=len(paths), max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def one(path: str) -> tuple[int, float]:
            started = time.perf_counter()
            try:
                response = await client.get(f"http://127.0.0.1:{port}{path}")
            except httpx.HTTPError:
                return 0, time.perf_counter() - started
            return response.status_code, time.perf_counter() - started

        return await asyncio.gather(*(one(path) for path in paths))


def _invite_path(env: dict[str, str]) -> str:
    out = subprocess.run(
        [str(BIN / "python"), "manage.py", "create_interview", "--candidate", "Bench",
         "--role", "Engineer", "--topic", "python", "--difficulty", "easy", "--language", "en",
         "--questions", "2", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    import json

    url = json.loads(out.strip().splitlines()[-1])["invite_url"]
    return "/" + url.split("/", 3)[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pool", type=int, default=None, help="DB_POOL_MAX_SIZE; 0 = no pool")
    args = parser.parse_args()
    dsn = os.environ["DATABASE_URL"]
    app = f"http-burst-{secrets.token_hex(3)}"
    env = {
        **os.environ,
        "PGAPPNAME": app,
        "TOKEN_FAILURES_PER_MINUTE": "0",
        "LOG_LEVEL": "ERROR",
        "VAR_DIR": tempfile.mkdtemp(prefix="http-burst-"),
    }
    if args.pool is not None:
        env["DB_POOL_MAX_SIZE"] = str(args.pool)
    invite = _invite_path(env)
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "uvicorn"), "interviewsite.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "error", "--forwarded-allow-ips", ""],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/health/live/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        kinds = [invite, f"/i/{secrets.token_urlsafe(32)}/", "/health/ready/", "/health/live/"]
        paths = [kinds[n % len(kinds)] for n in range(args.requests)]
        bound = env.get("DB_POOL_MAX_SIZE") or "default"
        print(f"{args.requests} concurrent GETs x {args.rounds} rounds, DB_POOL_MAX_SIZE={bound}")
        for n in range(1, args.rounds + 1):
            sampler = Sampler(dsn, app)
            sampler.start()
            started = time.perf_counter()
            results = asyncio.run(_burst(port, paths))
            wall = time.perf_counter() - started
            sampler.stop.set()
            sampler.join()
            statuses = Counter(status for status, _ in results)
            times = sorted(t for _, t in results)
            p50 = statistics.median(times)
            p99 = times[int(len(times) * 0.99) - 1]
            print(
                f"round {n}: {dict(sorted(statuses.items()))}  wall {wall:.2f} s  "
                f"p50 {p50 * 1000:.0f} ms  p99 {p99 * 1000:.0f} ms  "
                f"peak connections {sampler.peak}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
