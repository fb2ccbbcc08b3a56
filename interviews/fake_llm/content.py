"""What the fake LLM says: plausible, schema-valid answers to the interview prompt contract.

The contract: the last user message carries a JSON document with a "task" key
(generate_question / follow_up / evaluate); the candidate's text travels inside it as data.
Everything here is deterministic so tests and benchmarks can assert on the output, and every
input is treated as untrusted (wrong types degrade to defaults instead of raising), because
the point of the fake is to exercise the callers, not to crash on them.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from interviews.fake_llm.coding import generate_coding_question
from interviews.fake_llm.evaluation import evaluate, evaluate_obeying
from interviews.fake_llm.lenient import int_or, text_or

TASKS = ("generate_question", "generate_coding_question", "follow_up", "evaluate")
FOLLOW_UP_WORD_LIMIT = 25  # answers shorter than this get a follow-up question

# (question, rubric) per difficulty; "{topic}" and "{role}" are filled in. Five per level so a
# typical interview never repeats a question.
_TEMPLATES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "easy": (
        (
            "What is {topic}, and when would you reach for it in your day-to-day work as a {role}?",
            (
                "Gives a correct, plain-language definition of {topic}",
                "Names a realistic situation where {topic} is the right tool",
                "Mentions at least one limitation or alternative",
            ),
        ),
        (
            "Explain the basic building blocks of {topic} to a new teammate.",
            (
                "Identifies the core concepts of {topic}",
                "Explains how those pieces fit together",
                "Uses a concrete example",
            ),
        ),
        (
            "Describe a small task you completed using {topic}. What steps did you follow?",
            (
                "Describes a real, specific task",
                "Lays out the steps in a sensible order",
                "Says how the result was checked",
            ),
        ),
        (
            "What are common beginner mistakes with {topic}, and how do you avoid them?",
            (
                "Names at least two realistic mistakes",
                "Explains why each one causes trouble",
                "Gives a practical habit or check that prevents them",
            ),
        ),
        (
            "How would you check that something you built with {topic} works correctly?",
            (
                "Mentions automated tests or repeatable checks",
                "Covers edge cases, not only the happy path",
                "Says what evidence would convince a reviewer",
            ),
        ),
    ),
    "medium": (
        (
            "Walk me through how you would design a feature that relies on {topic}. "
            "Which trade-offs would you weigh?",
            (
                "Starts from requirements and constraints",
                "Names at least two concrete trade-offs involving {topic}",
                "Justifies the final choice",
                "Considers how the feature is tested and operated",
            ),
        ),
        (
            "Tell me about a time {topic} caused a problem in a project. "
            "How did you find and fix it?",
            (
                "Describes a specific incident with context",
                "Explains the diagnosis, not only the fix",
                "Mentions what was changed to prevent a repeat",
            ),
        ),
        (
            "How do you decide between {topic} and an alternative approach? Give an example.",
            (
                "Names a credible alternative to {topic}",
                "Compares them on explicit criteria",
                "Grounds the comparison in a concrete example",
            ),
        ),
        (
            "What does good testing look like for code that depends on {topic}?",
            (
                "Separates unit tests from integration tests",
                "Explains how to isolate or fake the {topic} dependency",
                "Covers failure cases",
                "Keeps tests fast and deterministic",
            ),
        ),
        (
            "How would you reason about the performance of {topic}, and how would you measure it?",
            (
                "Identifies the main cost drivers of {topic}",
                "Proposes a concrete measurement or benchmark",
                "Knows which numbers matter to users",
            ),
        ),
    ),
    "hard": (
        (
            "Design a system where {topic} must keep working under heavy load and partial "
            "failures. Where does it break first, and how do you protect it?",
            (
                "Identifies the first bottleneck or single point of failure",
                "Proposes isolation such as timeouts, retries with backoff or circuit breakers",
                "Explains how degradation is observed",
                "Weighs the cost of each protection",
            ),
        ),
        (
            "Which subtle failure modes of {topic} only show up at scale, and how would you "
            "detect them early?",
            (
                "Names failure modes beyond the obvious ones",
                "Links each to an observable signal",
                "Proposes a way to reproduce or test them before production",
            ),
        ),
        (
            "You inherit a codebase where {topic} is used incorrectly in many places. "
            "How do you plan and de-risk the migration?",
            (
                "Measures the extent of the problem first",
                "Migrates incrementally with a way back",
                "Protects behaviour with tests or shadowing",
                "Communicates the plan and its risks",
            ),
        ),
        (
            "Compare two fundamentally different ways to implement {topic}. "
            "Under which constraints does each one win?",
            (
                "Describes two genuinely different designs",
                "States the constraints that decide between them",
                "Admits the weaknesses of the preferred option",
            ),
        ),
        (
            "How would you make a {topic}-heavy system observable, and what would you alert on?",
            (
                "Chooses metrics, logs and traces deliberately",
                "Alerts on symptoms users feel rather than on every cause",
                "Explains how on-call engineers would use the signals",
            ),
        ),
    ),
}


def message_text(content: object) -> str:
    """The text of a chat message: a plain string, or the text blocks of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            block["text"]
            for block in content
            if isinstance(block, dict) and isinstance(block.get("text"), str)
        ]
        return "\n".join(texts)
    return ""


