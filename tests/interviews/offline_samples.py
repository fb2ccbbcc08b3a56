"""The offline interviewer's test data: sample answers, contexts and shortcuts to its bank
(shared by test_offline_bank.py and test_offline_evaluation.py)."""

import json
from dataclasses import replace
from typing import Any, cast

from interviews.llm.base import (
    AnsweredQuestion,
    EvaluationResult,
    GeneratedQuestion,
    QuestionContext,
    QuestionScore,
    Recommendation,
)
from interviews.llm.offline import OfflineInterviewer
from interviews.llm.offline_bank import (
    BANK_PATH,
    load_bank,
)
from interviews.services.evidence import QuestionTranscript, evaluation_check
from tests.interviews.llm_support import context

TOPICS = {"python", "javascript", "sql", "system_design", "data_structures", "behavioural"}
DIFFICULTIES = ("easy", "medium", "hard")

LIST_VS_TUPLE = "python-easy-01"
STRONG_LIST_VS_TUPLE = (
    "Lists are mutable: you can append, remove or reassign items, while tuples are immutable "
    "once created. Because a tuple is immutable it is hashable when its items are hashable, so "
    "you can use it as a dict key or put it in a set; a list cannot be a dictionary key. I use "
    "tuples for fixed records with heterogeneous fields, often as a namedtuple or for unpacking "
    "return values like `x, y = point`, and lists for homogeneous collections that grow. Tuples "
    "are also slightly smaller in memory and a bit faster to create, and choosing one signals "
    "intent to the reader. For example, in one project we cached results keyed by a "
    "(user_id, day) tuple."
)
LRU_CACHE = "data_structures-medium-01"
STRONG_LRU = (
    "I would combine a hash map with a doubly linked list. The dict maps each key to its node in "
    "the list, so lookups are O(1). The doubly linked list keeps recency order: on every get or "
    "put I move the node to the front, and when we go over capacity I evict the tail, which is "
    "the least recently used entry. Doubly linked matters because removing a node needs its "
    "previous pointer. In Python I would often just use OrderedDict with move_to_end, and if "
    "several threads share it I would guard it with a lock."
)
COOKING = (
    "My favourite weekend activity is cooking a slow braised beef stew. I brown the meat in "
    "batches, soften onions and carrots, deglaze the pot with red wine, then let everything "
    "simmer gently for three hours until the sauce thickens. Fresh thyme and bay leaves go in "
    "near the end, and I serve it with crusty bread and a green salad."
)

provider = OfflineInterviewer()


def raw_bank() -> dict[str, Any]:
    with BANK_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def all_questions(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        q
        for topic in raw["topics"].values()
        for difficulty in DIFFICULTIES
        for q in topic["questions"][difficulty]
    ]


def ctx(**overrides: Any) -> QuestionContext:
    """A question context with a fixed seed (the offline interviewer's choices depend on it)."""
    return context(**{"total": 5, "seed": 7, **overrides})


def bank_question(qid: str) -> GeneratedQuestion:
    q = load_bank().by_id[qid]
    return GeneratedQuestion(q.text, tuple(p.point for p in q.rubric), "offline", "offline", q.id)


def answered(qid: str, answer: str, index: int = 1) -> AnsweredQuestion:
    q = bank_question(qid)
    return AnsweredQuestion(index=index, question=q.text, rubric=q.rubric, answer=answer)


def evaluate(*answers: AnsweredQuestion, topic: str = "python") -> EvaluationResult:
    """The offline evaluation as it is stored: the provider's result after the evaluation
    service's check (answer flags and their caps), read back as an EvaluationResult."""
    result = provider.evaluate(role="Engineer", topic=topic, difficulty="easy", answers=answers)
    if not answers:
        return result
    transcript = [
        QuestionTranscript(a.index, a.question, a.rubric, "offline", (), (a.answer,))
        for a in answers
    ]
    checked = evaluation_check(result=result, transcript=transcript, topic=topic)
    questions = cast(list[dict[str, Any]], checked.report["questions"])
    return replace(
        result,
        overall_score=float(checked.overall_score),
        recommendation=cast(Recommendation, checked.recommendation),
        questions=tuple(
            QuestionScore(
                q["index"],
                q["score"],
                q["rationale"],
                tuple(e["text"] for e in q["evidence"]),
                tuple(q["flags"]),
            )
            for q in questions
        ),
    )


def ask(count: int, **fields: Any) -> list[GeneratedQuestion]:
    asked: list[GeneratedQuestion] = []
    for i in range(1, count + 1):
        previous = tuple(q.text for q in asked)
        asked.append(
            provider.generate_question(ctx(index=i, previous_questions=previous, **fields))
        )
    return asked
