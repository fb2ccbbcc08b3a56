"""uvicorn CPU per plain HTTP request: the project's GET /health/live/ and GET /admin/login/
beside a bare ASGI response served by the same uvicorn process, in alternating rounds of one
run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/interviewsite_bench \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/http_cost.py [--requests 2000]

One uvicorn process (bench/_bench_asgi.py: the project, and `GET /bench/bare/` answered by a
dozen lines of ASGI), started as the Procfile starts it (uvicorn's default log level, so its
access log is on). Each round sends `--requests` GETs, `--concurrency` at a time over
keep-alive connections, to one path; the CPU the uvicorn process used in the round
(utime+stime from /proc, all its threads) divided by the requests is the figure. Rounds
alternate between the paths, so a change in the machine's load hits both; the ratio of the
medians is what compares across runs. The client runs in this process and is not counted.
DATABASE_URL and REDIS_URL as in production (/health/live/ reads neither, but the process
checks Redis at start-up); the database must be migrated.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the harness package

from harness.procfs import cpu_seconds, load1  # noqa: E402
from harness.stack import free_tcp_port  # noqa: E402

BIN = Path(sys.executable).parent
BARE = "bare ASGI"
# The liveness probe, and a page with a template, a form and the CSRF cookie (no database).
PATHS = {
    "project /health/live/": "/health/live/",
    "project /admin/login/": "/admin/login/",
    BARE: "/bench/bare/",
}


async def _round(port: int, path: str, requests: int, concurrency: int) -> int:
    """Sends the requests; returns how many did not answer 200."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    failed = 0
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
    ) as client:
        queue = iter(range(requests))

        async def worker() -> None:
            nonlocal failed
            for _ in queue:
                response = await client.get(path)
                failed += response.status_code != 200

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failed


def _start(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = open(Path(env["VAR_DIR"]) / "uvicorn.log", "wb")  # noqa: SIM115 (lives with the process)
    return subprocess.Popen(
        [str(BIN / "uvicorn"), "--app-dir", "bench", "_bench_asgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--forwarded-allow-ips", ""],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("uvicorn exited during start-up (see its log)")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/bench/bare/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("uvicorn did not start within 90 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per round")
    parser.add_argument("--rounds", type=int, default=5, help="per path, alternating")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    if args.requests < 1 or args.rounds < 1 or args.concurrency < 1:
        parser.error("--requests, --rounds and --concurrency must be at least 1")
    var_dir = tempfile.mkdtemp(prefix="http-cost-")
    env = {**os.environ, "VAR_DIR": var_dir, "DEBUG": "false"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the process's own, under VAR_DIR
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--env wants KEY=VALUE, not {item!r}")
        env[key] = value
    port = free_tcp_port()
    server = _start(port, env)
    per_request: dict[str, list[float]] = {name: [] for name in PATHS}
    load_start = load1()
    try:
        _wait_ready(port, server)
        for path in PATHS.values():  # warm-up: imports, caches, the first connections
            asyncio.run(_round(port, path, 200, args.concurrency))
        for n in range(args.rounds):
            for name, path in PATHS.items():
                before = cpu_seconds(server.pid)
                failed = asyncio.run(_round(port, path, args.requests, args.concurrency))
                used = cpu_seconds(server.pid) - before
                if failed:
                    raise SystemExit(f"round {n + 1}: {failed} of {name} did not answer 200")
                per_request[name].append(used / args.requests * 1000)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"uvicorn CPU per request: {args.rounds} rounds x {args.requests} GETs per path,"
        f" {args.concurrency} at a time; load average {load_start:.2f} at start,"
        f" {load1():.2f} at the end; {os.cpu_count()} CPUs"
    )
    for name, values in per_request.items():
        rounds = " ".join(f"{v:.3f}" for v in values)
        print(f"  {name:<22} median {statistics.median(values):7.3f} ms   rounds: {rounds}")
    bare = statistics.median(per_request[BARE])
    for name, values in per_request.items():
        if name != BARE:
            project = statistics.median(values)
            print(
                f"  {name}: {project / bare:.1f}x bare;"
                f" the project's own cost {project - bare:.3f} ms per request"
            )


if __name__ == "__main__":
    main()
