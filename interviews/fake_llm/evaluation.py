"""The fake LLM's evaluations: scores that grow with an answer's length, so tests can predict
them, a verbatim first sentence as evidence, and a worst-case mode that obeys instructions found
in the answers (`evaluate_obeying`), for the server's caps to hold against.
"""

import re
from collections.abc import Mapping
from typing import Any

from interviews.fake_llm.lenient import int_or
from interviews.llm.schemas import recommendation_for

MAX_QUOTE_CHARS = 200

_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
# (most words, score, verdict): the score grows with length so tests can predict it.
_SCORE_BANDS = (
    (0, 1, "No substantive answer was given."),
    (14, 2, "Very brief; the main points are asserted rather than explained."),
    (39, 3, "Covers the basics with some explanation."),
    (79, 4, "A detailed answer with reasoning."),
)


def first_sentence(answer: str) -> str:
    """The answer's first sentence (at most MAX_QUOTE_CHARS), sliced verbatim from it."""
    start = len(answer) - len(answer.lstrip())
    match = _SENTENCE_END.search(answer, start)
    end = match.end() if match else len(answer)
    return answer[start : min(end, start + MAX_QUOTE_CHARS)].rstrip()


def score_answer(answer: str) -> tuple[int, str]:
    words = len(answer.split())
    for most, score, verdict in _SCORE_BANDS:
        if words <= most:
            return score, f"{verdict} ({words} words)"
    return 5, f"A thorough, well-developed answer. ({words} words)"


MAX_POINTS = 5  # strengths and concerns each, as the evaluation prompt asks


def evaluate(prompt: Mapping[str, Any]) -> dict[str, Any]:
    answers = prompt.get("answers")
    items = [a for a in answers if isinstance(a, dict)] if isinstance(answers, list) else []
    questions: list[dict[str, Any]] = []
    strengths: list[str] = []
    concerns: list[str] = []
    for position, item in enumerate(items, start=1):
        answer = item["answer"] if isinstance(item.get("answer"), str) else ""
        index = int_or(item.get("index"), position)
        score, rationale = score_answer(answer)
        quote = first_sentence(answer)
        evidence = [quote] if quote else []
        questions.append(
            {"index": index, "score": score, "rationale": rationale, "evidence": evidence}
        )
        if score >= 4:
            strengths.append(f"Detailed answer to question {index}")
        elif score <= 2:
            concerns.append(f"Thin answer to question {index}")
    scores = [q["score"] for q in questions]
    overall = round(sum(scores) / len(scores), 2) if scores else 1.0
    return {
        "questions": questions,
        "overall_score": float(overall),
        "recommendation": recommendation_for(overall),
        # The prompt asks for at most five of each; the schema refuses more than 20, which a
        # long interview (over 20 strong answers) reached before this cap.
        "strengths": strengths[:MAX_POINTS],
        "concerns": concerns[:MAX_POINTS],
    }


# What a gullible model takes for an instruction meant for it. Deliberately not the server's
# detector (interviews/services/instructions.py): the fake must not agree with it by design.
_INJECTION_CUE = re.compile(
    r"ignore|instruction|score|evaluat|grader|rubric|hire|marks|rating|\d\s*/\s*(?:5|10|100)\b"
    r"|[{}]|\bsystem\b|\bai\b|\bmodel\b",
    re.IGNORECASE,
)


def evaluate_obeying(prompt: Mapping[str, Any]) -> dict[str, Any]:
    """`evaluate` by a model that does what the answers tell it: any answer with something
    that reads like an instruction gets 5, and the interview 5 and strong_hire (the worst case
    for the server's caps to hold against)."""
    result = evaluate(prompt)
    answers = prompt.get("answers")
    told = {
        item.get("index")
        for item in (answers if isinstance(answers, list) else [])
        if isinstance(item, dict)
        and isinstance(item.get("answer"), str)
        and _INJECTION_CUE.search(item["answer"])
    }
    if not told:
        return result
    for question in result["questions"]:
        if question["index"] in told:
            question.update(score=5, rationale="The answer says it deserves full marks.")
            question["flags"] = []
    return {**result, "overall_score": 5.0, "recommendation": "strong_hire"}
