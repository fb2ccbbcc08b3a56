"""What the LLM gateway adds to one LLM call, and how long a candidate waits when the LLM is down.

    .venv/bin/python bench/llm_gateway.py [--requests 2000] [--timeout 1.0] [--services]

Standalone: it runs Django with the embedded default (SQLite, the database breaker store and
database breaker policies) in a throw-away directory, and the fake LLM in a thread at 0 ms
latency. It prints:

1. the same Chat Completions request sent directly with httpx, and through the whole gateway
   (chain, breaker llm.openai, retry helper, provider, reply validation), interleaved so both
   see the same machine load; the gateway's added latency is the difference of percentiles.
   The gateway runs twice: with the configuration's breaker store (embedded: the database
   store, one SQLite transaction per call; --services: Redis, one round trip per call) and
   with the in-memory store, which leaves only the gateway's own code. Questions the LLM
   writes are offered to the question cache as in production (stored in the background);
2. with the fake hanging (the LLM fully down): how long the candidate waits for the next
   question while the breaker is still closed (goal: one LLM_TIMEOUT_SECONDS), and once it has
   opened (goal: at most 1 ms), served from the question cache when it has a question, else the
   fallback;
3. a question cache hit (goal: p99 at most 5 ms): the cache service alone on a full key
   (QUESTION_CACHE_MAX_PER_KEY variants, the database backend), and the whole next-question
   step served from the cache while the LLM breaker is forced open, next to a provider call
   through the gateway (fake at 0 ms latency, so the real gap is far larger).

With --services the run uses DATABASE_URL and REDIS_URL from the environment (PostgreSQL and
Redis, as in production: the Redis breaker store, the question cache in PostgreSQL, its hit
counters in Redis) instead of the embedded default; the database must exist (it is migrated).
Use a throw-away database: the run writes breaker rows and cached questions.

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
from typing import TYPE_CHECKING, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interviews.fake_llm.server import FakeLLMHandle, run_fake_llm_in_thread  # noqa: E402

if TYPE_CHECKING:
    from interviews.llm.base import QuestionContext

PORTS = range(18100, 18200)


def start_fake(stack: contextlib.ExitStack) -> FakeLLMHandle:
    for port in PORTS:
        with contextlib.suppress(OSError):
            return stack.enter_context(run_fake_llm_in_thread(port=port))
    raise SystemExit(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def embedded_django(
    var_dir: str, fake: FakeLLMHandle, timeout: float, *, services: bool = False
) -> None:
    names = ["CELERY_BROKER_URL", "BREAKER_STORE", "QUESTION_CACHE_BACKEND"]
    if not services:
        names += ["DATABASE_URL", "REDIS_URL"]
    for name in names:
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

    from interviewsite.runtime import prepare_process

    prepare_process()  # the directories a process's entry point makes
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
    "redis": "resilience.breakers.stores.redis.RedisStore",  # with REDIS_URL (production)
    "memory": "resilience.breakers.stores.memory.MemoryStore",
}


def deployed_store() -> str:
    """The store this configuration uses (settings.BREAKER_STORE), as a key of STORES."""
    from django.conf import settings

    return next(kind for kind, path in STORES.items() if path == settings.BREAKER_STORE)


def use_store(kind: str) -> None:
    from django.conf import settings

    from resilience.breakers.registry import reset_registry

    settings.BREAKER_STORE = STORES[kind]
    reset_registry()


def context(index: int) -> "QuestionContext":
    from interviews.llm.base import QuestionContext

    return QuestionContext("Backend engineer", "python", "medium", "en", index, 100)


def overhead(requests: int, deployed: str) -> list[tuple[str, list[float], list[float]]]:
    """Interleaved direct and gateway requests, once per breaker store."""
    from interviews.llm.gateway import get_interviewer
    from interviews.llm.guarded import GuardedProvider
    from interviews.llm.prompts import question_prompt
    from interviews.llm.providers.remote import MAX_TOKENS

    chain = get_interviewer()
    guarded = chain.providers[0]
    assert isinstance(guarded, GuardedProvider), guarded
    provider = guarded.provider
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
    for kind in (deployed, "memory"):
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


def outage(fake: FakeLLMHandle, timeout: float, requests: int, deployed: str) -> None:
    from interviews.llm.gateway import get_interviewer
    from resilience.breakers import State, get_breaker

    use_store(deployed)
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
        print(row("breaker open: cache or fallback at once", opened))
        worst = max(closed) / 1000
        print(
            f"  longest wait {worst:.3f} s = {worst / timeout:.2f}x LLM_TIMEOUT_SECONDS"
            f" (goal <= 1x); open breaker p50 {percentile(opened, 0.5):.3f} ms (goal <= 1 ms);"
            f" served from: {', '.join(sorted(sources))}"
        )


# A language of its own, so the clean-up clears the benchmark's questions and nothing else.
CACHE_KEY: dict[str, Any] = {"difficulty": "medium", "language": "zz-bench", "topic": "bench cache"}


def cache_hits(requests: int, deployed: str) -> tuple[list[float], list[float], set[str]]:
    """A hit from the cache service alone, then the next-question step served from the cache
    with the LLM breaker forced open (no half-open trial can interrupt the measurement)."""
    from django.conf import settings

    from interviews.llm.base import QuestionContext
    from interviews.llm.gateway import get_interviewer
    from resilience.breakers import State, get_breaker
    from resilience.breakers.services import breaker_force_open, breaker_restore_normal
    from resilience.question_cache.services import (
        question_cache_clear,
        question_cache_get,
        question_cache_put,
    )

    question_cache_clear(language=CACHE_KEY["language"])
    for n in range(settings.QUESTION_CACHE_MAX_PER_KEY):
        question_cache_put(
            **CACHE_KEY,
            text=f"Benchmark question number {n}: how would you approach it?",
            metadata={"rubric": ["a point"], "provider": "openai"},
        )

    def lookup() -> None:
        assert question_cache_get(**CACHE_KEY) is not None

    for _ in range(100):  # warm-up
        lookup()
    service = [timed(lookup) for _ in range(requests)]

    use_store(deployed)
    breaker_force_open(name="llm.openai", user=None, reason="benchmark")
    chain = get_interviewer()
    ctx = QuestionContext(
        "Backend engineer", CACHE_KEY["topic"], "medium", CACHE_KEY["language"], 1, 100
    )
    assert get_breaker("llm.openai").snapshot().state == State.OPEN
    sources: set[str] = set()

    def step() -> None:
        sources.add(chain.generate_question(ctx).source)

    for _ in range(100):
        step()
    gateway = [timed(step) for _ in range(requests)]
    breaker_restore_normal(name="llm.openai", user=None, reason="benchmark over")
    question_cache_clear(language=CACHE_KEY["language"])
    return service, gateway, sources


def print_cache_hits(
    hits: tuple[list[float], list[float], set[str]],
    provider: tuple[str, list[float], list[float]],
) -> None:
    from django.conf import settings

    service, gateway, sources = hits
    kind, _, through_gateway = provider
    backend = settings.QUESTION_CACHE_BACKEND.rsplit(".", 1)[-1]
    cache = str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]
    with section(
        f"Question cache hit ({backend}, hit counters in {cache};"
        f" {settings.QUESTION_CACHE_MAX_PER_KEY} variants on the key)"
    ):
        print(row("hit: question_cache_get alone", service))
        print(row("hit: next-question step, breaker open", gateway))
        print(row(f"provider call, gateway ({kind} store)", through_gateway))
        p99 = percentile(gateway, 0.99)
        ratio = percentile(through_gateway, 0.5) / percentile(gateway, 0.5)
        print(
            f"  cache hit p99 {percentile(service, 0.99):.3f} ms (service),"
            f" {p99:.3f} ms (whole step) (goal <= 5 ms);"
            f" provider call / cache step {ratio:.1f}x"
            f" at p50 with the fake at 0 ms latency; served from: {', '.join(sorted(sources))}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--timeout", type=float, default=1.0, help="LLM_TIMEOUT_SECONDS")
    parser.add_argument(
        "--services",
        action="store_true",
        help="use DATABASE_URL and REDIS_URL from the environment (PostgreSQL, Redis)",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        fake = start_fake(stack)
        var_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-llm-"))
        embedded_django(var_dir, fake, args.timeout, services=args.services)
        from django.conf import settings

        store = settings.BREAKER_STORE.rsplit(".", 1)[-1]
        database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        setup = "DATABASE_URL/REDIS_URL" if args.services else "embedded default"
        print(
            f"LLM gateway benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs,"
            f" {setup} ({database} database, breaker store {store});"
            f" load average {os.getloadavg()[0]:.2f} at start"
        )
        deployed = deployed_store()
        results = overhead(args.requests, deployed)
        print_overhead(results, args.requests)
        outage(fake, args.timeout, args.requests, deployed)
        print_cache_hits(cache_hits(args.requests, deployed), results[0])


if __name__ == "__main__":
    main()