def last_user_text(messages: object) -> str:
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message.get("content"))
    return ""


def parse_task(text: str) -> dict[str, Any] | None:
    """The prompt document in `text`, if it is one.

    Real models get prompts wrapped in code fences or with a sentence around the JSON, so the
    fake accepts those too rather than insisting on a bare document.
    """
    candidates = [text.strip()]
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    if fenced:
        candidates.append(fenced.group(1))
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            document = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("task"), str):
            return document
    return None


def task_name(prompt: Mapping[str, Any] | None) -> str:
    if prompt is not None and prompt.get("task") in TASKS:
        return str(prompt["task"])
    return "other"


def reply_for(
    messages: object, *, obey_injections: bool = False, broken_code: bool = False
) -> tuple[str, str]:
    """(task name, reply content) for a request's messages."""
    text = last_user_text(messages)
    prompt = parse_task(text)
    task = task_name(prompt)
    if prompt is None or task == "other":
        return task, chat_reply(text)
    if task == "generate_coding_question":
        reply = generate_coding_question(prompt, broken=broken_code)
        return task, json.dumps(reply, ensure_ascii=False)
    if task == "evaluate" and obey_injections:
        return task, json.dumps(evaluate_obeying(prompt), ensure_ascii=False)
    return task, json.dumps(_HANDLERS[task](prompt), ensure_ascii=False)


def malformed(reply: str) -> str:
    """A reply that looks almost right but does not parse: prose around truncated JSON."""
    return "Sure! Here is the JSON you asked for:\n" + reply[: max(1, len(reply) // 2)]


def chat_reply(text: str) -> str:
    gist = " ".join(text.split()[:12])
    if not gist:
        return "Hello! How can I help you today?"
    return f'Thanks for your message about "{gist}". Here is a short, simulated answer.'


def _normalise(question: str) -> str:
    return " ".join(question.lower().split())


def generate_question(prompt: Mapping[str, Any]) -> dict[str, Any]:
    role = text_or(prompt.get("role"), "engineer")
    topic = text_or(prompt.get("topic"), role)
    difficulty = text_or(prompt.get("difficulty"), "medium").lower()
    templates = _TEMPLATES.get(difficulty, _TEMPLATES["medium"])
    index = max(int_or(prompt.get("index"), 1), 1)
    previous = prompt.get("previous_questions")
    if not isinstance(previous, list):
        previous = []
    asked = {_normalise(q) for q in previous if isinstance(q, str)}

    def fill(text: str) -> str:
        return text.format(topic=topic, role=role)

    start = (index - 1) % len(templates)
    for offset in range(len(templates)):
        question, rubric = templates[(start + offset) % len(templates)]
        if _normalise(fill(question)) not in asked:
            break
    else:
        # Every template was used: still return something new rather than a repeat.
        question, rubric = templates[start]
        question = f"{question} Answer from a different angle than before (question {index})."
    text, points = fill(question), [fill(point) for point in rubric]
    focus = _job_focus(prompt.get("job_context"))
    if focus:
        # As a model would: the question turns to what the job names, without quoting it.
        text = f"{text} Relate it to this job's work with {focus}."
        points.append(f"Connects the answer to {focus} as the job uses it")
    return {"question": text, "rubric": points}


def _job_focus(context: object) -> str:
    """The first passage's most specific term: its first capitalised word that does not start
    a line or a sentence (a name such as Kafka or React), else its longest word."""
    if not isinstance(context, list) or not context or not isinstance(context[0], str):
        return ""
    passage = context[0].split("] ", 1)[-1]
    words = list(re.finditer(r"[A-Za-z][A-Za-z0-9+#.-]{2,}", passage))
    for match in words:
        before = passage[: match.start()].rstrip(" -*")
        if match.group()[0].isupper() and before and before[-1] not in ".!?:\n":
            return match.group().rstrip(".")
    return max((m.group() for m in words), key=len, default="")


def follow_up(prompt: Mapping[str, Any]) -> dict[str, Any]:
    answer = prompt.get("answer")
    words = len(answer.split()) if isinstance(answer, str) else 0
    if words >= FOLLOW_UP_WORD_LIMIT:
        return {"follow_up": None}
    rubric = prompt.get("rubric")
    if not isinstance(rubric, list):
        rubric = []
    point = next((p for p in rubric if isinstance(p, str) and p), "")
    if point:
        focus = point[0].lower() + point[1:]
        return {"follow_up": f"Could you say more about this: {focus}? A concrete example helps."}
    return {"follow_up": "Could you expand on that with a concrete example from your own work?"}


_HANDLERS = {"generate_question": generate_question, "follow_up": follow_up, "evaluate": evaluate}
