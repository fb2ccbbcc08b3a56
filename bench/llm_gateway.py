"""What the LLM gateway adds to one LLM call, and how long a candidate waits when the LLM is down.

    .venv/bin/python bench/llm_gateway.py [--requests 2000] [--timeout 1.0]

Standalone: it runs Django with the embedded default (SQLite, the database breaker store and
database breaker policies) in a throw-away directory, and the fake LLM in a thread at 0 ms
latency. It prints:

1. the same Chat Completions request sent directly with httpx, and through the whole gateway
   (chain, breaker llm.openai, retry helper, provider, reply validation), interleaved so both
   see the same machine load; the gateway's added latency is the difference of percentiles.
   The gateway runs twice: with the embedded breaker store (one SQLite transaction per call)
   and with the in-memory store, which leaves only the gateway's own code;
2. with the fake hanging (the LLM fully down): how long the candidate waits for the next
   question while the breaker is still closed (goal: one LLM_TIMEOUT_SECONDS), and once it has
   opened (goal: at most 1 ms).

Logging is set to ERROR so the console does not distort the figures.
"""

import argparse
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviews.llm.fake_server import FakeLLMHandle, run_fake_llm_in_thread  # noqa: E402

if TYPE_CHECKING:
    from interviews.llm.base import QuestionContext

PORTS = range(18100, 18200)


def start_fake(stack: contextlib.ExitStack) -> FakeLLMHandle:
    for port in PORTS:
        with contextlib.suppress(OSError):
            return stack.enter_context(run_fake_llm_in_thread(port=port))
    raise SystemExit(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def embedded_django(var_dir: str, fake: FakeLLMHandle, timeout: float) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "BREAKER_STORE"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="interviewsite.settings",
        VAR_DIR=var_dir,
        LLM_PROVIDERS="openai",
        OPENAI_BASE_URL=f"{fake.base_url}/v1",
        OPENAI_API_KEY="bench",
        LLM_TIMEOUT_SECONDS=str(timeout),
        LOG_LEVEL="ERROR",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    logging.disable(logging.WARNING)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def row(label: str, values: list[float]) -> str:
    return (
        f"  {label:<38} p50 {percentile(values, 0.5):8.3f} ms   p99 {percentile(values, 0.99):8.3f}"
        f" ms   max {max(values):9.3f} ms   (n={len(values)})"
    )


@contextlib.contextmanager
def section(title: str) -> Iterator[None]:
    print(f"\n{title}")
    yield


STORES = {
    "database": "resilience.breakers.stores.database.DatabaseStore",  # the embedded default
    "memory": "resilience.breakers.stores.memory.MemoryStore",
}


def use_store(kind: str) -> None:
    from django.conf import settings

    from resilience.breakers.registry import reset_registry

    settings.BREAKER_STORE = STORES[kind]
    reset_registry()


def context(index: int) -> "QuestionContext":
    from interviews.llm.base import QuestionContext

    return QuestionContext("Backend engineer", "python", "medium", "en", index, 100)


def overhead(requests: int) -> list[tuple[str, list[float], list[float]]]:
    """Interleaved direct and gateway requests, once per breaker store."""
    from interviews.llm.gateway import get_interviewer
    from interviews.llm.prompts import question_prompt
    from interviews.llm.providers.remote import MAX_TOKENS, RemoteInterviewer

    chain = get_interviewer()
    provider = chain.providers[0]
    assert isinstance(provider, RemoteInterviewer)
    ctx = context(1)
    prompt = question_prompt(ctx)
    url, headers, body = provider.request(
        prompt.system, prompt.messages(), MAX_TOKENS["generate_question"]
    )
    direct_client = httpx.Client(transport=httpx.HTTPTransport(retries=0), timeout=10)

    def direct() -> None:
        response = direct_client.post(url, headers=headers, json=body)
        response.raise_for_status()
        response.json()

    def gateway() -> None:
        question = chain.generate_question(ctx)
        assert question.source == "llm", question

    results: list[tuple[str, list[float], list[float]]] = []
    for kind in ("database", "memory"):
        use_store(kind)
        for _ in range(100):  # warm-up: connections, breaker config row, code paths
            direct()
            gateway()
        plain: list[float] = []
        full: list[float] = []
        for _ in range(requests):
            plain.append(timed(direct))
            full.append(timed(gateway))
        results.append((kind, plain, full))
    direct_client.close()
    return results


def print_overhead(results: list[tuple[str, list[float], list[float]]], requests: int) -> None:
    with section(f"Next question, LLM healthy (fake at 0 ms latency, {requests} requests each)"):
        for kind, plain, full in results:
            print(f"  breaker store {STORES[kind].rsplit('.', 1)[-1]}:")
            print(row("  direct httpx POST + json()", plain))
            print(row("  through the gateway", full))
            added50 = percentile(full, 0.5) - percentile(plain, 0.5)
            added99 = percentile(full, 0.99) - percentile(plain, 0.99)
            print(
                f"    added by the gateway: p50 {added50:.3f} ms (goal <= 2),"
                f" p99 {added99:.3f} ms (goal <= 10);"
                f" gateway/direct {percentile(full, 0.5) / percentile(plain, 0.5):.2f}x at p50,"
                f" {percentile(full, 0.99) / percentile(plain, 0.99):.2f}x at p99"
            )


def outage(fake: FakeLLMHandle, timeout: float, requests: int) -> None:
    from interviews.llm.gateway import get_interviewer
    from resilience.breakers import State, get_breaker

    use_store("database")
    chain = get_interviewer()
    breaker = get_breaker("llm.openai")
    fake.control(mode="hang")
    closed: list[float] = []
    while breaker.snapshot().state != State.OPEN and len(closed) < 50:
        ctx = context(len(closed) + 1)
        started = time.perf_counter()
        chain.generate_question(ctx)
        closed.append((time.perf_counter() - started) * 1000)
    opened: list[float] = []
    sources: set[str] = set()
    for i in range(requests):
        ctx = context(i % 8 + 1)
        started = time.perf_counter()
        sources.add(chain.generate_question(ctx).source)
        opened.append((time.perf_counter() - started) * 1000)
    state = breaker.snapshot().state.slug
    fake.control(mode="ok")
    with section(f"Next question, LLM fully down (fake hangs; LLM_TIMEOUT_SECONDS={timeout:g})"):
        print(row("breaker closed: waits, then fallback", closed))
        print(f"  the breaker opened after {len(closed)} timed-out questions (it is now {state})")
        print(row("breaker open: fallback at once", opened))
        worst = max(closed) / 1000
        print(
            f"  longest wait {worst:.3f} s = {worst / timeout:.2f}x LLM_TIMEOUT_SECONDS"
            f" (goal <= 1x); open breaker p50 {percentile(opened, 0.5):.3f} ms (goal <= 1 ms);"
            f" served from: {', '.join(sorted(sources))}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--timeout", type=float, default=1.0, help="LLM_TIMEOUT_SECONDS")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        fake = start_fake(stack)
        var_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-llm-"))
        embedded_django(var_dir, fake, args.timeout)
        from django.conf import settings

        store = settings.BREAKER_STORE.rsplit(".", 1)[-1]
        print(
            f"LLM gateway benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs,"
            f" embedded default (SQLite database, breaker store {store});"
            f" load average {os.getloadavg()[0]:.2f} at start"
        )
        print_overhead(overhead(args.requests), args.requests)
        outage(fake, args.timeout, args.requests)


if __name__ == "__main__":
    main()
