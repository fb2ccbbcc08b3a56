"""CPU of one answer in the service, by path: locked and read every time vs stored from `known`.

    .venv/bin/python bench/answer_path.py [--interviews 60] [--rounds 2]

Runs `interview_answer_submit` (offline interviewer, reply stored with the answer) in this
process, one thread, on a fresh PostgreSQL database (`--database`, dropped at the end): per
round, `--interviews` interviews of 4 questions answered to the end with the lock and read for
every answer, then as many answered passing each outcome's `known` to the next answer, from
question 1's advance on, as a socket does. Prints the thread CPU time per answer of each
variant and their ratio; rounds alternate the variants so background load on the machine
affects them alike. No server, no socket: the service call only (docs/performance.md, "The
third round").
"""

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import stack

ANSWER = "I would put the writes behind a queue with retries and idempotency keys. " * 3


def _configure(database: str, redis_url: str, var_dir: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="interviewsite.settings",
        DATABASE_URL=stack.database_url(database),
        REDIS_URL=redis_url,
        SECRET_KEY="bench-only-answer-path-0123456789abcdefghijklmnop",
        LLM_PROVIDERS="offline",
        INTERVIEW_CONSENT_REQUIRED="false",
        LOG_LEVEL="WARNING",
        DEBUG="false",
        VAR_DIR=str(var_dir),
    )
    import django

    from interviewsite.runtime import prepare_process

    prepare_process()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _interviews(count: int, rng: random.Random) -> list[int]:
    from interviews.llm.offline import TOPICS
    from interviews.services.interviews import interview_create

    return [
        interview_create(
            candidate_name=f"Bench candidate {i}",
            role="Backend engineer",
            topic=rng.choice(TOPICS),
            difficulty="medium",
            question_count=4,
        ).interview.pk
        for i in range(count)
    ]


def _answer_all(ids: list[int], use_known: bool) -> tuple[int, float]:
    """(answers, thread CPU seconds in interview_answer_submit)."""
    from django.db import close_old_connections

    from interviews.services.interviews import (
        interview_advance_known,
        interview_answer_submit,
        interview_start,
    )

    answers, cpu = 0, 0.0
    for interview_id in ids:
        interview_start(interview_id=interview_id)
        advanced = interview_advance_known(interview_id=interview_id, broadcast=False)
        known = advanced.known if use_known else None
        while True:
            close_old_connections()  # as a socket call gives its connection back
            started = time.thread_time()
            outcome = interview_answer_submit(
                interview_id=interview_id,
                text=ANSWER,
                client_msg_id=uuid.uuid4(),
                reply=True,
                broadcast=False,
                known=known,
            )
            cpu += time.thread_time() - started
            answers += 1
            known = outcome.known if use_known else None
            if not outcome.replies or outcome.replies[-1].kind == "system":
                break
    return answers, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interviews", type=int, default=60, help="per variant per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database", default="interviewsite_bench_answer_path")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()
    stack.recreate_database(args.database)
    var_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"answer-path-{os.getpid()}"
    try:
        _configure(args.database, args.redis_url, var_dir)
        rng = random.Random(1)
        _answer_all(_interviews(10, rng), use_known=True)  # warm: imports, caches, the pool
        totals = {False: [0, 0.0], True: [0, 0.0]}
        for round_ in range(args.rounds):
            for use_known in (False, True) if round_ % 2 == 0 else (True, False):
                answers, cpu = _answer_all(_interviews(args.interviews, rng), use_known)
                totals[use_known][0] += answers
                totals[use_known][1] += cpu
                label = "from known   " if use_known else "lock and read"
                print(f"round {round_ + 1}, {label}: {answers} answers, "
                      f"{1000 * cpu / answers:.3f} ms CPU per answer")  # fmt: skip
        per = {k: 1000 * cpu / n for k, (n, cpu) in totals.items()}
        print(f"all rounds: lock and read {per[False]:.3f} ms, from known {per[True]:.3f} ms "
              f"per answer ({per[True] / per[False]:.2f}x)")  # fmt: skip
    finally:
        from django.db import connections

        connections.close_all()
        stack.drop_database(args.database)


if __name__ == "__main__":
    main()
