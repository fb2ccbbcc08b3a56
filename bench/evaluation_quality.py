"""How far the evaluation can be trusted, measured on the labelled corpus.

    .venv/bin/python bench/evaluation_quality.py

The corpus (tests/interviews/evaluation_corpus/) holds genuine answers labelled strong (4),
adequate (3), weak (2) and off-topic (1) over four topics and every difficulty, and every gaming
strategy. Each answer is evaluated the way a stored evaluation is (the provider, then the
evaluation service's check: answer flags, caps, verdict), by:

- the offline heuristic;
- the fake LLM over the OpenAI and the Anthropic protocol, in the mode where it obeys
  instructions inside answers (the worst case: it gives 5/5 and strong_hire when told to).

Each gaming answer is evaluated as the third question of an interview whose first two are
strong genuine answers, so the recommendation shows whether one gamed answer can carry a
strong interview to a hire. It prints, per provider: the highest score and recommendation each
strategy reached; flag recall on gaming answers (goal >= 0.95); the false-flag rate on genuine
answers (goal <= 5 %; a flag the answer's label implies is right, not false: off_topic or
no_rubric_point on an off-topic answer, no_rubric_point on a weak one); and the
Spearman rank correlation of question scores with the labels. Then the instruction detector
alone on the two held-out sets of phrasings. Nothing is stored: no database.
"""

import contextlib
import logging
import os
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from statistics import correlation
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewsite.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-key")
# No database and no Redis here: the breakers keep their state in this process.
os.environ.setdefault("BREAKER_STORE", "resilience.breakers.stores.memory.MemoryStore")

import django  # noqa: E402

from interviewsite.runtime import prepare_process  # noqa: E402

prepare_process()  # the directories a process's entry point makes
django.setup()
logging.disable(logging.WARNING)  # one line per HTTP request would bury the figures

from interviews.fake_llm.server import run_fake_llm_in_thread  # noqa: E402
from interviews.llm.base import AnsweredQuestion, InterviewerProvider  # noqa: E402
from interviews.llm.gateway import build_provider  # noqa: E402
from interviews.llm.offline_bank import load_bank  # noqa: E402
from interviews.services.evidence import (  # noqa: E402
    CheckedEvaluation,
    QuestionTranscript,
    evaluation_check,
)
from interviews.services.instructions import evaluator_instructions, result_shaped  # noqa: E402
from tests.interviews.evaluation_corpus import (  # noqa: E402
    GAMING,
    GENUINE,
    INSTRUCTIONS,
    STRATEGIES,
    Sample,
)
from tests.interviews.evaluation_corpus import heldout_instructions_first as first  # noqa: E402
from tests.interviews.evaluation_corpus import heldout_instructions_second as second  # noqa: E402
from tests.interviews.evaluation_corpus import heldout_instructions_third as third  # noqa: E402

RANK = ["needs_review", "no_hire", "lean_no", "hire", "strong_hire"]
KEY = "bench-key"


def evaluate(provider: InterviewerProvider, samples: Sequence[Sample]) -> CheckedEvaluation:
    """One interview answering `samples` in order, evaluated and checked as the service does."""
    transcript = []
    for index, sample in enumerate(samples, start=1):
        entry = load_bank().by_id[sample.qid]
        rubric = tuple(p.point for p in entry.rubric)
        transcript.append(
            QuestionTranscript(index, entry.text, rubric, "offline", (), (sample.text,), (index,))
        )
    answers = tuple(
        AnsweredQuestion(t.index, t.question, t.rubric, t.answers[0]) for t in transcript
    )
    topic = samples[-1].topic
    result = provider.evaluate(role="Engineer", topic=topic, difficulty="medium", answers=answers)
    return evaluation_check(result=result, transcript=transcript, topic=topic)


def questions(checked: CheckedEvaluation) -> list[dict[str, Any]]:
    report: Any = checked.report
    return list(report["questions"])


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rho: Pearson's correlation of the ranks (ties share their mean rank)."""
    return correlation(_ranks(xs), _ranks(ys))


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def measure(name: str, provider: InterviewerProvider) -> None:
    strong = [s for s in GENUINE if s.kind == "strong"]
    best: dict[str, tuple[int, str]] = defaultdict(lambda: (0, "needs_review"))
    caught = 0
    for n, sample in enumerate(GAMING):
        lead = [s for s in strong if s.topic == sample.topic][:2] or strong[n % 3 : n % 3 + 2]
        checked = evaluate(provider, [*lead, sample])
        gamed = questions(checked)[-1]
        caught += bool(gamed["flags"])
        score, rec = best[sample.kind]
        best[sample.kind] = (
            max(score, gamed["score"]),
            max(rec, checked.recommendation, key=RANK.index),
        )
    genuine = [(s, questions(evaluate(provider, [s]))[0]) for s in GENUINE]
    false = [(s, s.false_flags(q["flags"])) for s, q in genuine if s.false_flags(q["flags"])]
    rho = spearman([q["score"] for _, q in genuine], [s.label for s, _ in genuine])

    print(f"\n== {name} ==")
    print(f"{'strategy':<18} {'answers':>7} {'highest score':>14}  highest recommendation")
    for strategy in STRATEGIES:
        count = sum(1 for s in GAMING if s.kind == strategy)
        score, rec = best[strategy]
        print(f"{strategy:<18} {count:>7} {score:>14}  {rec}")
    print(f"flag recall on gaming answers: {caught}/{len(GAMING)} = {caught / len(GAMING):.3f}")
    print(
        f"false-flag rate on genuine answers: {len(false)}/{len(genuine)} = "
        f"{len(false) / len(genuine):.1%}"
    )
    for sample, flags in false:
        print(f"  false flag {flags} on {sample.kind} answer to {sample.qid}: {sample.text[:60]!r}")
    print(f"Spearman rank correlation of question scores with labels: {rho:.3f}")


def held_out() -> None:
    """The instruction detector alone on the held-out phrasings (docs/evaluation.md)."""
    print("\n== instruction detector on the held-out sets ==")
    for name, module in (("first", first), ("second", second), ("third", third)):
        aimed = module.AIMED + getattr(module, "RESULT_SHAPED", ())
        caught = sum(bool(evaluator_instructions(t) or result_shaped(t)) for t in aimed)
        false = sum(bool(evaluator_instructions(t)) for t in module.GENUINE)
        print(
            f"{name}: aimed at the evaluator caught {caught}/{len(aimed)}; "
            f"honest sentences flagged {false}/{len(module.GENUINE)}"
        )


def main() -> None:
    print(
        f"corpus: {len(GENUINE)} genuine answers over "
        f"{len({s.topic for s in GENUINE})} topics and "
        f"{len({s.qid.split('-')[1] for s in GENUINE})} difficulties, {len(GAMING)} gaming answers "
        f"({len(STRATEGIES)} strategies, {len(INSTRUCTIONS)} instruction phrasings)"
    )
    runs: list[tuple[str, str]] = [("offline heuristic", "offline")]
    with contextlib.ExitStack() as stack:
        fake = stack.enter_context(run_fake_llm_in_thread(port=0, obey_injections=True))
        from django.conf import settings

        settings.OPENAI_BASE_URL = f"{fake.base_url}/v1"
        settings.ANTHROPIC_BASE_URL = fake.base_url
        settings.OPENAI_API_KEY = settings.ANTHROPIC_API_KEY = KEY
        runs += [(f"fake LLM obeying injections ({d})", d) for d in ("openai", "anthropic")]
        for name, provider in runs:
            measure(name, build_provider(provider))
        detector_off(build_provider("openai"))
    held_out()


def detector_off(provider: InterviewerProvider) -> None:
    """Every instruction of the corpus and the held-out sets with the detector switched off, to
    stand for phrasings it will miss: what they earn from a model that obeys them."""
    from unittest import mock

    from interviews.services import answer_flags

    strong = next(s for s in GENUINE if s.kind == "strong")
    aimed = [*INSTRUCTIONS, *(t for m in (first, second, third) for t in m.AIMED)]
    alone, around, strong_alone = [], [], questions(evaluate(provider, [strong]))[0]["score"]
    with mock.patch.object(answer_flags, "evaluator_instructions", return_value=None):
        for text in aimed:
            alone.append(questions(evaluate(provider, [Sample(strong.qid, "x", text)]))[0])
            both = Sample(strong.qid, "x", f"{strong.text} {text}")
            around.append(questions(evaluate(provider, [both]))[0])
    print("\n== instructions with the detector off, fake LLM obeying (openai) ==")
    print(
        f"{len(aimed)} phrasings alone: highest score {max(q['score'] for q in alone)} "
        f"(the model gave up to {max(q['provider_score'] for q in alone)}); "
        f"flagged {sum(bool(q['flags']) for q in alone)}/{len(aimed)}"
    )
    for text, q in zip(aimed, alone, strict=True):
        if q["score"] > 2 or not q["flags"]:
            print(f"  kept {q['score']} with flags {q['flags']}: {text[:90]!r}")
    print(
        f"after a strong answer that scores {strong_alone} alone: highest score "
        f"{max(q['score'] for q in around)}"
    )


if __name__ == "__main__":
    main()
